// Each device signed in with a link keeps its own credential, never the link; a person sees the
// devices they are signed in on and revokes one from another, which is cut off at once while
// the others stay signed in; an administrator sees everyone's.
import { test, expect } from '@playwright/test';
import { addPerson, expectAccessible, personAt, startRelay, storedChunks } from './helpers.mjs';

test('a lost phone is revoked from the laptop: it stops syncing at once and the laptop stays', async ({ browser }, testInfo) => {
  const relay = await startRelay(8440 + testInfo.parallelIndex);
  try {
    const li = await addPerson(relay, { name: 'Li Lei', email: 'li@example.cn', department: 'IT', role: 'agent' });
    const root = await addPerson(relay, { name: 'Root', email: 'root@example.cn', department: 'IT', role: 'admin' });
    const laptop = await personAt(browser, li);
    const phone = await personAt(browser, li);

    // What the device keeps is its own credential: the link is nowhere in its storage.
    const settings = Object.fromEntries(await storedChunks(laptop.page, 'settings'));
    expect(JSON.stringify(settings)).not.toContain(li.token);
    expect(settings.relay_token).toMatch(/^idd_/);

    await laptop.page.goto(`${relay.url}#/profile`);
    const rows = laptop.page.locator('#device-list tbody tr');
    await expect(rows).toHaveCount(2);
    const mine = rows.filter({ hasText: /this device|本设备/ });
    await expect(mine).toHaveCount(1);
    await expect(mine).toContainText('Chrome on Linux');
    await expectAccessible(laptop.page, 'device list');

    // The other row is the phone: revoked by keyboard, as anyone may.
    const revoke = rows.getByRole('button', { name: /Revoke|撤销/ });
    await expect(revoke).toHaveCount(1);
    await revoke.focus();
    await laptop.page.keyboard.press('Enter');
    await expect(laptop.page.getByRole('status').filter({ hasText: /revoked|已撤销/ })).toBeVisible();
    await expect(rows).toHaveCount(1);
    await expect(phone.page.locator('.sync-status')).toHaveAttribute('data-sync', 'refused', { timeout: 15_000 });
    await expect(laptop.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');

    // A requester's list has no "everyone"; an administrator's does, and finds Li's laptop.
    await expect(laptop.page.getByLabel(/Show everyone's devices|显示所有人的设备/)).toHaveCount(0);
    const admin = await personAt(browser, root);
    await admin.page.goto(`${relay.url}#/profile`);
    await admin.page.getByLabel(/Show everyone's devices|显示所有人的设备/).check();
    const everyone = admin.page.locator('#device-list tbody tr');
    await expect(everyone).toHaveCount(2);
    await admin.page.getByLabel(/Filter by person or device|按人员或设备筛选/).fill('li lei');
    await expect(everyone).toHaveCount(1);
    await expect(everyone).toContainText('Li Lei');
    await expectAccessible(admin.page, 'everyone\'s devices');
    for (const language of ['en', 'zh']) {
      if (language === 'zh') {
        await admin.page.getByRole('button', { name: '切换到中文' }).click();
        await expect(admin.page.locator('#devices-title')).toHaveText('已登录的设备');
        await expectAccessible(admin.page, 'device list in Chinese');
      }
      for (const [width, height] of [[1280, 800], [390, 844]]) {
        await admin.page.setViewportSize({ width, height });
        await admin.page.screenshot({ path: testInfo.outputPath(`devices-${language}-${width}.png`), fullPage: true });
      }
    }
    for (const who of [laptop, phone, admin]) await who.context.close();
  } finally {
    await relay.stop();
  }
});
