// The measurement pages end to end. A desk with two years of history is built natively by the app's
// own code (filing, replies, hand-offs, waiting, reopening, ratings) and loaded into the browser's
// IndexedDB; at the same fixed moment, the dashboard, the who-serves-whom map, the bottlenecks and
// the forecast must show exactly the figures the native measures computed for it, and every figure
// must open the tickets behind it.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectAccessible, seedDesk } from './helpers.mjs';

const root = resolve(import.meta.dirname, '../..');
let seed;
let expected;

test.beforeAll(() => {
  test.setTimeout(600_000); // builds the fixture generator on a fresh machine
  const dir = mkdtempSync(join(tmpdir(), 'innerdesk-measure-'));
  execFileSync('cargo', ['run', '--quiet', '-p', 'innerdesk-core', '--example', 'measure_desk', '--',
    '--tickets', '1000', '--out', `${dir}/desk.json`, '--expected', `${dir}/expected.json`], { cwd: root, stdio: 'inherit' });
  seed = JSON.parse(readFileSync(`${dir}/desk.json`, 'utf8'));
  expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8'));
});

/** A browser in Shanghai whose clock stands at the fixture's moment, holding the fixture's desk. */
async function openDesk(browser, baseURL) {
  const context = await browser.newContext({ baseURL, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  await page.clock.setFixedTime(new Date(expected.now));
  await page.goto('healthz');
  await seedDesk(page, seed);
  return { context, page };
}

/** Two figures agree: both absent, or equal to the printed precision. */
function expectFigure(shown, wanted, what) {
  if (wanted === null || wanted === undefined) {
    expect(shown, what).toBe('');
  } else {
    expect(Math.abs(Number(shown) - wanted), `${what}: ${shown} vs ${wanted}`).toBeLessThan(0.001);
  }
}

test('the KPI dashboard shows the native figures, explains them and opens the tickets behind them', async ({ browser, baseURL }) => {
  const { context, page } = await openDesk(browser, baseURL);
  await page.goto('#/measure');
  await expect(page.locator('#kpi-table')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('#kpi-period')).toHaveText('2026 Q4');

  for (const kpi of ['volume', 'on_time', 'first_response_median', 'resolution_median', 'backlog', 'satisfaction']) {
    const shown = await page.locator(`#kpi-totals [data-kpi=${kpi}]`).getAttribute('data-value');
    expectFigure(shown, expected.total[kpi], `total ${kpi}`);
  }
  await expect(page.locator('#kpi-table tbody tr')).toHaveCount(expected.providers.length);
  for (const line of expected.providers) {
    const row = page.locator(`#kpi-table tr[data-key="${line.key}"]`);
    for (const [kpi, value] of Object.entries(line.values)) {
      expectFigure(await row.locator(`td[data-kpi=${kpi}]`).getAttribute('data-value'), value, `${line.key} ${kpi}`);
    }
  }

  // Each figure says how it is computed.
  await page.getByText('How each figure is computed').click();
  await expect(page.locator('.definitions dt')).toHaveCount(14);
  await expect(page.locator('.definitions')).toContainText('90th percentile (nearest rank)');

  // A figure opens its tickets, by keyboard too, and the panel takes the focus.
  const it = expected.providers.find((l) => l.key === '信息技术部');
  const volume = page.locator('#kpi-table tr[data-key="信息技术部"] td[data-kpi=volume] button');
  await volume.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#drill-title')).toBeFocused();
  await expect(page.locator('#drill-count')).toContainText(`${it.values.volume} tickets behind this figure`);
  await expect(page.locator('#drill-table tbody tr')).toHaveCount(it.values.volume);
  const events = page.locator('#drill-table tbody tr').first().locator('details');
  await events.locator('summary').click();
  await expect(events.locator('li').first()).toContainText('filed');
  await expectAccessible(page, 'kpis with a figure opened');

  // The table as CSV.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#kpi-csv').click()]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toMatch(/^group,volume,first_response_median/);
  expect(csv).toHaveLength(expected.providers.length + 1);

  // Grouped by team, IT's two teams appear on their own.
  await page.locator('#kpi-by').selectOption('team');
  await expect(page.locator('#kpi-table tr[data-key="网络组"]')).toBeVisible();
  await expect(page.locator('#kpi-table tr[data-key="服务台"]')).toBeVisible();

  // The monthly trend is a chart with the same figures as a table for screen readers.
  await expect(page.locator('#kpi-trend svg rect.column')).toHaveCount(12);
  await expect(page.locator('#kpi-trend table tbody tr')).toHaveCount(12);
  await page.locator('button.lang').click();
  await expect(page.locator('h1')).toContainText('KPI 仪表板');
  await expectAccessible(page, 'kpis (zh-CN)');
  await context.close();
});

test('who serves whom, the bottlenecks and the forecast match the native figures', async ({ browser, baseURL }) => {
  const { context, page } = await openDesk(browser, baseURL);
  await page.goto('#/measure/map');
  await expect(page.locator('#service-map')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('#service-map td[data-volume]')).toHaveCount(expected.map.length);
  for (const cell of expected.map) {
    const td = page.locator(`#service-map td[data-customer="${cell.customer}"][data-provider="${cell.provider}"]`);
    await expect(td).toHaveAttribute('data-volume', String(cell.volume));
  }
  const busiest = expected.map.reduce((a, b) => (b.volume > a.volume ? b : a));
  // Coloured by its figure, through the style object (the security policy refuses style attributes).
  const shade = await page.locator(`#service-map td[data-customer="${busiest.customer}"][data-provider="${busiest.provider}"]`)
    .evaluate((td) => getComputedStyle(td).backgroundColor);
  expect(shade).not.toBe('rgba(0, 0, 0, 0)');
  await page.locator(`#service-map td[data-customer="${busiest.customer}"][data-provider="${busiest.provider}"] button`).click();
  await expect(page.locator('#drill-count')).toContainText(`${busiest.volume} tickets behind this figure`);
  await page.locator('#map-metric').selectOption('on_time');
  await expect(page.locator('#service-map caption')).toContainText('On time');
  await expectAccessible(page, 'who serves whom');

  await page.goto('#/measure/bottlenecks');
  await expect(page.locator('#status-time tbody tr')).toHaveCount(expected.status_time.length);
  const teams = await page.locator('#status-time tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.team));
  expect(teams).toEqual(expected.status_time);
  await expect(page.locator('#handoffs tbody tr')).toHaveCount(expected.handoffs.length);
  await expect(page.locator('#handoffs tbody tr').first()).toContainText(String(expected.handoffs[0].count));
  await expect(page.locator('#slowest-services tbody tr').first()).toBeVisible();
  await expectAccessible(page, 'bottlenecks');

  await page.goto('#/measure/forecast');
  const weeks = page.locator('#forecast-table tbody tr');
  await expect(weeks).toHaveCount(expected.forecast.means.length);
  const means = await weeks.evaluateAll((rows) => rows.map((r) => Number(r.dataset.mean)));
  means.forEach((m, i) => expectFigure(String(m), expected.forecast.means[i], `forecast week ${i + 1}`));
  expectFigure(await page.locator('#forecast-accuracy').getAttribute('data-mae'), expected.forecast.mae, 'back-test error');
  expectFigure(await page.locator('#forecast-accuracy').getAttribute('data-naive'), expected.forecast.naive_mae, 'seasonal-naive error');
  await expect(page.locator('#forecast-method')).toContainText('Holt-Winters');
  // Said the right way round, whichever forecast did better on the held-out quarter.
  const better = expected.forecast.mae <= expected.forecast.naive_mae;
  await expect(page.locator('#forecast-accuracy')).toContainText(better ? '% better' : '% worse');
  await expect(page.locator('#forecast-chart polygon.interval')).toHaveCount(1);
  // Fewer tickets per agent means more agents.
  await page.locator('#forecast-capacity').fill('5');
  await page.locator('#forecast-capacity').dispatchEvent('change');
  await expect(weeks.first().locator('td').nth(2)).toHaveText(String(Math.ceil(expected.forecast.means[0] / 5)));
  await expectAccessible(page, 'forecast');
  await page.locator('button.lang').click();
  await expect(page.locator('h1')).toContainText('需求预测');
  await expect(page.locator('#forecast-accuracy')).toContainText('回测');
  await expectAccessible(page, 'forecast (zh-CN)');
  await context.close();
});
