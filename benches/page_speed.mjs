// Measures the release page in headless Chromium, served by the real sync-server:
//  1. navigation → interactive ticket list, with 10,000 tickets in IndexedDB (baseline: an empty desk);
//  2. one search keystroke → filtered list laid out, over 10,000 tickets (baseline: 100 tickets);
//  3. the page's transfer size, gzip and brotli (baseline: the uncompressed size);
//  4. all KPIs over 50,000 tickets with two years of history (baseline: 5,000);
//  5. catch-up: a desk that filed 1,000 tickets offline signs in, until the relay has them all
//     (baseline: 100 tickets), each run against a fresh relay;
//  6. search over 5,000 articles and 10,000 tickets, per query (baseline: 500 articles and 1,000
//     tickets), and the assistant's answer over the same articles;
//  7. memory with 10,000 tickets listed: the JS heap after garbage collection and the wasm memory
//     (baseline: an empty desk).
// Usage: node benches/page_speed.mjs <folder with desk-0.json, desk-100.json, desk-1000.json, desk-10000.json,
//        history-5000.json, history-50000.json, kb-small.json and kb-big.json> [results.json]
import { createRequire } from 'node:module';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';

const require = createRequire(resolve(import.meta.dirname, '../tests/e2e/package.json'));
const { chromium } = require('@playwright/test');
const { seedDesk } = await import('../tests/e2e/helpers.mjs');
const root = resolve(import.meta.dirname, '..');
const [seeds, resultsFile] = process.argv.slice(2);
const port = Number(process.env.BENCH_PORT || 8290);
const url = `http://127.0.0.1:${port}/`;
const RUNS = 7;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const ms = (x) => `${x.toFixed(1)} ms`;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function startRelay(data = mkdtempSync(join(tmpdir(), 'innerdesk-bench-'))) {
  const child = spawn(`${root}/target/release/sync-server`, ['--addr', `127.0.0.1:${port}`, '--data-dir', data, '--page-dir', `${root}/dist`], { stdio: 'ignore' });
  child.data = data;
  child.exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${url}healthz`)).ok) return child; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('relay did not start');
}

/** Seconds from signing in (with `file`'s tickets filed offline) until the relay has them all. */
async function catchUpTimes(browser, file) {
  const times = [];
  for (let run = 0; run < 3; run++) {
    const relay = await startRelay();
    try {
      const out = execFileSync(`${root}/target/release/sync-server`, ['--data-dir', relay.data, 'people', 'add',
        '--name', '王芳', '--email', 'wang@example.cn', '--department', '财务部', '--url', url.replace(/\/$/, '')], { encoding: 'utf8' });
      const link = out.match(/^sign-in link: (\S+)$/m)[1];
      const { context, page } = await contextWithDesk(browser, file);
      await page.goto(link);
      await page.waitForSelector('[data-signed-in]', { timeout: 60_000 });
      const t0 = Date.now();
      await page.waitForSelector('.sync-status[data-sync="up-to-date"]', { timeout: 120_000 });
      times.push(Date.now() - t0);
      await context.close();
    } finally {
      relay.kill('SIGKILL');
      await relay.exited;
    }
  }
  return times;
}

/** A fresh browser context whose IndexedDB holds the seeded desk, exactly as the page stores it. */
async function contextWithDesk(browser, file) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasmMemory = e.detail.wasm.memory; });
    // Records the moment the list first shows rows (or says it is empty): the page is usable then.
    const seen = () => document.querySelector('.tickets tbody tr, .list-page .empty');
    new MutationObserver((_, observer) => {
      if (seen()) { window.__listReadyAt = performance.now(); observer.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  await page.goto(`${url}healthz`); // same origin, without starting the app
  await seedDesk(page, JSON.parse(readFileSync(file, 'utf8')));
  return { context, page };
}

/** Navigation → interactive list, on every load; the first visit (nothing cached, the service
 * worker installing) is kept apart from the rest. Memory is read after each load. */
async function listLoadTimes(browser, file) {
  const { context, page } = await contextWithDesk(browser, file);
  const cdp = await context.newCDPSession(page);
  const times = [];
  const heap = [];
  const wasm = [];
  let first;
  for (let i = 0; i <= RUNS; i++) {
    await page.goto(url);
    await page.waitForFunction(() => window.__listReadyAt !== undefined, null, { timeout: 60_000 });
    const t = await page.evaluate(() => window.__listReadyAt);
    if (i === 0) first = t; else times.push(t);
    await cdp.send('HeapProfiler.collectGarbage');
    heap.push((await cdp.send('Runtime.getHeapUsage')).usedSize);
    wasm.push(await page.evaluate(() => window.__wasmMemory?.buffer.byteLength ?? 0));
  }
  return { context, page, times, first, heap: median(heap), wasm: median(wasm) };
}

async function keystrokeTimes(page) {
  const queries = ['v', 'vp', 'vpn', '', '报', '报销', '报销单', '', 'p', 'pr', 'printer', '', '王', '王芳', ''];
  const times = [];
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      times.push(await page.evaluate(async (q) => {
        const input = document.getElementById('search');
        const t0 = performance.now();
        input.value = q;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 0)); // the page's reactive updates run before this
        void document.querySelector('.tickets').offsetHeight; // and style and layout are done
        return performance.now() - t0;
      }, q));
    }
  }
  const shown = await page.locator('.list-foot').textContent();
  return { times, shown };
}

/** Switching the list to "due soonest": every open ticket's clocks recomputed, sorted, drawn. */
async function sortByDueTimes(page) {
  const times = [];
  for (let round = 0; round < 8; round++) {
    for (const order of ['due', 'recent']) {
      const t = await page.evaluate(async (order) => {
        const select = document.getElementById('sort-by');
        const t0 = performance.now();
        select.value = order;
        select.dispatchEvent(new Event('change', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 0));
        void document.querySelector('.tickets').offsetHeight;
        return performance.now() - t0;
      }, order);
      if (order === 'due') times.push(t);
    }
  }
  return times;
}

/** The KPI dashboard over a desk with two years of history: the page times computing every ticket's
 * facts, every KPI by each grouping, the who-serves-whom map and the bottlenecks of the quarter, and
 * the twelve-month trend, and reports them on the page; each run is a fresh load. */
async function kpiTimes(browser, file) {
  const { context, page } = await contextWithDesk(browser, file);
  const times = [];
  await page.goto(`${url}#/measure`);
  for (let i = 0; i <= RUNS; i++) {
    if (i > 0) await page.reload();
    const section = page.locator('.measure-page');
    await page.waitForSelector('#kpi-table, .measure-page .empty', { timeout: 120_000 });
    const facts = Number(await section.getAttribute('data-facts-ms'));
    const kpis = Number(await section.getAttribute('data-kpi-ms'));
    const trend = Number(await page.locator('.trend').getAttribute('data-trend-ms'));
    if (i > 0) times.push(facts + kpis + trend);
  }
  const volume = await page.locator('#kpi-totals [data-kpi=volume]').getAttribute('data-value');
  await context.close();
  return { times, volume };
}

