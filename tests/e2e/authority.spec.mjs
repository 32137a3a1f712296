// Who may do what, end to end against the real relay: a requester's ticket page offers none of the
// serving team's controls, in either language, while the agent's does; the agent's internal note
// never reaches the requester's browser — not on the screen, not on the wire, not in IndexedDB —
// while the public reply and the status change do.
import { test, expect } from '@playwright/test';
import { addPerson, expectAccessible, fileTicket, partId, personAt, startRelay, storedChunks, ticketIdOf } from './helpers.mjs';

/** The serving team's controls on a ticket page, by what they do. */
const TEAM_CONTROLS = {
  'status buttons': '.status-actions [data-to]',
  'reclassification': 'details.reclassify',
  'assignee picker': '#assign-to',
  'internal note choice': 'input[name=visibility][value=internal]',
  'canned replies': '#canned-reply',
  'article linking': '.linked-articles input, .linked-articles button',
};

async function controlsShown(page) {
  const shown = [];
  for (const [name, selector] of Object.entries(TEAM_CONTROLS)) {
    if (await page.locator(selector).count() > 0) shown.push(name);
  }
  return shown;
}

test('a requester is offered none of the team controls and never receives an internal note', async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const relay = await startRelay(8400 + testInfo.parallelIndex);
  try {
    const wangPerson = await addPerson(relay, { name: '王芳', email: 'wang@example.cn', department: '财务部', role: 'requester' });
    const liPerson = await addPerson(relay, { name: 'Li Lei', email: 'li@example.cn', department: 'IT', role: 'agent' });
    const wang = await personAt(browser, wangPerson);
    const li = await personAt(browser, liPerson);

    // 王芳 files a request: her page shows it, and none of what the team decides.
    await fileTicket(wang.page, { title: 'VPN 连不上', description: '在家连不上公司 VPN', department: 'IT' });
    const ticket = ticketIdOf(wang.page);
    await expect(wang.page.locator('#comment-body')).toBeVisible();
    expect(await controlsShown(wang.page)).toEqual([]);
    await wang.page.screenshot({ path: testInfo.outputPath('requester-en.png'), fullPage: true });
    await expectAccessible(wang.page, 'requester ticket page (en)');
    await wang.page.getByRole('button', { name: '切换到中文' }).click();
    await expect(wang.page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(wang.page.locator('#ticket-status')).toHaveText('新建');
    expect(await controlsShown(wang.page)).toEqual([]);
    await wang.page.screenshot({ path: testInfo.outputPath('requester-zh.png'), fullPage: true });
    await expectAccessible(wang.page, 'requester ticket page (zh-CN)');
    await wang.page.getByRole('button', { name: 'Switch to English' }).click();

    // Li finds it in IT's queue; his page has the team's controls.
    await li.page.getByRole('link', { name: 'VPN 连不上' }).click({ timeout: 20_000 });
    await expect(li.page.locator('.status-actions [data-to=in_progress]')).toBeVisible();
    const shown = await controlsShown(li.page);
    for (const control of ['status buttons', 'reclassification', 'assignee picker', 'internal note choice']) {
      expect(shown).toContain(control);
    }
    await li.page.screenshot({ path: testInfo.outputPath('agent-en.png'), fullPage: true });

    // He writes an internal note, replies, and takes the ticket.
    const note = 'NOTE-7f3a db pool exhausted on vpn-gw-2';
    await li.page.locator('input[name=visibility][value=internal]').check();
    await li.page.locator('#comment-body').fill(note);
    await li.page.locator('.comment-form button[type=submit]').click();
    await expect(li.page.locator('.comment.internal')).toContainText(note);
    await li.page.locator('input[name=visibility][value=public]').check();
    await li.page.locator('#comment-body').fill('我们正在处理，请稍候。');
    await li.page.locator('.comment-form button[type=submit]').click();
    await li.page.locator('[data-to=in_progress]').click();
    await expect(li.page.locator('#ticket-status')).toHaveText('In progress');
    await expect(li.page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');

    // 王芳 sees the reply and the status, live; the note is nowhere on her page.
    await expect(wang.page.locator('#ticket-status')).toHaveText('In progress', { timeout: 20_000 });
    await expect(wang.page.locator('.comment')).toContainText(['我们正在处理，请稍候。']);
    await expect(wang.page.locator('.comment.internal')).toHaveCount(0);
    expect(await wang.page.content()).not.toContain('NOTE-7f3a');

    // Nor on the wire: no frame her browser received names the staff part or carries the note.
    const staff = partId(ticket, 'staff');
    const team = partId(ticket, 'team');
    const frames = wang.received.map((f) => f.toString('latin1'));
    expect(frames.some((f) => f.includes(team)), 'the team part reached her').toBe(true);
    expect(frames.filter((f) => f.includes(staff))).toEqual([]);
    expect(frames.filter((f) => f.includes('NOTE-7f3a'))).toEqual([]);
    // The agent's browser does receive frames naming the staff part: the check above would see one.
    expect(li.received.some((f) => f.toString('latin1').includes(staff))).toBe(true);

    // Nor in IndexedDB: no chunk of the staff part, no byte of the note.
    const stored = await storedChunks(wang.page);
    expect(stored.some(([key]) => key.startsWith(`${team}/`)), 'she stores the team part').toBe(true);
    expect(stored.filter(([key]) => key.startsWith(`${staff}/`))).toEqual([]);
    expect(stored.filter(([, value]) => value.includes('NOTE-7f3a'))).toEqual([]);
    const agentStored = await storedChunks(li.page);
    expect(agentStored.some(([key]) => key.startsWith(`${staff}/`)), 'the agent stores the staff part').toBe(true);
  } finally {
    await relay.stop();
  }
});
