// A newcomer signs in as the first administrator with the link the run command prints, imports
// the directory and invites a department from the page: each link is copied or scanned, works on
// one device once, and says so when opened again. Roles and deactivation set in the directory
// reach the person's open page within seconds. Signing out warns of unsent work first, then
// leaves nothing of the desk on the device.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expectAccessible, expectSaved, personAt, startRelay, storedChunks } from './helpers.mjs';

const relayBinary = resolve(import.meta.dirname, '../../target/release/sync-server');

const PEOPLE = [
  'name,email,department,manager,role',
  '王芳,wang@corp.cn,财务部,,requester',
  '张伟,zhang@corp.cn,财务部,wang@corp.cn,requester',
  '李雷,li@corp.cn,信息技术部,,agent',
].join('\n') + '\n';

/** The first administrator, as `.ci/start` makes them: the link it prints. */
function firstAdmin(relay) {
  const out = execFileSync(relayBinary, ['--data-dir', relay.data, 'people', 'first-admin', '--url', relay.url.replace(/\/$/, '')],
    { encoding: 'utf8' });
  const link = out.match(/(http\S+#\/signin\/(\S+))/);
  return { link: link[1], token: link[2], name: 'Administrator' };
}

/** A fresh browser that opens a link and shows what the page says. */
async function openLink(browser, link) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  return { context, page };
}

test('an administrator invites a department from the directory; links work once; roles, deactivation and sign-out', async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const relay = await startRelay(8470 + testInfo.parallelIndex);
  try {
    const root = await personAt(browser, firstAdmin(relay));
    const admin = root.page;
    await root.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.url.replace(/\/$/, '') });
    await admin.locator('a[href="#/directory"]').click();
    await admin.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(PEOPLE) });
    await admin.locator('#import-apply').click();
    await expect(admin.locator('#directory-counts')).toContainText('2 departments · 3 people');
    await expectSaved(admin);
    await expect(admin.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');

    // 财务部: nobody has an account yet; invite them all.
    await admin.locator('.tree-item', { hasText: '财务部' }).click();
    const rows = admin.locator('table.people tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.locator('[data-account="none"]')).toHaveCount(2);
    await admin.locator('#invite-everyone').click();
    await expect(admin.locator('#account-done')).toContainText('2 sign-in link(s) made');
    const items = admin.locator('#invitations .invitation');
    await expect(items).toHaveCount(2);
    await expect(rows.locator('[data-account="invited"]')).toHaveCount(2);
    const wangItem = admin.locator('.invitation[data-email="wang@corp.cn"]');
    const wangLink = await wangItem.locator('input.invitation-link').inputValue();
    expect(wangLink).toMatch(/#\/signin\/idk_/);
    await wangItem.getByRole('button', { name: /Copy the link for 王芳/ }).click();
    await expect(wangItem.getByRole('status')).toHaveText('Copied.');
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(wangLink);
    await wangItem.locator('summary', { hasText: 'QR code' }).click();
    await expect(wangItem.getByRole('img', { name: /QR code of the sign-in link for 王芳/ })).toBeVisible();
    await expectAccessible(admin, 'invitations');
    for (const [width, height] of [[1280, 800], [390, 844]]) {
      await admin.setViewportSize({ width, height });
      await admin.screenshot({ path: testInfo.outputPath(`invitations-en-${width}.png`), fullPage: true });
    }
    await admin.setViewportSize({ width: 1280, height: 800 });
    const download = admin.waitForEvent('download');
    await admin.locator('#download-links').click();
    const csv = await (await download).createReadStream();
    let text = '';
    for await (const chunk of csv) text += chunk;
    expect(text).toContain(`王芳,wang@corp.cn,${wangLink}`);

    // 王芳 signs in with her link; opened again anywhere, it says it was used, and nothing changes.
    const wang = await personAt(browser, { link: wangLink, token: wangLink.split('/signin/')[1], name: '王芳' });
    const again = await openLink(browser, wangLink);
    await expect(again.page.locator('[data-refused="used"]')).toContainText('already used');
    await expect(again.page.locator('.sync-status')).not.toHaveAttribute('data-sync', 'up-to-date');
    await again.context.close();

    // The administrator sees her signed in, and makes her an agent: her open page follows.
    await admin.locator('a.brand').click();
    await admin.locator('a[href="#/directory"]').click();
    await admin.locator('.tree-item', { hasText: '财务部' }).click();
    const wangRow = rows.filter({ hasText: 'wang@corp.cn' });
    await expect(wangRow.locator('[data-account="signed-in"]')).toContainText('1 device');
    await expect(wang.page.locator('a[href="#/automation"]')).toHaveCount(0);
    await wangRow.getByLabel('Role of 王芳').selectOption('agent');
    await expect(admin.locator('#account-done')).toContainText('王芳 is now: Agent');
    await expect(wang.page.locator('a[href="#/automation"]')).toBeVisible({ timeout: 15_000 });

    // Deactivated after a confirmation: her page is refused within seconds; the link is dead.
    await wangRow.getByRole('button', { name: 'Deactivate 王芳' }).click();
    await expect(admin.getByRole('alertdialog')).toContainText('Deactivate 王芳?');
    await expect(admin.locator('#confirm-deactivate')).toBeFocused();
    await admin.keyboard.press('Enter');
    await expect(wangRow.locator('[data-account="deactivated"]')).toBeVisible();
    await expect(wang.page.locator('.sync-status')).toHaveAttribute('data-sync', 'refused', { timeout: 15_000 });
    await expect(wangRow.getByRole('button', { name: /^(Invite|New link for) 王芳$/ })).toHaveCount(0);

    for (const language of ['en', 'zh']) {
      if (language === 'zh') {
        await admin.getByRole('button', { name: '切换到中文' }).click();
        await expect(wangRow.locator('[data-account="deactivated"]')).toHaveText('已停用');
        await expectAccessible(admin, 'accounts in Chinese');
      }
      for (const [width, height] of [[1280, 800], [390, 844]]) {
        await admin.setViewportSize({ width, height });
        await admin.screenshot({ path: testInfo.outputPath(`accounts-${language}-${width}.png`), fullPage: true });
      }
    }
    await admin.setViewportSize({ width: 1280, height: 800 });

    // 李雷, invited alone, signs out: first warned of work the relay has not received.
    await admin.locator('.tree-item', { hasText: '信息技术部' }).click();
    await rows.filter({ hasText: 'li@corp.cn' }).getByRole('button', { name: /^(Invite|邀请) 李雷$/ }).click();
    const liLink = await admin.locator('.invitation[data-email="li@corp.cn"] input.invitation-link').inputValue();
    const li = await personAt(browser, { link: liLink, token: liLink.split('/signin/')[1], name: '李雷' });
    await li.offline();
    await li.page.locator('a.primary-link').click();
    await li.page.locator('input#ticket-title').fill('打印机卡纸');
    await li.page.locator('#ticket-department').selectOption({ label: '信息技术部' });
    await li.page.locator('form button[type=submit]').click();
    await expect(li.page.locator('h1#ticket-title')).toHaveText('打印机卡纸');
    await li.page.locator('.profile-link').click();
    await li.page.locator('#sign-out').click();
    await expect(li.page.locator('#sign-out-question')).toContainText(/[1-9][0-9]* document\(s\)/);
    await expect(li.page.locator('#sign-out-wait')).toBeFocused();
    await li.page.locator('#sign-out-wait').click();
    await li.online();
    await expect(li.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date', { timeout: 20_000 });
    await li.page.locator('#sign-out').click();
    await expect(li.page.locator('#sign-out-confirm')).toBeFocused();
    await expectAccessible(li.page, 'sign out');
    await li.page.locator('#sign-out-confirm').click();
    await expect(li.page.locator('.sync-status')).toHaveAttribute('data-sync', 'local', { timeout: 15_000 });
    expect(Object.fromEntries(await storedChunks(li.page, 'settings')).relay_token).toBeUndefined();
    await expect(li.page.locator('.tickets tbody tr')).toHaveCount(0);

    // The relay revoked his device: none is listed for him any more.
    const credential = Object.fromEntries(await storedChunks(admin, 'settings')).relay_token;
    const accounts = await (await fetch(`${relay.url}api/people`, { headers: { Authorization: `Bearer ${credential}` } })).json();
    expect(accounts.find((a) => a.email === 'li@corp.cn').devices).toBe(0);
    for (const who of [root, wang, li]) await who.context.close();
  } finally {
    await relay.stop();
  }
});
