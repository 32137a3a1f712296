// Two languages from the first screen; every page passes an accessibility check and works by keyboard.
import { test, expect } from '@playwright/test';
import { signIn, fileTicket, expectSaved, expectAccessible } from './helpers.mjs';

test('the switch shows Chinese, and the choice survives a reload', async ({ page }) => {
  await signIn(page);
  await fileTicket(page, { title: 'Badge reader broken' });
  await page.getByRole('button', { name: '切换到中文' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.locator('#ticket-status')).toHaveText('新建');
  await expect(page.getByRole('button', { name: '开始处理' })).toBeVisible();
  await expect(page.locator('.history li')).toContainText(['Ann Lee 提交了工单']);
  await page.getByRole('link', { name: '工单', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('工单');
  await expect(page.locator('.list-foot')).toHaveText('显示 1 / 1 个工单');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('工单');
  await page.getByRole('button', { name: 'Switch to English' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tickets');
});

test('a Chinese browser gets Chinese on first open', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('欢迎使用 Innerdesk');
  await context.close();
});

for (const locale of ['en-US', 'zh-CN']) {
  test(`every page passes the accessibility check (${locale})`, async ({ browser }) => {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto('./');
    await expect(page.locator('#profile-name')).toBeVisible();
    await expectAccessible(page, 'profile');
    await page.locator('#profile-name').fill('Ann');
    await page.locator('#profile-department').fill('HR');
    await page.locator('form button[type=submit]').click();
    await expect(page.locator('.list-page')).toBeVisible();
    await expectAccessible(page, 'empty list');
    await page.goto('./#/new');
    await page.locator('form button[type=submit]').click();
    await expect(page.locator('.form-error')).toBeVisible();
    await expectAccessible(page, 'form with errors');
    await fileTicket(page, { title: 'Access check', description: 'Body' });
    await page.locator('#comment-body').fill('Note');
    await page.locator('.comment-form button[type=submit]').click();
    await expect(page.locator('.comment')).toHaveCount(1);
    await expectAccessible(page, 'ticket');
    await page.goto('./');
    await expect(page.locator('.tickets tbody tr')).toHaveCount(1);
    await expectAccessible(page, 'list');
    await page.setViewportSize({ width: 360, height: 740 });
    await expectAccessible(page, 'list on a phone');
    // A desk of one's own keeps its own directory: import a small one, then check both new pages.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('./#/directory');
    await page.locator('#import-file').setInputFiles({ name: 'p.csv', mimeType: 'text/csv',
      buffer: Buffer.from('姓名,邮箱,部门,上级\n张三,zs@x.cn,信息技术部,\n李四,ls@x.cn,财务部,zs@x.cn\n') });
    await page.locator('#import-apply').click();
    await page.locator('.tree-item', { hasText: '财务部' }).click();
    await expect(page.locator('#department-name')).toHaveText('财务部');
    await expectAccessible(page, 'directory');
    await page.goto('./#/customers');
    await expect(page.locator('h1')).toBeVisible();
    await expectAccessible(page, 'customers');
    // The voice of the customer: on a desk of one's own, every form is open to its owner.
    for (const route of ['surveys', 'report', 'needs', 'bulletin']) {
      await page.goto(`./#/${route}`);
      await expect(page.locator('.subnav')).toBeVisible();
      await expectAccessible(page, route);
    }
    // Measurement over a desk of one ticket, including a phone's width.
    for (const route of ['measure', 'measure/map', 'measure/bottlenecks', 'measure/forecast']) {
      await page.goto(`./#/${route}`);
      await expect(page.locator('.measure-page .subnav')).toBeVisible();
      await expectAccessible(page, route);
    }
    // The knowledge pages, empty and with an article, also at a phone's width.
    for (const route of ['kb', 'search', 'ask', 'kb/new']) {
      await page.goto(`./#/${route}`);
      await expect(page.locator('.subnav')).toBeVisible();
      await expectAccessible(page, route);
    }
    await page.locator('#article-title-en').fill('Printer jams');
    await page.locator('#article-title-zh').fill('打印机卡纸');
    await page.locator('#article-body-en').fill('Open the front cover.');
    await page.locator('form button[type=submit]').click();
    await expect(page.locator('.article h1')).toBeVisible();
    await expectAccessible(page, 'article');
    await page.setViewportSize({ width: 360, height: 740 });
    await expectAccessible(page, 'article on a phone');
    await page.goto('./#/measure');
    await expect(page.locator('#kpi-totals')).toBeVisible();
    await expectAccessible(page, 'measure on a phone');
    // Automation: a rule being written, with a condition and an action, wide and narrow.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('./#/automation');
    await page.locator('#new-rule summary').click();
    await page.locator('#new-rule .rows button').first().click();
    await page.locator('#new-rule .rows button').last().click();
    await expect(page.locator('#new-rule .rule-row')).toHaveCount(2);
    await page.locator('#new-chain summary').click();
    await page.locator('#new-macro summary').click();
    await expectAccessible(page, 'automation');
    await page.setViewportSize({ width: 360, height: 740 });
    await expectAccessible(page, 'automation on a phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('./#/signin');
    await page.locator('#sign-in-token').fill('idk_not_a_real_token');
    await page.locator('form button[type=submit]').click();
    await expect(page.locator('[role=alert]')).toBeVisible();
    await expectAccessible(page, 'sign-in refused');
    await context.close();
  });
}

test('a ticket can be filed and worked entirely from the keyboard', async ({ page }) => {
  await page.goto('./');
  await expect(page.locator('#profile-name')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.locator('.skip-link')).toBeFocused();
  await page.locator('#profile-name').focus();
  await page.keyboard.type('Keyboard User');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Operations');
  await page.keyboard.press('Enter');
  await expect(page.locator('.list-page')).toBeVisible();

  await page.locator('.page-head a.button').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#ticket-title')).toBeVisible();
  await page.locator('#ticket-title').focus();
  await page.keyboard.type('Keyboard only ticket');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Typed without a mouse');
  await page.keyboard.press('Tab'); // requester, prefilled
  await expect(page.locator('#ticket-requester')).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.type('IT');
  await page.keyboard.press('Enter');
  await expect(page.locator('h1#ticket-title')).toHaveText('Keyboard only ticket');

  await page.locator('.status-actions button').first().focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#ticket-status')).toHaveText('In progress');
  await page.locator('#comment-body').focus();
  await page.keyboard.type('Done by keyboard');
  await page.keyboard.press('Tab'); // the reply/note choice is one stop; arrows move within it
  await expect(page.locator('input[value=public]')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('.comment-form button[type=submit]')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('.comment')).toContainText('Done by keyboard');
  await expectSaved(page);
});
