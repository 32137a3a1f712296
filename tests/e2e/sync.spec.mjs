// Sync between people, in real browsers against the real relay: sign in with a link, work offline,
// reconnect and merge; a person without access never receives the ticket, not even on the wire.
import { test, expect } from '@playwright/test';
import { addPerson, expectAccessible, expectSaved, fileTicket, personAt, revoke, startRelay, ticketIdOf } from './helpers.mjs';

async function openTicket(page, title) {
  await page.locator('a', { hasText: /^Tickets$|^工单$/ }).first().click();
  await page.getByRole('link', { name: title }).click();
  await expect(page.locator('#ticket-title')).toHaveText(title);
}

test('two people edit one ticket, one offline, and both see every edit; a third never receives it', async ({ browser }, testInfo) => {
  const relay = await startRelay(8260 + testInfo.parallelIndex);
  try {
    const wangPerson = await addPerson(relay, { name: '王芳', email: 'wang@example.cn', department: '财务部', role: 'requester' });
    const liPerson = await addPerson(relay, { name: 'Li Lei', email: 'li@example.cn', department: 'IT', role: 'agent' });
    const zhaoPerson = await addPerson(relay, { name: '赵敏', email: 'zhao@example.cn', department: 'HR', role: 'agent' });
    const wang = await personAt(browser, wangPerson);
    const li = await personAt(browser, liPerson);
    const zhao = await personAt(browser, zhaoPerson);
    await expectAccessible(wang.page, 'signed in');

    // 王芳 files a ticket for IT; Li sees it in his queue while online.
    await fileTicket(wang.page, { title: 'VPN 连不上', description: '出差时无法连接', department: 'IT' });
    const ticket = ticketIdOf(wang.page);
    await expect(li.page.getByRole('link', { name: 'VPN 连不上' })).toBeVisible();
    await openTicket(li.page, 'VPN 连不上');

    // 王芳 goes offline; both edit the same ticket and each files a new one.
    await wang.offline();
    await wang.page.locator('#comment-body').fill('我在上海分公司，用的是酒店网络');
    await wang.page.locator('.comment-form button[type=submit]').click();
    await expectSaved(wang.page);
    await fileTicket(wang.page, { title: '报销单无法提交', department: 'IT' });
    await expectSaved(wang.page);

    await li.page.getByRole('button', { name: /Start work|开始处理/ }).click();
    await expect(li.page.locator('#ticket-status')).toHaveClass(/status-in_progress/);
    await fileTicket(li.page, { title: '更换防火墙证书', department: 'IT' });

    // Reconnect: every edit reaches both.
    await wang.online();
    await expect(wang.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date', { timeout: 30_000 });
    await openTicket(wang.page, 'VPN 连不上');
    await expect(wang.page.locator('#ticket-status')).toHaveClass(/status-in_progress/);
    await expect(wang.page.getByText('我在上海分公司，用的是酒店网络')).toBeVisible();
    await openTicket(li.page, 'VPN 连不上');
    await expect(li.page.getByText('我在上海分公司，用的是酒店网络')).toBeVisible();
    await expect(li.page.locator('#ticket-status')).toHaveClass(/status-in_progress/);
    await li.page.locator('a', { hasText: /^Tickets$/ }).first().click();
    await expect(li.page.getByRole('link', { name: '报销单无法提交' })).toBeVisible();

    // 赵敏 works HR: she never sees the ticket, even asking by its address, and no frame names it.
    await zhao.page.evaluate((id) => { location.hash = `#/t/${id}`; }, ticket);
    await expect(zhao.page.locator('[data-unavailable]')).toBeVisible();
    await expect(zhao.page.locator('#ticket-title')).toHaveCount(0);
    await expectAccessible(zhao.page, 'ticket not shared');
    expect(zhao.received.length, 'her own sync did run').toBeGreaterThan(2);
    const about = zhao.received.filter((frame) => frame.includes(Buffer.from(ticket)));
    expect(about.length, 'the only frame to 赵敏 naming the ticket is the refusal').toBe(1);
    expect(about[0].toString('latin1')).toContain('doc-unavailable');
    expect(zhao.received.some((f) => f.toString('utf8').includes('VPN 连不上'))).toBe(false);

    // Her sign-in is revoked: at the next connection the page says so, and her local work stays.
    revoke(relay, 'zhao@example.cn');
    await zhao.page.reload();
    await expect(zhao.page.locator('.sync-status')).toHaveAttribute('data-sync', 'refused');

    for (const person of [wang, li, zhao]) await person.context.close();
  } finally {
    await relay.stop();
  }
});

test('the relay killed with SIGKILL mid-sync loses nothing', async ({ browser }, testInfo) => {
  const port = 8280 + testInfo.parallelIndex;
  let relay = await startRelay(port);
  try {
    const wangPerson = await addPerson(relay, { name: '王芳', email: 'wang@example.cn', department: '财务部', role: 'requester' });
    const liPerson = await addPerson(relay, { name: 'Li Lei', email: 'li@example.cn', department: 'IT', role: 'agent' });
    const wang = await personAt(browser, wangPerson);
    const titles = Array.from({ length: 8 }, (_, i) => `打印机故障 ${i + 1}`);
    for (const [i, title] of titles.entries()) {
      await fileTicket(wang.page, { title, department: 'IT' });
      if (i === 4) {
        await relay.stop(); // SIGKILL while tickets are still arriving
        relay = await startRelay(port, relay.data);
      }
    }
    await expectSaved(wang.page);
    await expect(wang.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date', { timeout: 40_000 });

    const li = await personAt(browser, liPerson);
    for (const title of titles) await expect(li.page.getByRole('link', { name: title })).toBeVisible();
    await wang.context.close();
    await li.context.close();
  } finally {
    await relay.stop();
  }
});
