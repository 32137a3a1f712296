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
    const laptop = jsClient(relay, wang, 'laptop');
    await settled(laptop.repo);
    const handle = laptop.repo.create({ note: '来自 JavaScript 的笔记' });

    // Her phone (another JavaScript repo, same person) finds it through the relay.
    const phone = jsClient(relay, wang, 'phone');
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
    const other = jsClient(relay, li, 'desk');
    await settled(other.repo);
    await expect(other.repo.find(handle.url)).rejects.toThrow(/unavailable/i);

    // A wrong token never gets a connection.
    const refused = await new Promise((resolve) => {
      const socket = new WebSocket(`${relay.url.replace('http', 'ws')}sync?token=idk_wrong&device=x`);
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.on('open', () => resolve('opened'));
      socket.on('error', () => {});
    });
    expect(refused).toBe(401);

    for (const client of [laptop, phone, other]) await client.repo.shutdown();
  } finally {
    await relay.stop();
  }
});
