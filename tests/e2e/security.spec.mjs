// The page under the relay's Content-Security-Policy: every page works with no violation, a script
// slipped into the page does not run, the headers are on what the relay serves, and another site
// cannot put the desk in a frame.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { addPerson, expectAccessible, expectSaved, fileTicket, personAt, signIn, startRelay, ticketIdOf } from './helpers.mjs';

/** Records every policy violation the page reports, from its first moment. */
async function watchPolicy(context) {
  await context.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

test('every page runs under the security policy, and a slipped-in script does not', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  await watchPolicy(context);
  const page = await context.newPage();
  const response = await page.goto('./');
  const headers = response.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');

  await signIn(page);
  await fileTicket(page, { title: 'Printer on 3F jams', description: 'Since Monday' });
  await expectSaved(page);
  for (const route of ['#/', '#/directory', '#/catalog', '#/sla', '#/customers', '#/surveys', '#/report',
    '#/needs', '#/bulletin', '#/measure', '#/measure/map', '#/measure/bottlenecks', '#/measure/forecast',
    '#/kb', '#/ask', '#/automation', '#/profile']) {
    await page.goto(route);
    await expect(page.locator('main h1').first()).toBeVisible();
  }
  expect(await page.evaluate(() => window.violations)).toEqual([]);

  // A script element that found its way into the page is refused, and the refusal is reported.
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.ran = true';
    document.body.append(script);
  });
  await expect.poll(() => page.evaluate(() => window.violations.length)).toBe(1);
  expect(await page.evaluate(() => window.ran)).toBeUndefined();
  await context.close();
});

test('another site cannot show the desk in a frame', async ({ browser, baseURL }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent(`<iframe id="desk" src="${baseURL}"></iframe>`);
  const frame = await (await page.locator('#desk').elementHandle()).contentFrame();
  // A refused frame holds the browser's error page, never the desk.
  await expect.poll(() => frame.url()).toBe('chrome-error://chromewebdata/');
  expect(await frame.locator('noscript, .skip-link').count()).toBe(0);
  await context.close();
});

test("someone else's sign-in link asks first, and unsent work stays with its author", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const relay = await startRelay(8420 + testInfo.parallelIndex);
  try {
    const wangPerson = await addPerson(relay, { name: '王芳', email: 'wang@example.cn', department: '财务部', role: 'requester' });
    const zhouPerson = await addPerson(relay, { name: '周强', email: 'zhou@example.cn', department: '销售部', role: 'requester' });
    const wang = await personAt(browser, wangPerson);

    // Offline, 王芳 files a request; then she opens a link someone planted, for 周强's account.
    await wang.offline();
    await fileTicket(wang.page, { title: '报销单打不开', description: '月底前要交', department: 'IT' });
    const ticket = ticketIdOf(wang.page);
    await expectSaved(wang.page);
    // Back on the network, but her page has not reached the relay's socket yet.
    await wang.context.setOffline(false);
    await wang.page.goto(zhouPerson.link);
    const dialog = wang.page.locator('[role=alertdialog]');
    await expect(dialog).toContainText('This device is signed in as 王芳');
    await expect(dialog).toContainText('signs in 周强 (销售部)');
    await expect(dialog).toHaveAttribute('data-switch', /^[1-9]/);
    await expect(dialog).toContainText('sent as 周强');
    await expect(wang.page.locator('#switch-stay')).toBeFocused();
    await wang.page.screenshot({ path: testInfo.outputPath('switch-en.png'), fullPage: true });
    await expectAccessible(wang.page, 'account switch');

    // She stays: once online, her request reaches the relay under her own name.
    await wang.page.locator('#switch-stay').click();
    await expect(wang.page.locator('.profile-link')).toHaveText('王芳');
    await wang.online();
    await expect(wang.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date', { timeout: 30_000 });
    const relayBinary = resolve(import.meta.dirname, '../../target/release/sync-server');
    const trail = execFileSync(relayBinary, ['--data-dir', relay.data, 'audit', ticket], { encoding: 'utf8' });
    expect(trail).toContain(wangPerson.id);
    expect(trail).not.toContain(zhouPerson.id);

    // Told plainly and asked again, she may still switch: the device is then 周强's.
    await wang.page.goto(zhouPerson.link);
    await expect(wang.page.locator('[role=alertdialog]')).toContainText('signs in 周强');
    await wang.page.locator('#switch-confirm').click();
    await expect(wang.page.locator('.profile-link')).toHaveText('周强', { timeout: 20_000 });
    await expect(wang.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date', { timeout: 30_000 });
    await wang.context.close();
  } finally {
    await relay.stop();
  }
});