const QUERIES = ['vpn', 'reset password', 'printer jam', 'expense claim approval', 'wifi guest', 'annual leave',
  '打印机卡纸', '报销', '年假怎么申请', '工资条', '会议室', 'VPN 无法连接', 'laptop', '发票 税号', 'parking permit', '王芳'];

/** Search over a desk of articles and tickets: each query typed into the search page, timed from the
 * keystroke until the ranked, highlighted results are laid out; the page also records the search
 * itself (ranking and snippets). Then the assistant answers a question, timed the same way. */
async function searchTimes(browser, file, articles) {
  const { context, page } = await contextWithDesk(browser, file);
  const t0 = Date.now();
  // Ready once every article is read and indexed (the list of articles counts them all).
  await page.goto(`${url}#/kb`);
  await page.getByText(`of ${articles} articles`).waitFor({ timeout: 120_000 });
  const ready = Date.now() - t0;
  await page.goto(`${url}#/search`);
  const keystroke = [];
  const inPage = [];
  for (let round = 0; round < 5; round++) {
    for (const q of QUERIES) {
      const t = await page.evaluate(async (q) => {
        const input = document.getElementById('search-text');
        const t0 = performance.now();
        input.value = q;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 0));
        void document.getElementById('search-results').offsetHeight;
        return performance.now() - t0;
      }, q);
      keystroke.push(t);
      inPage.push(Number(await page.locator('#search-results').getAttribute('data-ms')));
    }
  }
  await page.goto(`${url}#/ask`);
  const assistant = [];
  for (let round = 0; round < RUNS; round++) {
    await page.locator('#assistant-question').fill('How do I reset a forgotten password?');
    const t = await page.evaluate(async () => {
      const t0 = performance.now();
      document.querySelector('form.ask button[type=submit]').click();
      await new Promise((r) => setTimeout(r, 0));
      void document.querySelector('.chat').offsetHeight;
      return performance.now() - t0;
    });
    assistant.push(t);
  }
  const answered = await page.locator('.assistant-reply[data-kind=answer]').count();
  await context.close();
  return { ready, keystroke, inPage, assistant, answered };
}

