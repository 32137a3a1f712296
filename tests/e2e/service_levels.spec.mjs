// Service levels end to end, on a fixed clock in Shanghai: an administrator sets up a business
// calendar (a bad one is refused, an ICS file adds holidays), a policy and a catalog service with a
// question; a request for it shows its due time in business hours, pauses while waiting on the
// requester, and is flagged overdue once its target passes.
import { test, expect } from '@playwright/test';
import { expectAccessible, expectSaved, signIn } from './helpers.mjs';

test.use({ timezoneId: 'Asia/Shanghai' });

const MONDAY_9AM = new Date('2026-11-30T09:00:00+08:00');
const ICS = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20261001', 'DTEND;VALUE=DATE:20261008',
  'SUMMARY:国庆节', 'END:VEVENT', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20261010', 'SUMMARY:国庆节补班', 'END:VEVENT',
  'END:VCALENDAR'].join('\r\n');

test('a request is measured in business time, pauses while waiting, and is flagged when overdue', async ({ page }) => {
  test.setTimeout(120_000);
  await page.clock.install({ time: MONDAY_9AM });
  await signIn(page, 'Root', '信息技术部');

  // A calendar: Monday to Friday, 09:00-12:00 and 13:00-18:00 (the default), holidays from ICS.
  await page.goto('./#/sla');
  const calendar = page.locator('#new-calendar');
  await calendar.locator('summary').click();
  await calendar.getByLabel('Name', { exact: true }).fill('总部');
  await calendar.getByLabel('Tuesday').fill('09:00-12:00, 11:00-13:00');
  await calendar.getByRole('button', { name: 'Save calendar' }).click();
  await expect(calendar.locator('[role=alert]')).toContainText('Two working slots on Tuesday overlap');
  await calendar.getByLabel('Tuesday').fill('09:00-12:00, 13:00-18:00');
  await calendar.getByLabel('Import holidays from an ICS file').setInputFiles({ name: 'cn.ics', mimeType: 'text/calendar', buffer: Buffer.from(ICS) });
  await expect(calendar.getByLabel('Holidays', { exact: true })).toHaveValue(/2026-10-07 国庆节/);
  await expect(calendar.getByLabel('Make-up working days')).toHaveValue('2026-10-10');
  await calendar.getByRole('button', { name: 'Save calendar' }).click();
  await expect(calendar.locator('[role=status]')).toContainText('Saved');

  // A policy: normal priority responds within 60 and resolves within 240 business minutes.
  const policy = page.locator('#new-policy');
  await policy.locator('summary').click();
  await policy.getByLabel('Name', { exact: true }).fill('标准');
  await policy.getByLabel('Calendar').selectOption('总部');
  await policy.getByLabel('Normal · First response').fill('60');
  await policy.getByLabel('Normal · Resolution').fill('0');
  await policy.getByRole('button', { name: 'Save policy' }).click();
  await expect(policy.locator('[role=alert]')).toContainText('zero minutes');
  await policy.getByLabel('Normal · Resolution').fill('240');
  await policy.getByRole('button', { name: 'Save policy' }).click();
  await expect(policy.locator('[role=status]')).toContainText('Saved');
  await expectAccessible(page, 'service level settings');

  // A service with a required question.
  await page.goto('./#/catalog');
  const add = page.locator('#add-service');
  await add.locator('summary').click();
  await add.getByLabel('Name (Chinese)').fill('笔记本电脑申领');
  await add.getByLabel('Name (English)').fill('Laptop request');
  await add.getByLabel('Providing department').fill('信息技术部');
  await add.getByLabel('Queue that serves it').fill('桌面支持');
  await add.getByRole('button', { name: 'Add a question' }).click();
  await add.getByLabel('Question (Chinese)').fill('型号');
  await add.getByLabel('Question (English)').fill('Model');
  await add.getByLabel('Answer').selectOption('choice');
  await add.getByLabel('Choices (comma-separated)').fill('ThinkPad, MacBook');
  await add.getByLabel('Required').check();
  await add.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('.service-card')).toHaveCount(1);
  await expect(add.getByLabel('Name (Chinese)')).toHaveValue('');
  await page.locator('#service-search').fill('bjb');
  await expect(page.locator('.service-card')).toHaveCount(1);
  await expect(page.locator('.service-card')).toContainText('Responds within 1 h, resolves within 4 h');
  await expectAccessible(page, 'catalog');

  // Requesting it: the question must be answered.
  await page.locator('.service-card').getByRole('link', { name: 'Request' }).click();
  await expect(page.locator('h1')).toHaveText('Laptop request');
  await page.locator('form button[type=submit]').click();
  await expect(page.locator('.field-error', { hasText: 'Answer this question.' })).toBeVisible();
  await page.getByLabel(/Model/).selectOption('MacBook');
  await page.locator('form button[type=submit]').click();
  await expect(page.locator('h1#ticket-title')).toHaveText('Laptop request');
  await expect(page.locator('.answers')).toContainText('MacBook');
  const resolution = page.locator('[data-clock=Resolution]');
  await expect(resolution).toContainText('Due Nov 30, 2026, 2:00 PM'); // 4 h, lunch skipped
  await expect(page.locator('[data-clock=FirstResponse]')).toContainText('10:00 AM');
  await expectAccessible(page, 'ticket with service levels');
  await expectSaved(page);

  // An hour later it waits on the requester for an hour: the clock pauses and the due time moves.
  await page.clock.fastForward('01:00:00');
  await page.locator('button[data-to=waiting_on_requester]').click();
  await expect(resolution).toHaveAttribute('data-state', 'Paused');
  await expect(resolution).toContainText('Paused: Waiting on requester');
  await page.clock.fastForward('01:00:00');
  await page.locator('button[data-to=in_progress]').click();
  await expect(resolution).toContainText('Due Nov 30, 2026, 3:00 PM');

  // The list shows time left; past 15:00 the ticket is overdue there and in the header.
  await page.locator('a', { hasText: /^Tickets$/ }).first().click();
  await expect(page.locator('.due-badge').first()).toContainText('left');
  await page.clock.fastForward('05:00:00');
  await expect(page.locator('.due-badge[data-urgency=breached]').first()).toContainText('overdue');
  await expect(page.locator('#sla-alerts')).toContainText('1 overdue');
  await page.locator('#sort-by').selectOption('due');
  await expect(page.locator('.tickets tbody tr').first()).toContainText('Laptop request');
  await expectAccessible(page, 'list with due times');
});
