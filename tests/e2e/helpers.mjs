// Steps shared by the end-to-end stories, written as a person would do them.
import { expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Opens the page and introduces oneself on first visit. */
export async function signIn(page, name = 'Ann Lee', department = 'Finance') {
  await page.goto('./');
  await page.getByLabel(/Your name|您的姓名/).fill(name);
  await page.getByLabel(/Your department|您所在的部门/).fill(department);
  await page.getByRole('button', { name: /Continue|继续/ }).click();
  await expect(page.locator('.list-page')).toBeVisible();
}

/** Files a ticket through the form and waits for its page. */
export async function fileTicket(page, { title, description = '', department = 'IT', priority = 'normal', category = '' }) {
  // Through the header link, so it works against whichever relay served the page.
  await page.locator('a.primary-link').click();
  // The ticket page's heading shares the id, so wait for the form's input itself.
  await page.locator('input#ticket-title').fill(title);
  await page.locator('#ticket-description').fill(description);
  await page.locator('#ticket-department').fill(department);
  if (category) await page.locator('#ticket-category').fill(category);
  await page.locator('#ticket-priority').selectOption(priority);
  await page.locator('form button[type=submit]').click();
  await expect(page.locator('h1#ticket-title')).toHaveText(title);
}

/** Waits until the save indicator says every change is in IndexedDB. */
export async function expectSaved(page) {
  await expect(page.locator('.save-status')).toHaveAttribute('data-save', 'Saved');
}

/** Runs axe-core on the current page and fails on any serious or critical violation. */
export async function expectAccessible(page, label) {
  // Evaluated over the DevTools protocol: the page's Content-Security-Policy forbids inline scripts.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  expect(serious.map((v) => `${label}: ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

const relayBinary = `${resolve(import.meta.dirname, '../..')}/target/release/sync-server`;

/** Starts a relay of our own (for tests that stop it), serving the release page from a fresh data
 * folder, or from `data` to restart one. */
export async function startRelay(port, data = mkdtempSync(join(tmpdir(), 'innerdesk-relay-'))) {
  const root = resolve(import.meta.dirname, '../..');
  const child = spawn(relayBinary,
    ['--addr', `127.0.0.1:${port}`, '--data-dir', data, '--page-dir', `${root}/dist`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`the relay on port ${port} exited (port in use?)`);
    try {
      if ((await fetch(`${url}healthz`)).ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    data,
    stop: () => { child.kill('SIGKILL'); return exited; },
  };
}

/** Revokes every sign-in token of a person with the relay's admin command. */
export function revoke(relay, email) {
  execFileSync(relayBinary, ['--data-dir', relay.data, 'people', 'revoke', email]);
}

/** Adds a person with the relay's admin command; returns their id, token and sign-in link. */
export async function addPerson(relay, { name, email, department, role }) {
  const out = execFileSync(relayBinary, ['--data-dir', relay.data, 'people', 'add', '--name', name,
    '--email', email, '--department', department, '--role', role, '--url', relay.url], { encoding: 'utf8' });
  const token = out.match(/^token: (\S+)$/m)[1];
  const link = out.match(/^sign-in link: (\S+)$/m)[1];
  const session = await (await fetch(`${relay.url}api/session`, { headers: { Authorization: `Bearer ${token}` } })).json();
  return { id: session.person.id, token, link, name };
}

/** The id in the current `#/t/<id>` address. */
export function ticketIdOf(page) {
  return new URL(page.url()).hash.replace('#/t/', '');
}

/** A browser context signed in through a sign-in link, with a switch that cuts its network. */
export async function personAt(browser, person) {
  const context = await browser.newContext();
  let online = true;
  const sockets = new Set();
  // Cutting the network must also cut open WebSockets, which offline emulation leaves alone.
  await context.routeWebSocket(/\/sync/, (ws) => {
    if (!online) return ws.close();
    const server = ws.connectToServer();
    sockets.add({ ws, server });
  });
  const page = await context.newPage();
  const received = [];
  const socketUrls = [];
  page.on('websocket', (socket) => {
    socketUrls.push(socket.url());
    socket.on('framereceived', (frame) => received.push(Buffer.from(frame.payload)));
  });
  await page.goto(person.link);
  await expect(page.locator('[data-signed-in]')).toContainText(person.name);
  expect(page.url()).not.toContain(person.token);
  await page.getByRole('button', { name: /Go to tickets|前往工单/ }).click();
  await expect(page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');
  // The socket opened with a one-use ticket: the sign-in secret is in no address.
  expect(socketUrls.length).toBeGreaterThan(0);
  for (const url of socketUrls) expect(url).toMatch(/\/sync\?ticket=idt_[^&]+$/);
  return {
    page,
    context,
    received,
    async offline() {
      online = false;
      await context.setOffline(true);
      for (const { ws, server } of sockets) { ws.close(); server.close(); }
      sockets.clear();
      await expect(page.locator('.sync-status')).toHaveAttribute('data-sync', 'offline');
    },
    async online() {
      online = true;
      await context.setOffline(false);
    },
  };
}

/** Writes a desk prepared natively (chunks as hex, and settings) into the page's IndexedDB, exactly
 * as the page stores it, a batch at a time so a large desk never travels as one message. Call on a
 * page of the right origin before the app has opened its database. */
export async function seedDesk(page, { chunks, settings }) {
  const BATCH = 2_000;
  for (let i = 0; i < chunks.length || i === 0; i += BATCH) {
    await page.evaluate(async ({ batch, settings }) => {
      const db = await new Promise((ok, fail) => {
        const r = indexedDB.open('innerdesk', 1);
        r.onupgradeneeded = () => { r.result.createObjectStore('chunks'); r.result.createObjectStore('settings'); };
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const tx = db.transaction(['chunks', 'settings'], 'readwrite');
      for (const [key, hex] of batch) {
        const bytes = new Uint8Array(hex.length / 2);
        for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
        tx.objectStore('chunks').put(bytes, key);
      }
      for (const [name, value] of Object.entries(settings)) tx.objectStore('settings').put(value, name);
      await new Promise((ok, fail) => { tx.oncomplete = ok; tx.onabort = () => fail(tx.error); });
      db.close();
    }, { batch: chunks.slice(i, i + BATCH), settings });
  }
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const sha256 = (bytes) => createHash('sha256').update(bytes).digest();

function base58(bytes) {
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) { out = BASE58[Number(n % 58n)] + out; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; out = `1${out}`; }
  return out;
}

function unbase58(text) {
  let n = 0n;
  for (const c of text) n = n * 58n + BigInt(BASE58.indexOf(c));
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const zeros = text.match(/^1*/)[0].length;
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, 'hex')]);
}

/** A document id as the page writes it (base58check of 16 bytes, as automerge-repo does). */
function documentId(bytes) {
  const check = sha256(sha256(bytes)).subarray(0, 4);
  return base58(Buffer.concat([bytes, check]));
}

/** The id of a part of a ticket (`team`, `staff`, or `person` with an email), derived from the
 * ticket's id the way every device derives it. */
export function partId(ticketId, part, email = '') {
  const ticket = unbase58(ticketId).subarray(0, 16);
  const pieces = [Buffer.from('innerdesk ticket part\0'), ticket, Buffer.from(part)];
  if (part === 'person') pieces.push(Buffer.from('\0'), Buffer.from(email.trim().toLowerCase()));
  return documentId(sha256(Buffer.concat(pieces)).subarray(0, 16));
}

/** Every key and value one object store of this page's IndexedDB holds, values as text (lossy
 * where not UTF-8). */
export async function storedChunks(page, storeName = 'chunks') {
  return page.evaluate(async (storeName) => {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open('innerdesk');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const store = db.transaction(storeName).objectStore(storeName);
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map((r) => new Promise((ok) => { r.onsuccess = () => ok(r.result); })));
    db.close();
    const text = (v) => (typeof v === 'string' ? v : new TextDecoder().decode(v));
    return keys.map((k, i) => [String(k), text(values[i])]);
  }, storeName);
}

/** A plain JavaScript automerge-repo client (the npm packages, not our code) signed in as
 * `person` from `device`: it syncs and edits documents raw, as anyone could. Like the page, it
 * opens its socket with a one-use ticket from /api/session. */
export async function jsClient(relay, person, device) {
  const response = await fetch(`${relay.url}api/session?device=${device}`, { headers: { Authorization: `Bearer ${person.token}` } });
  const { ticket } = await response.json();
  const url = `${relay.url.replace('http', 'ws')}sync?ticket=${ticket}`;
  const adapter = new WebSocketClientAdapter(url);
  const repo = new Repo({ network: [adapter], peerId: `${person.id}~${device}` });
  return { repo, adapter };
}