function pageSize() {
  const files = readdirSync(`${root}/dist`).filter((f) => /\.(wasm|js|css|html)$/.test(f) && f !== 'sw.js');
  const bytes = Buffer.concat(files.map((f) => readFileSync(`${root}/dist/${f}`)));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotliCompressSync(bytes).length };
}

let relay = await startRelay();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  const empty = await listLoadTimes(browser, `${seeds}/desk-0.json`);
  await empty.context.close();
  const small = await listLoadTimes(browser, `${seeds}/desk-100.json`);
  const smallKeys = await keystrokeTimes(small.page);
  const smallDue = await sortByDueTimes(small.page);
  await small.context.close();
  const big = await listLoadTimes(browser, `${seeds}/desk-10000.json`);
  const bigKeys = await keystrokeTimes(big.page);
  const bigDue = await sortByDueTimes(big.page);
  const badges = await big.page.locator('.due-badge').count();
  await big.context.close();
  const kpiSmall = await kpiTimes(browser, `${seeds}/history-5000.json`);
  const kpiBig = await kpiTimes(browser, `${seeds}/history-50000.json`);
  const withArticles = await listLoadTimes(browser, `${seeds}/kb-big.json`);
  await withArticles.context.close();
  const searchSmall = await searchTimes(browser, `${seeds}/kb-small.json`, 500);
  const searchBig = await searchTimes(browser, `${seeds}/kb-big.json`, 5000);
  const size = pageSize();
  relay.kill('SIGKILL');
  await relay.exited;
  const catchUpSmall = await catchUpTimes(browser, `${seeds}/desk-100.json`);
  const catchUpBig = await catchUpTimes(browser, `${seeds}/desk-1000.json`);

  console.log('Innerdesk page benchmark (headless Chromium, release build, real sync-server)');
  console.log(`list load, 10,000 tickets: median ${ms(median(big.times))}, p95 ${ms(p95(big.times))} (goal ≤ 1000 ms)`);
  console.log(`  baseline, empty desk:    median ${ms(median(empty.times))} → ratio ${(median(big.times) / median(empty.times)).toFixed(2)}×`);
  console.log(`  100 tickets:             median ${ms(median(small.times))}`);
  console.log(`  10,000 tickets and 5,000 articles (articles read after the list): median ${ms(median(withArticles.times))} → ratio ${(median(withArticles.times) / median(big.times)).toFixed(2)}× the 10,000-ticket desk`);
  console.log(`keystroke filter, 10,000 tickets: median ${ms(median(bigKeys.times))}, p95 ${ms(p95(bigKeys.times))} (goal ≤ 16 ms)`);
  console.log(`  baseline, 100 tickets:          median ${ms(median(smallKeys.times))}, p95 ${ms(p95(smallKeys.times))} → ratio ${(median(bigKeys.times) / median(smallKeys.times)).toFixed(2)}×`);
  console.log(`  list after the last keystroke: "${bigKeys.shown.trim()}"`);
  console.log(`sort by due (every clock of the open tickets recomputed), 10,000 tickets: median ${ms(median(bigDue))}, p95 ${ms(p95(bigDue))} (goal ≤ 150 ms)`);
  console.log(`  baseline, 100 tickets: median ${ms(median(smallDue))} → ratio ${(median(bigDue) / median(smallDue)).toFixed(2)}×; due badges drawn: ${badges}`);
  console.log(`all KPIs (facts, every KPI by five groupings, the map, the bottlenecks, the 12-month trend), 50,000 tickets: median ${ms(median(kpiBig.times))}, p95 ${ms(p95(kpiBig.times))} (goal ≤ 200 ms); ${Number(kpiBig.volume)} filed in the quarter`);
  console.log(`  baseline, 5,000 tickets: median ${ms(median(kpiSmall.times))} → ratio ${(median(kpiBig.times) / median(kpiSmall.times)).toFixed(2)}×`);
  console.log(`search, 5,000 articles + 10,000 tickets: keystroke → results laid out median ${ms(median(searchBig.keystroke))}, p95 ${ms(p95(searchBig.keystroke))} (goal ≤ 20 ms); ranking and snippets alone median ${ms(median(searchBig.inPage))}`);
  console.log(`  baseline, 500 articles + 1,000 tickets: median ${ms(median(searchSmall.keystroke))} → ratio ${(median(searchBig.keystroke) / median(searchSmall.keystroke)).toFixed(2)}×`);
  console.log(`  desk opened with every article read and searchable: ${ms(searchBig.ready)} (baseline ${ms(searchSmall.ready)})`);
  console.log(`assistant answer over 5,000 articles: median ${ms(median(searchBig.assistant))} (baseline ${ms(median(searchSmall.assistant))}); ${searchBig.answered}/${RUNS} answered`);
  console.log(`page size: gzip ${(size.gzip / 1024).toFixed(0)} KiB, brotli ${(size.brotli / 1024).toFixed(0)} KiB`);
  console.log(`  baseline, uncompressed: ${(size.raw / 1024).toFixed(0)} KiB → gzip ratio ${(size.gzip / size.raw).toFixed(2)}`);
  console.log(`catch-up after signing in with 1,000 tickets filed offline: median ${ms(median(catchUpBig))} (goal ≤ 2000 ms)`);
  console.log(`  baseline, 100 tickets: median ${ms(median(catchUpSmall))} → ratio ${(median(catchUpBig) / median(catchUpSmall)).toFixed(2)}×`);
  console.log(`memory with 10,000 tickets listed: JS heap ${mib(big.heap)}, wasm memory ${mib(big.wasm)}, together ${mib(big.heap + big.wasm)} (goal ≤ 80 MiB)`);
  console.log(`  baseline, empty desk: JS heap ${mib(empty.heap)}, wasm memory ${mib(empty.wasm)} → ratio ${((big.heap + big.wasm) / (empty.heap + empty.wasm)).toFixed(2)}×`);
  if (resultsFile) {
    const figure = (value, baseline, goal, unit = 'ms') => ({ value, baseline, ratio: value / baseline, goal, unit });
    writeFileSync(resultsFile, JSON.stringify({
      runs: RUNS,
      list_load: figure(median(big.times), median(empty.times), 1000),
      list_first_visit: figure(big.first, empty.first, null),
      keystroke: figure(median(bigKeys.times), median(smallKeys.times), 16),
      sort_by_due: figure(median(bigDue), median(smallDue), 150),
      kpis: figure(median(kpiBig.times), median(kpiSmall.times), 200),
      search: figure(median(searchBig.keystroke), median(searchSmall.keystroke), 20),
      assistant: figure(median(searchBig.assistant), median(searchSmall.assistant), null),
      articles_ready: figure(searchBig.ready, searchSmall.ready, null),
      catch_up: figure(median(catchUpBig), median(catchUpSmall), 2000),
      memory: figure((big.heap + big.wasm) / 2 ** 20, (empty.heap + empty.wasm) / 2 ** 20, 80, 'MiB'),
      js_heap: figure(big.heap / 2 ** 20, empty.heap / 2 ** 20, null, 'MiB'),
      wasm_memory: figure(big.wasm / 2 ** 20, empty.wasm / 2 ** 20, null, 'MiB'),
      gzip: figure(size.gzip / 1024, size.raw / 1024, 700, 'KiB'),
      brotli: figure(size.brotli / 1024, size.raw / 1024, null, 'KiB'),
    }, null, 2));
  }
} finally {
  await browser.close();
  relay.kill('SIGKILL');
}
