// Writes docs/performance.md from the figures `benches/run` measured: the relay against the reference
// automerge-repo sync server, and the page in headless Chromium; with the machine, the versions and
// the command.
// Usage: node benches/report.mjs <relay.json> <page.json>
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const [relayFile, pageFile] = process.argv.slice(2);
const relay = JSON.parse(readFileSync(relayFile, 'utf8'));
const page = JSON.parse(readFileSync(pageFile, 'utf8'));

const run = (cmd, args) => {
  try { return execFileSync(cmd, args, { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; }
};
const packageVersion = (name) =>
  JSON.parse(readFileSync(`${root}/benches/reference-relay/node_modules/${name}/package.json`, 'utf8')).version;
const lockedCrate = (name) => {
  const lock = readFileSync(`${root}/Cargo.lock`, 'utf8');
  return lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`))?.[1] ?? 'unknown';
};
const os = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="(.+)"$/m)?.[1] ?? 'unknown';

// A figure no run produced (nothing arrived in time) is null: shown as a dash.
const number = (x, digits = 1) => (x == null ? '—'
  : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const times = (x) => `${number(x, 2)}×`;

// Relay: higher is better for rates, lower for times and memory.
const RELAY_ROWS = [
  ['Upload: documents synced per second', 'upload_docs_per_s', 'higher', '≥ 10×'],
  ['Follow another device\'s documents: documents per second', 'follow_docs_per_s', 'higher', null],
  ['Throughput: changes delivered to the other device per second', 'throughput_changes_per_s', 'higher', '≥ 10×'],
  ['Steady changes delivered per second (the offered rate)', 'steady_changes_per_s', 'higher', null],
  ['Change → arrival at the other device, p50 (ms)', 'steady_p50_ms', 'lower', null],
  ['Change → arrival at the other device, p99 (ms)', 'steady_p99_ms', 'lower', null],
  ['Catch-up of tickets filed offline (ms)', 'catch_up_ms', 'lower', null],
  ['Resident memory under load (MiB)', 'rss_mib', 'lower', '≤ 0.2×'],
  ['Peak resident memory (MiB)', 'peak_rss_mib', 'lower', '≤ 0.2×'],
  ['Resident memory before a sync message that inflates to 256 MiB (MiB)', 'bomb_rss_before_mib', 'lower', null],
  ['… and once the server has answered it or cut its sender (MiB)', 'bomb_rss_after_mib', 'lower', null],
  ['Server CPU time per document or change (ms)', 'cpu_ms_per_change', 'lower', null],
  ['Connections the server cut (clients reconnect)', 'connections_cut', 'lower', null],
  ['Documents or changes not delivered within a phase\'s time limit', 'undelivered', 'lower', null],
];

function relayRow([label, key, , goal]) {
  const ours = relay.ours[key];
  const theirs = relay.reference[key];
  const comparable = ours != null && theirs > 0;
  const ratio = comparable ? times(ours / theirs) : '—';
  let met = '';
  if (goal && comparable) {
    const bound = Number(goal.replace(/[^0-9.]/g, ''));
    met = (goal.startsWith('≥') ? ours / theirs >= bound : ours / theirs <= bound) ? 'met' : '**missed**';
  }
  return `| ${label} | ${number(ours)} | ${number(theirs)} | ${ratio} | ${goal ?? ''} ${met} |`;
}

/** Says plainly when a server left work undone within the phases' time limits: its rates then count
 * only what arrived in time, which is not the same as a slower rate. */
function shortfall() {
  return [['Innerdesk', relay.ours], ['The reference', relay.reference]]
    .filter(([, figures]) => figures.undelivered > 0)
    .flatMap(([name, figures]) => [
      `${name} left ${number(figures.undelivered, 0)} documents or changes undelivered when phases ran out of time`,
      `(${relay.phase_seconds} s each) and cut ${number(figures.connections_cut, 0)} connections; its rates count only what arrived in time.`,
      '',
    ]);
}

// Group commit: the relay as shipped, syncing every change to disk before acknowledging it,
// against the same relay with --unsynced-writes, in the same runs.
const DURABILITY_ROWS = [
  ['Upload: documents synced per second', 'upload_docs_per_s', 'higher'],
  ['Throughput: changes delivered to the other device per second', 'throughput_changes_per_s', 'higher', 0.2],
  ['Change → arrival at the other device, p50 (ms)', 'steady_p50_ms', 'lower'],
  ['Change → arrival at the other device, p99 (ms)', 'steady_p99_ms', 'lower'],
  ['Catch-up of tickets filed offline (ms)', 'catch_up_ms', 'lower'],
  ['Server CPU time per document or change (ms)', 'cpu_ms_per_change', 'lower'],
];

function durabilityRow([label, key, better, most]) {
  const synced = relay.ours[key];
  const unsynced = relay.ours_unsynced[key];
  const ratio = unsynced > 0 ? synced / unsynced : 1;
  const cost = better === 'higher' ? 1 - ratio : ratio - 1;
  const goal = most === undefined ? '' : `cost ≤ ${most * 100} % ${cost <= most ? 'met' : '**missed**'}`;
  return `| ${label} | ${number(synced)} | ${number(unsynced)} | ${times(ratio)} | ${goal} |`;
}

const PAGE_ROWS = [
  ['Cold start: navigation → interactive list, 10,000 tickets in IndexedDB', 'list_load', 'empty desk'],
  ['First visit (nothing cached), 10,000 tickets', 'list_first_visit', 'empty desk, first visit'],
  ['Filter keystroke → list laid out, 10,000 tickets', 'keystroke', '100 tickets'],
  ['Sort by due (every SLA clock recomputed), 10,000 tickets', 'sort_by_due', '100 tickets'],
  ['All KPIs over 50,000 tickets with two years of history', 'kpis', '5,000 tickets'],
  ['Search keystroke → results, 5,000 articles + 10,000 tickets', 'search', '500 articles + 1,000 tickets'],
  ['Assistant answer over 5,000 articles', 'assistant', '500 articles'],
  ['Every article read and searchable, 5,000 articles', 'articles_ready', '500 articles'],
  ['Catch-up after 1,000 tickets filed offline', 'catch_up', '100 tickets'],
  ['Memory with 10,000 tickets listed: JS heap + wasm memory', 'memory', 'empty desk'],
  ['… of which the JS heap (after garbage collection)', 'js_heap', 'empty desk'],
  ['… of which the wasm memory', 'wasm_memory', 'empty desk'],
  ['Transfer size of the first load, gzip', 'gzip', 'uncompressed'],
  ['Transfer size of the first load, brotli', 'brotli', 'uncompressed'],
];

function pageRow([label, key, baseline]) {
  const f = page[key];
  const goal = f.goal === null ? '' : `≤ ${number(f.goal, 0)} ${f.unit} ${f.value <= f.goal ? 'met' : '**missed**'}`;
  return `| ${label} | ${number(f.value)} ${f.unit} | ${number(f.baseline)} ${f.unit} (${baseline}) | ${times(f.ratio)} | ${goal} |`;
}

const lines = [
  '# Performance',
  '',
  'Written by `bash benches/run` (the figures below are from its last run; nothing here is typed by hand).',
  'Every figure is a median over repeated runs; every comparison is a ratio measured in the same run.',
  '',
  '## Machine and versions',
  '',
  `- ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${number(totalmem() / 2 ** 30)} GiB memory, ${os}`,
  `- ${run('rustc', ['--version'])}; Node.js ${process.version}; ${run('chromium', ['--version'])}`,
  `- Innerdesk ${run('git', ['rev-parse', '--short', 'HEAD'])}; automerge ${lockedCrate('automerge')} (Rust); reference: @automerge/automerge-repo ${packageVersion('@automerge/automerge-repo')}, -network-websocket ${packageVersion('@automerge/automerge-repo-network-websocket')}, -storage-nodefs ${packageVersion('@automerge/automerge-repo-storage-nodefs')}`,
  `- Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  '## The relay against the reference sync server',
  '',
  `Both servers on loopback, each fresh per run, driven by the same load generator (the page's own sync`,
  `state machine, native): ${relay.clients} clients (two devices of each of ${relay.clients / 2} people) × ${relay.docs} documents;`,
  `each client uploads its documents, follows its other device's, changes one document ${relay.rate}× a second for`,
  `${relay.seconds} s (the other device times each arrival), then makes ${relay.burst} changes back to back, each once the`,
  `server has the one before; then a device that filed ${relay.offline_tickets.toLocaleString('en-US')} tickets offline reconnects. Medians of ${relay.runs} runs.`,
  `Each phase gives up after ${relay.phase_seconds} s; rates count only what arrived, and what did not is counted below.`,
  'The reference is `benches/reference-relay/server.mjs`: a Repo with the WebSocket server adapter and file-system',
  'storage, sharing only what a client asks for, as the automerge-repo project\'s sync server is built.',
  '',
  '| | Innerdesk | reference | ratio | goal |',
  '|---|---:|---:|---:|---|',
  ...RELAY_ROWS.map(relayRow),
  '',
  ...shortfall(),
  '## What durability costs: group commit',
  '',
  'The same relay in the same runs, as shipped (each change synced to disk with `syncfs` before it is',
  'acknowledged; the changes written while one sync runs, and for 2 ms after it, share the next) and with `--unsynced-writes`',
  '(acknowledged once written, as before group commit: safe from a crash of the relay, not from a power cut).',
  '',
  '| | synced | not synced | ratio | goal |',
  '|---|---:|---:|---:|---|',
  ...DURABILITY_ROWS.map(durabilityRow),
  '',
  '## The page in headless Chromium',
  '',
  `The release build served by the real relay; IndexedDB filled exactly as the page stores it; medians of ${page.runs} loads.`,
  '',
  '| | value | baseline | ratio | goal |',
  '|---|---:|---:|---:|---|',
  ...PAGE_ROWS.map(pageRow),
  '',
  '## Reproduce',
  '',
  '```sh',
  'bash benches/run',
  '```',
  '',
];
mkdirSync(`${root}/docs`, { recursive: true });
writeFileSync(`${root}/docs/performance.md`, lines.join('\n'));
console.log(`wrote ${root}/docs/performance.md`);
