// Wire compatibility: JavaScript automerge-repo clients (the npm packages, not our code) sync
// through our relay with a sign-in token, and are refused a document they may not read.
import { test, expect } from '@playwright/test';
import WebSocket from 'ws';
import { addPerson, jsClient, startRelay } from './helpers.mjs';

async function settled(repo) {
  await repo.networkSubsystem.whenReady();
}

test('a JavaScript automerge-repo client syncs what it may read and is refused what it may not', async ({}, testInfo) => {
  const relay = await startRelay(8240 + testInfo.parallelIndex);
  try {
    const wang = await addPerson(relay, { name: '王芳', email: 'wang@example.cn', department: '财务部', role: 'requester' });
    const li = await addPerson(relay, { name: 'Li Lei', email: 'li@example.cn', department: 'IT', role: 'agent' });

    // 王芳's laptop creates a document; it reaches the relay.
    const laptop = await jsClient(relay, wang, 'laptop');
    await settled(laptop.repo);
    const handle = laptop.repo.create({ note: '来自 JavaScript 的笔记' });

    // Her phone (another JavaScript repo, same person) finds it through the relay.
    const phone = await jsClient(relay, wang, 'phone');
    await settled(phone.repo);
    await expect.poll(async () => {
      try {
        const found = await phone.repo.find(handle.url);
        return found.doc()?.note;
      } catch {
        return undefined;
      }
    }, { timeout: 20_000 }).toBe('来自 JavaScript 的笔记');

    // Li may not read it: the relay answers doc-unavailable and find() rejects.
    const other = await jsClient(relay, li, 'desk');
    await settled(other.repo);
    await expect(other.repo.find(handle.url)).rejects.toThrow(/unavailable/i);

    // A wrong token or ticket never gets a connection; a token in the address (where proxies
    // would log it) is refused even when it is right.
    const dial = (query, headers = {}) => new Promise((resolve) => {
      const socket = new WebSocket(`${relay.url.replace('http', 'ws')}sync?${query}`, { headers });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.on('open', () => { socket.close(); resolve('opened'); });
      socket.on('error', () => {});
    });
    expect(await dial('device=x', { Authorization: 'Bearer idk_wrong' })).toBe(401);
    expect(await dial('ticket=idt_wrong')).toBe(401);
    expect(await dial(`token=${wang.token}&device=x`)).toBe(400);
    expect(await dial('device=x', { Authorization: `Bearer ${wang.token}` })).toBe('opened');

    for (const client of [laptop, phone, other]) await client.repo.shutdown();
  } finally {
    await relay.stop();
  }
});
