// Offline use and storage faults: the desk keeps working and never drops an accepted change silently.
import { test, expect } from '@playwright/test';
import { signIn, fileTicket, expectSaved, startRelay, ticketIdOf } from './helpers.mjs';

test('after the first visit the page and its data load with the relay gone and the network off', async ({ page, context }) => {
  const relay = await startRelay(8190 + test.info().parallelIndex);
  test.info().attach('relay', { body: relay.url });
  try {
    await worksWithoutTheRelay(page, context, relay);
  } finally {
    await relay.stop();
  }
});

async function worksWithoutTheRelay(page, context, relay) {
  await page.goto(relay.url);
  await page.getByLabel('Your name').fill('Li Lei');
  await page.getByLabel('Your department').fill('IT');
  await page.getByRole('button', { name: 'Continue' }).click();
  await fileTicket(page, { title: 'Remote site printer offline' });
  await expectSaved(page);
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

  await relay.stop();
  await context.setOffline(true);
  const reachable = await page.evaluate(() => fetch('healthz', { cache: 'no-store' }).then(() => true, () => false));
  expect(reachable, 'the relay must really be unreachable').toBe(false);

  await page.goto(relay.url);
  await expect(page.locator('.tickets tbody tr')).toHaveText([/Remote site printer offline/]);
  await fileTicket(page, { title: 'Filed with no network' });
  await expectSaved(page);
  await page.reload();
  await expect(page.locator('#ticket-title')).toHaveText('Filed with no network');
  await page.goto(relay.url);
  await expect(page.locator('.tickets tbody tr')).toHaveCount(2);
}

test('with IndexedDB unavailable a banner says so, the desk works in memory, and it is saved once IndexedDB returns', async ({ page, context }) => {
  // IndexedDB is hidden until the test puts a flag in sessionStorage (which survives the reload below).
  await context.addInitScript(() => {
    const real = window.indexedDB;
    Object.defineProperty(window, 'indexedDB', { get: () => (sessionStorage.getItem('idb-back') ? real : undefined) });
  });
  await page.goto('./');
  await expect(page.getByRole('alert').first()).toContainText('Local storage is unavailable');
  await page.getByLabel('Your name').fill('Ann');
  await page.getByLabel('Your department').fill('HR');
  await page.getByRole('button', { name: 'Continue' }).click();
  await fileTicket(page, { title: 'Kept in memory' });
  await page.getByRole('link', { name: 'Tickets', exact: true }).click();
  await expect(page.locator('.tickets tbody tr')).toHaveText([/Kept in memory/]);

  await page.evaluate(() => sessionStorage.setItem('idb-back', '1'));
  await expect(page.getByRole('alert')).toHaveCount(0, { timeout: 15_000 });
  await expectSaved(page);
  await page.reload();
  await expect(page.locator('.tickets tbody tr')).toHaveText([/Kept in memory/]);
  await expect(page.locator('.profile-link')).toHaveText('Ann');
});

test('a full storage quota shows a banner, keeps the edit in memory and saves it once space is back', async ({ page, context, baseURL }) => {
  // Chromium applies a quota override to storage opened after it, so the disk is "full" from the start.
  const cdp = await context.newCDPSession(page);
  const origin = new URL(baseURL).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
  await signIn(page);
  await expect(page.getByRole('alert')).toContainText("This device's storage is full");

  await fileTicket(page, { title: 'Written while the disk is full', description: 'x'.repeat(20_000) });
  await expect(page.getByRole('alert')).toContainText("This device's storage is full");
  await expect(page.locator('.save-status')).toHaveAttribute('data-save', /Failed/);
  await expect(page.locator('#ticket-title')).toHaveText('Written while the disk is full');

  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await expectSaved(page);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await expect(page.locator('#ticket-title')).toHaveText('Written while the disk is full');
});

test('a damaged ticket in storage is reported and skipped; everything else loads', async ({ page }) => {
  await signIn(page);
  await fileTicket(page, { title: 'Will be damaged' });
  const damaged = ticketIdOf(page);
  await fileTicket(page, { title: 'Stays intact' });
  const intact = ticketIdOf(page);
  await expectSaved(page);

  const overwritten = await page.evaluate(async (prefix) => {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open('innerdesk');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const tx = db.transaction('chunks', 'readwrite');
    const store = tx.objectStore('chunks');
    const keys = await new Promise((ok) => { const r = store.getAllKeys(); r.onsuccess = () => ok(r.result); });
    const mine = keys.filter((k) => k.startsWith(prefix));
    for (const k of mine) store.put(new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 5]), k);
    await new Promise((ok) => { tx.oncomplete = ok; });
    db.close();
    return mine.length;
  }, `${damaged}/`);
  expect(overwritten).toBeGreaterThan(0);

  await page.goto('./');
  await page.reload();
  await expect(page.locator('.tickets tbody tr')).toHaveCount(2);
  await page.goto(`./#/t/${damaged}`);
  await expect(page.locator('[data-damaged]')).toHaveText("This ticket's stored data is damaged and cannot be shown.");
  await expect(page.locator('.banner')).toContainText('damaged');
  await page.goto(`./#/t/${intact}`);
  await expect(page.locator('#ticket-title')).toHaveText('Stays intact');
});

test('a browser killed in the middle of writing comes back with every edit it had shown as saved', async ({ baseURL }) => {
  const { chromium } = await import('@playwright/test');
  const { chromiumArgs } = await import('./playwright.config.mjs');
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const profile = mkdtempSync(join(tmpdir(), 'innerdesk-profile-'));
  const open = () => chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', args: chromiumArgs, baseURL, locale: 'en-US', headless: true,
  });

  let context = await open();
  let page = context.pages()[0] ?? await context.newPage();
  await signIn(page);
  await fileTicket(page, { title: 'Written through a crash' });
  const ticket = ticketIdOf(page);
  // Comments go in one after another; whenever the indicator says "Saved", everything shown so
  // far is promised to be there after any crash.
  let promised = 0;
  const long = '详细说明 detail '.repeat(400);
  for (let n = 1; n <= 14; n++) {
    await page.locator('#comment-body').fill(`edit ${n} ${long}`);
    await page.locator('.comment-form button[type=submit]').click();
    await expect(page.locator('.comments')).toContainText(`edit ${n} `);
    if (n === 6) await expectSaved(page);
    if ((await page.locator('.save-status').getAttribute('data-save')) === 'Saved') promised = n;
  }
  // One more, and the kill follows the click at once: a write is under way or about to be.
  await page.locator('#comment-body').fill(`edit 15 ${long}`);
  await page.locator('.comment-form button[type=submit]').click();
  const lastState = await page.locator('.save-status').getAttribute('data-save');
  // SIGKILL the whole browser at once, in the middle of whatever it is writing.
  execFileSync('pkill', ['-9', '-f', `user-data-dir=${profile}`]);
  await context.close().catch(() => {});
  test.info().annotations.push({ type: 'killed', description: `while ${lastState}; ${promised} edits promised` });

  context = await open();
  page = context.pages()[0] ?? await context.newPage();
  await page.goto(`./#/t/${ticket}`);
  await expect(page.locator('h1#ticket-title')).toHaveText('Written through a crash');
  for (let n = 1; n <= promised; n++) {
    await expect(page.locator('.comments')).toContainText(`edit ${n} `);
  }
  expect(promised).toBeGreaterThanOrEqual(6);
  await context.close();
});
