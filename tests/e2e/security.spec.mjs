// The page under the relay's Content-Security-Policy: every page works with no violation, a script
// slipped into the page does not run, the headers are on what the relay serves, and another site
// cannot put the desk in a frame.
import { test, expect } from '@playwright/test';
import { expectSaved, fileTicket, signIn } from './helpers.mjs';

/** Records every policy violation the page reports, from its first moment. */
async function watchPolicy(context) {
  await context.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

test('every page runs under the security policy, and a slipped-in script does not', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  await watchPolicy(context);
  const page = await context.newPage();
  const response = await page.goto('./');
  const headers = response.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');

  await signIn(page);
  await fileTicket(page, { title: 'Printer on 3F jams', description: 'Since Monday' });
  await expectSaved(page);
  for (const route of ['#/', '#/directory', '#/catalog', '#/sla', '#/customers', '#/surveys', '#/report',
    '#/needs', '#/bulletin', '#/measure', '#/measure/map', '#/measure/bottlenecks', '#/measure/forecast',
    '#/kb', '#/ask', '#/automation', '#/profile']) {
    await page.goto(route);
    await expect(page.locator('main h1').first()).toBeVisible();
  }
  expect(await page.evaluate(() => window.violations)).toEqual([]);

  // A script element that found its way into the page is refused, and the refusal is reported.
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.ran = true';
    document.body.append(script);
  });
  await expect.poll(() => page.evaluate(() => window.violations.length)).toBe(1);
  expect(await page.evaluate(() => window.ran)).toBeUndefined();
  await context.close();
});

test('another site cannot show the desk in a frame', async ({ browser, baseURL }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent(`<iframe id="desk" src="${baseURL}"></iframe>`);
  const frame = await (await page.locator('#desk').elementHandle()).contentFrame();
  // A refused frame holds the browser's error page, never the desk.
  await expect.poll(() => frame.url()).toBe('chrome-error://chromewebdata/');
  expect(await frame.locator('noscript, .skip-link').count()).toBe(0);
  await context.close();
});
