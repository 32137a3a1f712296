// Automation and approvals end to end, against the real relay, with five people on five devices:
// an administrator sets up an approval chain (refused first for naming someone not in the
// directory), a canned reply (refused first for an unknown variable), rules (a loop refused) and a
// round-robin team; a small expense claim filed offline is approved by a rule on the finance team's
// desk once it arrives there; a large one
// goes to the requester's manager and then the finance director, each deciding on their own device;
// the claim lands with the one finance agent who is not away, whose @mention reaches the requester.
// Approvals the requester forges with a raw automerge-repo client count for nothing.
import { test, expect } from '@playwright/test';
import { addPerson, expectAccessible, expectSaved, jsClient, partId, personAt, startRelay, ticketIdOf } from './helpers.mjs';

const PEOPLE = [
  'name,email,department,manager,role',
  'Root,root@corp.cn,总经办,,admin',
  '王芳,wang@corp.cn,市场部,zhao@corp.cn,requester',
  '赵经理,zhao@corp.cn,市场部,,lead',
  '钱总监,qian@corp.cn,财务部,,lead',
  '孙会计,sun@corp.cn,财务部,qian@corp.cn,agent',
].join('\n') + '\n';

/** Files an expense claim through the catalog and waits for its page. */
async function claim(page, amount, title) {
  await page.locator('a[href="#/catalog"]').click();
  await page.locator('.service-card').getByRole('link', { name: 'Request' }).click();
  await page.locator('input#ticket-title').fill(title);
  await page.getByLabel(/Amount/).fill(amount);
  await page.locator('form button[type=submit]').click();
  await expect(page.locator('h1#ticket-title')).toHaveText(title);
}

