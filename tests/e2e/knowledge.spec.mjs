// The knowledge base end to end, against the real relay: an IT agent writes an article while
// offline, finds it by search and through the assistant (which also admits what it does not know
// and offers the request instead); once online the article reaches a requester, whose new request
// is answered by it before it is filed; two agents edit it offline at once and both edits survive,
// each in the history under its author's name.
import { test, expect } from '@playwright/test';
import { addPerson, expectAccessible, expectSaved, personAt, startRelay } from './helpers.mjs';

const BODY_EN = [
  '# Steps',
  '1. Install the **GlobalConnect** client from the software centre.',
  '2. Enter the server address `vpn.example.cn` and sign in with your staff account.',
  '',
  'If the client says the certificate is invalid, update it from the software centre.',
  '',
  'Broken markup stays text: **unclosed [link](javascript:alert(1)) <b>tag</b>',
].join('\n');

test('write an article offline, search it, ask the assistant, and answer a request before it is filed', async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const relay = await startRelay(8340 + testInfo.parallelIndex);
  try {
    const liPerson = await addPerson(relay, { name: 'Li Lei', email: 'li@example.cn', department: 'IT', role: 'agent' });
    const hanPerson = await addPerson(relay, { name: '韩梅梅', email: 'han@example.cn', department: 'IT', role: 'agent' });
    const wangPerson = await addPerson(relay, { name: '王芳', email: 'wang@example.cn', department: '财务部', role: 'requester' });
    const li = await personAt(browser, liPerson);
    const wang = await personAt(browser, wangPerson);

    // Li writes an article with no network at all.
    await li.offline();
    await li.page.goto(`${relay.url}#/kb`);
    await li.page.getByRole('link', { name: 'New article' }).click();
    await li.page.getByRole('button', { name: 'Save article' }).click();
    await expect(li.page.locator('#article-title-error')).toHaveText('Give the article a title in at least one language.');
    await li.page.getByLabel('Title (English)').fill('Connect to the company VPN');
    await li.page.getByLabel('Title (Chinese)').fill('连接公司 VPN');
    await li.page.getByLabel('Text (English)').fill(BODY_EN);
    await li.page.getByLabel('Text (Chinese)').fill('1. 从软件中心安装 GlobalConnect 客户端。\n2. 服务器地址填写 vpn.example.cn，用员工账号登录。');
    await li.page.getByLabel('Category').fill('Network');
    await li.page.getByLabel('Other words people use').fill('remote access, work from home, 远程办公');
    await expectAccessible(li.page, 'article editor');
    await li.page.getByRole('button', { name: 'Save article' }).click();
    await expect(li.page.locator('.article h1')).toHaveText('Connect to the company VPN');
    await expect(li.page.locator('.article-body strong').first()).toHaveText('GlobalConnect');
    await expect(li.page.locator('.article-body')).toContainText('**unclosed [link](javascript:alert(1)) <b>tag</b>');
    await expect(li.page.locator('.article-body a')).toHaveCount(0);
    await expectSaved(li.page);
    await expectAccessible(li.page, 'article');

    // Search finds it, in either language, with the match marked.
    await li.page.goto(`${relay.url}#/search`);
    await li.page.getByLabel('Search articles and tickets').fill('vpn client');
    const first = li.page.locator('.search-result').first();
    await expect(first.locator('.result-title')).toContainText('Connect to the company VPN');
    await expect(first.locator('.result-title mark')).toHaveText('VPN');
    await li.page.getByLabel('Search articles and tickets').fill('安装客户端');
    await expect(li.page.locator('.search-result').first().locator('mark').first()).toBeVisible();
    await li.page.getByLabel('Search articles and tickets').fill('x'.repeat(50_000));
    await expect(li.page.locator('#search-results')).toContainText('Nothing matches');
    await expectAccessible(li.page, 'search');

    // The assistant answers from it, and says plainly what it does not know.
    await li.page.goto(`${relay.url}#/ask`);
    await li.page.getByLabel('Your question').fill('How do I connect to the VPN from home?');
    await li.page.getByRole('button', { name: 'Ask' }).click();
    const answer = li.page.locator('.assistant-reply').last();
    await expect(answer).toHaveAttribute('data-kind', 'answer');
    await expect(answer.locator('blockquote').first()).toContainText('VPN');
    await expect(answer.getByRole('link', { name: 'Connect to the company VPN' }).first()).toBeVisible();
    await li.page.getByLabel('Your question').fill('Can I book the company yacht for a party?');
    await li.page.getByRole('button', { name: 'Ask' }).click();
    const unknown = li.page.locator('.assistant-reply').last();
    await expect(unknown).toHaveAttribute('data-kind', 'unknown');
    await expect(unknown).toContainText('I do not know');
    await expectAccessible(li.page, 'assistant');
    await unknown.getByRole('button', { name: 'File a request' }).click();
    await expect(li.page.locator('input#ticket-title')).toHaveValue('Can I book the company yacht for a party?');

    // Online again: the article reaches 王芳, who reads it but may not edit it.
    await li.online();
    await expect(li.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');
    await wang.page.goto(`${relay.url}#/kb`);
    await wang.page.getByRole('link', { name: 'Connect to the company VPN' }).click({ timeout: 20_000 });
    await expect(wang.page.locator('.article-body')).toContainText('vpn.example.cn');
    await expect(wang.page.getByRole('link', { name: 'Edit' })).toHaveCount(0);
    await expect(wang.page.getByRole('link', { name: 'New article' })).toHaveCount(0);

    // She starts a request; the article is suggested, and it solves it: nothing is filed for IT
    // to work on, and the self-service record shows which article helped.
    await wang.page.locator('a.primary-link').click();
    await wang.page.locator('input#ticket-title').fill('VPN from home');
    const suggestion = wang.page.locator('.suggestion').first();
    await expect(suggestion.locator('summary')).toHaveText('Connect to the company VPN');
    await expectAccessible(wang.page, 'request form with suggestions');
    await suggestion.locator('summary').click();
    await suggestion.getByRole('button', { name: 'This solved it' }).click();
    await expect(wang.page.locator('#ticket-status')).toHaveText('Resolved');
    await expect(wang.page.locator('.linked-articles')).toContainText('Solved by the article Connect to the company VPN');
    await expectSaved(wang.page);

    // In IT's list it is marked as solved by an article, not work to do…
    await li.page.goto(`${relay.url}#/`);
    await expect(li.page.locator('tr', { hasText: 'VPN from home' }).locator('.badge.self-served')).toHaveText('Solved by an article', { timeout: 20_000 });
    // …and Li sees the deflection among IT's KPIs: one request shown articles, solved by one.
    await li.page.goto(`${relay.url}#/measure`);
    await expect(li.page.locator('tr[data-key=IT] td[data-kpi=deflection]')).toHaveAttribute('data-value', '100.0000', { timeout: 20_000 });

    // Li and 韩梅梅 edit the article offline at the same time, in different places.
    const han = await personAt(browser, hanPerson);
    await han.page.goto(`${relay.url}#/kb`);
    await han.page.getByRole('link', { name: 'Connect to the company VPN' }).click({ timeout: 20_000 });
    const articleUrl = han.page.url();
    await li.page.goto(articleUrl);
    await li.offline();
    await han.offline();
    await li.page.getByRole('link', { name: 'Edit' }).click();
    await li.page.getByLabel('Text (English)').fill(BODY_EN.replace('from the software centre.\n2.', 'from the software centre (Start menu).\n2.'));
    await li.page.getByRole('button', { name: 'Save article' }).click();
    await han.page.getByRole('link', { name: 'Edit' }).click();
    await han.page.getByLabel('Text (English)').fill(BODY_EN.replace('is invalid, update it', 'is invalid or expired, update it'));
    await han.page.getByRole('button', { name: 'Save article' }).click();
    await expectSaved(li.page);
    await expectSaved(han.page);
    await li.online();
    await han.online();
    for (const page of [li.page, han.page]) {
      await expect(page.locator('.article-body')).toContainText('(Start menu)', { timeout: 20_000 });
      await expect(page.locator('.article-body')).toContainText('invalid or expired', { timeout: 20_000 });
    }
    const history = li.page.locator('.revision');
    await expect(history).toHaveCount(3);
    await expect(li.page.locator('.article-history')).toContainText('韩梅梅');
    await expect(li.page.locator('.article-history')).toContainText('Li Lei');
    // The first version can be read back.
    await history.last().getByRole('button', { name: 'Show this version' }).click();
    await expect(li.page.locator('.old-version')).not.toContainText('(Start menu)');
    await expect(li.page.locator('.old-version')).toContainText('GlobalConnect');
    await expectAccessible(li.page, 'article with history');
  } finally {
    await relay.stop();
  }
});