test('a claim under the threshold is approved by a rule, a larger one in two steps by the people named', async ({ browser }, testInfo) => {
  test.setTimeout(240_000);
  const relay = await startRelay(8360 + testInfo.parallelIndex);
  try {
    const people = {};
    for (const [name, email, department, role] of [
      ['Root', 'root@corp.cn', '总经办', 'admin'], ['王芳', 'wang@corp.cn', '市场部', 'requester'],
      ['赵经理', 'zhao@corp.cn', '市场部', 'lead'], ['钱总监', 'qian@corp.cn', '财务部', 'lead'],
      ['孙会计', 'sun@corp.cn', '财务部', 'agent']]) {
      people[name] = await addPerson(relay, { name, email, department, role });
    }
    const root = await personAt(browser, people.Root);
    const admin = root.page;

    // The directory: who manages whom, who works finance's queue.
    await admin.locator('a[href="#/directory"]').click();
    await admin.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(PEOPLE) });
    await admin.locator('#import-apply').click();
    await expect(admin.locator('#directory-counts')).toContainText('3 departments · 5 people');

    // An approval chain naming someone who is not in the directory is refused, with the reason.
    await admin.locator('a[href="#/automation"]').click();
    await expectAccessible(admin, 'empty automation settings');
    const chain = admin.locator('#new-chain');
    await chain.locator('summary').click();
    await chain.getByLabel('Chain name').fill('Expense claims');
    await chain.getByRole('button', { name: 'Add a step' }).click();
    await chain.getByLabel("Approver's email").fill('ghost@corp.cn');
    await chain.getByLabel('Field key').nth(1).fill('Amount');
    await chain.getByLabel('is at least').nth(1).fill('1000');
    await chain.getByRole('button', { name: 'Save the chain' }).click();
    await expect(chain.locator('[role=alert]')).toContainText('Step 2 names ghost@corp.cn, who is not in the directory.');
    await chain.getByLabel("Approver's email").fill('qian@corp.cn');
    await chain.getByRole('button', { name: 'Save the chain' }).click();
    await expect(chain.locator('[role=status]')).toContainText('Saved');

    // The service: an expense claim with an amount, needing that chain's approval.
    await admin.locator('a[href="#/catalog"]').click();
    const add = admin.locator('#add-service');
    await add.locator('summary').click();
    await add.getByLabel('Name (Chinese)').fill('费用报销');
    await add.getByLabel('Name (English)').fill('Expense claim');
    await add.getByLabel('Providing department').selectOption({ label: '财务部' });
    await add.getByLabel('Queue that serves it').selectOption({ label: '财务部' });
    await add.getByRole('button', { name: 'Add a question' }).click();
    await add.getByLabel('Question (Chinese)').fill('金额');
    await add.getByLabel('Question (English)').fill('Amount');
    await add.getByLabel('Answer').selectOption('number');
    await add.getByLabel('Required').check();
    await add.getByLabel('Needs approval').check();
    await add.getByLabel('Approval chain').selectOption({ label: 'Expense claims' });
    await add.getByRole('button', { name: 'Publish' }).click();
    await expect(admin.locator('.service-card')).toHaveCount(1);

    // A canned reply with a variable nobody fills is refused.
    await admin.locator('a[href="#/automation"]').click();
    const canned = admin.locator('#new-macro');
    await canned.locator('summary').click();
    await canned.getByLabel('Name').fill('Received');
    await canned.getByLabel('Text').fill('Dear {{customer}}, we have your claim.');
    await canned.getByRole('button', { name: 'Save the canned reply' }).click();
    await expect(canned.locator('[role=alert]')).toContainText('Unknown variable {{customer}}.');
    await canned.getByLabel('Text').fill('{{requester}}，您的报销 {{ticket}} 已收到。');
    await canned.getByRole('button', { name: 'Save the canned reply' }).click();
    await expect(canned.locator('[role=status]')).toContainText('Saved');

    // Small claims approve themselves.
    const rule = admin.locator('#new-rule');
    await rule.locator('summary').click();
    await rule.getByLabel('Rule name').fill('Small claims approve themselves');
    await rule.getByRole('button', { name: 'Add a condition' }).click();
    await rule.getByRole('button', { name: 'Add a condition' }).click();
    await rule.getByLabel('What to check').nth(1).selectOption('field');
    await rule.getByLabel('Field key').fill('金额');
    await rule.getByLabel('Comparison').selectOption('below');
    await rule.getByLabel('Value').nth(1).fill('500');
    await rule.getByRole('button', { name: 'Add an action' }).click();
    await rule.getByRole('button', { name: 'Save the rule' }).click();
    await expect(rule.locator('[role=status]')).toContainText('Saved');
    const summary = admin.locator('details.rule[data-rule="Small claims approve themselves"] .rule-text');
    await expect(summary).toContainText('When a ticket is created · if Service = Expense claim, ');
    await expect(summary).toContainText('< 500 · then approve automatically');
    await expect(rule.getByLabel('Rule name')).toHaveValue('');

    // A rule whose reply would trigger itself for ever is refused with the reason.
    await rule.getByLabel('Rule name').fill('Chatty');
    await rule.getByLabel('When').selectOption('updated');
    await rule.getByRole('button', { name: 'Add an action' }).click();
    await rule.getByLabel('What to do').selectOption('reply_template');
    await rule.getByRole('button', { name: 'Save the rule' }).click();
    await expect(rule.locator('[role=alert]')).toContainText('“Chatty” changes the ticket every time it runs');
    await expect(admin.locator('details.rule')).toHaveCount(1);

    // Claims are shared out round-robin in finance, and the director takes none herself.
    await rule.getByLabel('Rule name').fill('Share out claims');
    await rule.getByLabel('When').selectOption('created');
    await rule.getByLabel('What to do').selectOption('assign_team');
    await rule.getByRole('button', { name: 'Save the rule' }).click();
    await expect(rule.locator('[role=status]')).toContainText('Saved');
    const finance = admin.locator('.team[data-team="财务部"]');
    await finance.getByLabel('Shares out work').selectOption('round_robin');
    await finance.locator('input[data-away="qian@corp.cn"]').check();
    await expectAccessible(admin, 'automation settings');
    await expectSaved(admin);

    // 孙会计 works finance's queue on her own device.
    const sun = await personAt(browser, people['孙会计']);

    // 王芳 files a small claim with no network at all. Rules act for the team that serves it (a
    // requester's device cannot write the team's part): once it reaches finance, 孙会计's desk
    // approves it by the rule, and 王芳 sees that.
    const wang = await personAt(browser, people['王芳']);
    await wang.offline();
    await claim(wang.page, '300', '出租车费');
    const approval = wang.page.locator('section.approval');
    await expect(approval).toHaveCount(0);
    await wang.online();
    await expect(approval).toHaveAttribute('data-approval', 'approved', { timeout: 20_000 });
    await expect(approval).toContainText('Approved automatically by the rule “Small claims approve themselves”');
    await expectAccessible(wang.page, 'approved claim');
    await expect(wang.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');

    // A large claim waits for her manager, then for the finance director above 1,000.
    await claim(wang.page, '3000', '上海出差报销');
    await expect(approval).toHaveAttribute('data-approval', 'pending', { timeout: 20_000 });
    await expect(approval.locator('.approval-state')).toHaveText('Waiting for approval from 赵经理');
    await expect(approval.locator('.approval-step')).toHaveCount(2);
    await expect(wang.page.locator('[data-decide]')).toHaveCount(0);
    await expect(wang.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');

    // 王芳 forges approvals with a plain automerge-repo client: an "automatic" decision in the
    // team's part (which she may only read) and one in her own request. Neither counts.
    const forger = await jsClient(relay, people['王芳'], 'script');
    await forger.repo.networkSubsystem.whenReady();
    const claimId = ticketIdOf(wang.page);
    const forged = JSON.stringify({ approve: true, by: '王芳', at: Date.now(), comment: '', automatic: true });
    const teamPart = await forger.repo.find(`automerge:${partId(claimId, 'team')}`);
    teamPart.change((d) => { d['decision:0'] = forged; d['decision:1'] = forged; });
    const request = await forger.repo.find(`automerge:${claimId}`);
    request.change((d) => { d['decision:0'] = forged; d.approval = '{"chain":"none","steps":[],"pause_sla":false,"requested_at":0}'; });
    await new Promise((r) => setTimeout(r, 2_000));
    await forger.repo.shutdown();

    // 赵经理 finds it among what waits for him, still waiting on him, and approves it offline.
    const zhao = await personAt(browser, people['赵经理']);
    await zhao.page.locator('#filter-mine').selectOption('approvals');
    await zhao.page.getByRole('link', { name: '上海出差报销' }).click({ timeout: 20_000 });
    await expect(zhao.page.locator('.approval-state')).toHaveText('Waiting for approval from 赵经理');
    await zhao.offline();
    await zhao.page.getByLabel('Comment (required to reject)').fill('同意，按标准报销');
    await zhao.page.locator('[data-decide=approve]').click();
    await expect(zhao.page.locator('.approval-state')).toHaveText('Waiting for approval from 钱总监');
    await expectSaved(zhao.page);
    await zhao.online();
    await expect(zhao.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');

    // The director: a rejection needs a reason; she approves.
    const qian = await personAt(browser, people['钱总监']);
    await qian.page.locator('#filter-mine').selectOption('approvals');
    await qian.page.getByRole('link', { name: '上海出差报销' }).click({ timeout: 20_000 });
    await expect(qian.page.locator('.approval-step.approved')).toContainText('同意，按标准报销');
    await qian.page.locator('[data-decide=reject]').click();
    await expect(qian.page.locator('#approval-error')).toHaveText('Say why it is rejected.');
    await qian.page.locator('[data-decide=approve]').click();
    await expect(qian.page.locator('section.approval')).toHaveAttribute('data-approval', 'approved');
    await expectAccessible(qian.page, 'approval decided');

    // 王芳 sees both decisions live, then goes back to her list.
    await expect(approval).toHaveAttribute('data-approval', 'approved', { timeout: 20_000 });
    await expect(approval.locator('.approval-step.approved')).toHaveCount(2);
    await wang.page.locator('nav a[href="#/"]').click();
    await expect(wang.page.locator('tr', { hasText: '上海出差报销' }).locator('.badge.approval-approved')).toHaveText('Approved');

    // Both claims went to 孙会计 (the director is away), once each, recorded as the rule's doing.
    await sun.page.locator('#filter-mine').selectOption('assigned');
    await expect(sun.page.locator('#ticket-table tbody tr')).toHaveCount(2, { timeout: 20_000 });
    await sun.page.getByRole('link', { name: '上海出差报销' }).click();
    await expect(sun.page.locator('#ticket-assignee')).toHaveAttribute('data-assignee', 'sun@corp.cn');
    await expect(sun.page.locator('.automation-log li[data-rule="Share out claims"]')).toHaveCount(1);
    await expect(sun.page.locator('.history li', { hasText: 'assigned it to 孙会计' })).toHaveCount(1);

    // She answers with the canned reply and mentions 王芳, who is told.
    await sun.page.locator('#canned-reply').selectOption({ label: 'Received' });
    await expect(sun.page.locator('#comment-body')).toHaveValue(/^王芳，您的报销 .+ 已收到。$/);
    await sun.page.locator('#comment-body').fill('@王芳 请补充酒店发票。');
    await expect(sun.page.locator('#comment-hint')).toHaveText('Will notify: 王芳');
    await sun.page.locator('.comment-form button[type=submit]').click();
    await expect(sun.page.locator('.comment').last()).toContainText('请补充酒店发票');
    await expectAccessible(sun.page, 'ticket with approval, assignee and mention');

    const row = wang.page.locator('tr', { hasText: '上海出差报销' });
    await expect(row.locator('.badge.mention')).toHaveText('@ you', { timeout: 20_000 });
    await expect(row.locator('.unread-dot')).toHaveCount(1);
    await row.getByRole('link', { name: '上海出差报销' }).click();
    await expect(wang.page.locator('.comment[data-unread=true]')).toContainText('请补充酒店发票');
    await expectSaved(wang.page);
    await wang.page.locator('nav a[href="#/"]').click();
    await expect(wang.page.locator('tr', { hasText: '上海出差报销' }).locator('.unread-dot')).toHaveCount(0);
  } finally {
    await relay.stop();
  }
});
