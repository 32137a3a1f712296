// Tickets, fully local: file, discuss, move through the workflow, find again; everything survives reloads.
import { test, expect } from '@playwright/test';
import { signIn, fileTicket, expectSaved } from './helpers.mjs';

test('a ticket keeps its status, comments and history across a reload and a closed tab', async ({ page, context }) => {
  await signIn(page, 'Ann Lee', 'Finance');
  await fileTicket(page, { title: 'Expense report rejected 报销被拒', description: 'Line 3 shows the wrong cost centre.', priority: 'high', category: 'Expenses' });
  await page.getByRole('button', { name: 'Start work' }).click();
  await expect(page.locator('#ticket-status')).toHaveText('In progress');
  await page.locator('#comment-body').fill('We are looking into it');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('#comment-body').fill('Approver was on leave');
  await page.getByLabel(/Internal note/).check();
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.locator('.comment')).toHaveCount(2);
  await expectSaved(page);

  await page.reload();
  await expect(page.locator('#ticket-title')).toHaveText('Expense report rejected 报销被拒');
  await expect(page.locator('#ticket-status')).toHaveText('In progress');
  await expect(page.locator('.facts')).toContainText('High');
  await expect(page.locator('.facts')).toContainText('Expenses');
  await expect(page.locator('.description')).toHaveText('Line 3 shows the wrong cost centre.');
  await expect(page.locator('.comment').nth(0)).toContainText('We are looking into it');
  await expect(page.locator('.comment.internal')).toContainText('Approver was on leave');
  const history = page.locator('.history li');
  await expect(history).toHaveCount(4);
  await expect(history.nth(0)).toContainText('Ann Lee added an internal note');
  await expect(history.nth(2)).toContainText('Ann Lee changed the status from New to In progress');
  await expect(history.nth(3)).toContainText('Ann Lee filed the ticket');

  // A closed tab loses nothing: a new tab of the same browser finds it all.
  const address = page.url();
  await page.close();
  const again = await context.newPage();
  await again.goto(address);
  await expect(again.locator('.comment')).toHaveCount(2);
  await again.goto('./');
  await expect(again.locator('.tickets tbody tr')).toHaveCount(1);
  await expect(again.locator('.tickets tbody tr')).toContainText('In progress');
});

test('the workflow runs to closed and a closed ticket can be reopened', async ({ page }) => {
  await signIn(page);
  await fileTicket(page, { title: 'New starter needs a laptop' });
  await page.getByRole('button', { name: 'Wait for requester' }).click();
  await expect(page.locator('#ticket-status')).toHaveText('Waiting on requester');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.locator('#ticket-status')).toHaveText('Closed');
  await expect(page.locator('.status-actions button')).toHaveText(['Reopen']);
  await page.getByRole('button', { name: 'Reopen' }).click();
  await expect(page.locator('#ticket-status')).toHaveText('In progress');
  await expectSaved(page);
  await page.reload();
  await expect(page.locator('.history li').first()).toContainText('from Closed to In progress');
});

test('a ticket can be handed to another department with a new priority, and the history says so', async ({ page }) => {
  await signIn(page, '王芳', '财务部');
  await fileTicket(page, { title: 'Desk phone dead', department: 'IT', priority: 'normal' });
  await page.getByText('Change priority, department or category').click();
  await page.locator('#edit-department').fill('  ');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('#edit-department-error')).toHaveText('Enter the serving department.');
  await page.locator('#edit-priority').selectOption('urgent');
  await page.locator('#edit-department').fill('Facilities');
  await page.locator('#edit-category').fill('Telephony');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('.facts')).toContainText('Urgent');
  await expect(page.locator('.facts')).toContainText('Facilities');
  await expect(page.locator('.history li').nth(0)).toContainText('王芳 changed the category from — to Telephony');
  await expect(page.locator('.history li').nth(1)).toContainText('王芳 handed the ticket from IT to Facilities');
  await expect(page.locator('.history li').nth(2)).toContainText('王芳 changed the priority from Normal to Urgent');
  await expectSaved(page);
  await page.goto('./');
  await page.locator('#filter-department').selectOption('Facilities');
  await expect(page.locator('.tickets tbody tr')).toHaveText([/Desk phone dead.*Urgent.*Facilities/]);
});

test('bad input is refused with a clear message and nothing is saved', async ({ page }) => {
  await signIn(page);
  await page.goto('./#/new');
  await page.locator('#ticket-title').fill('   ');
  await page.locator('form button[type=submit]').click();
  await expect(page.locator('#ticket-title-error')).toHaveText('Enter a title.');
  await expect(page.locator('#ticket-title')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#ticket-title')).toBeFocused();
  await expect(page.locator('#ticket-department-error')).toHaveText('Enter the department that should handle this.');

  await page.locator('#ticket-title').fill('Huge log pasted');
  await page.locator('#ticket-department').fill('IT');
  await page.locator('#ticket-description').fill('x'.repeat(100 * 1024 + 1));
  await page.locator('form button[type=submit]').click();
  await expect(page.locator('#ticket-description-error')).toContainText('too large');
  await expect(page.locator('#ticket-title-error')).toBeHidden();

  await page.goto('./');
  await expect(page.locator('.empty')).toHaveText('No tickets yet. File the first one.');
  await page.reload();
  await expect(page.locator('.tickets tbody tr')).toHaveCount(0);

  await fileTicket(page, { title: 'Real ticket' });
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.locator('#comment-error')).toHaveText('Write something first.');
  await expect(page.locator('.comment')).toHaveCount(0);
});

test('search finds Chinese and English words; filters narrow the list', async ({ page }) => {
  await signIn(page, '王芳', '财务部');
  await fileTicket(page, { title: 'VPN 无法连接', department: 'IT', priority: 'high' });
  await fileTicket(page, { title: '报销单审批超时', department: '财务部' });
  await fileTicket(page, { title: 'Printer jammed on floor 3', department: 'Facilities', priority: 'urgent' });
  const code = await page.locator('.ticket-head .code').textContent();
  await page.goto('./');
  const rows = page.locator('.tickets tbody tr');
  await expect(rows).toHaveCount(3);

  const search = page.getByRole('searchbox');
  await search.fill('无法');
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText('VPN 无法连接');
  await search.fill('报销');
  await expect(rows).toHaveText([/报销单审批超时/]);
  await search.fill('PRINTER floor');
  await expect(rows).toHaveText([/Printer jammed/]);
  await search.fill(code.toLowerCase());
  await expect(rows).toHaveText([/Printer jammed/]);
  await search.fill('nothing like this');
  await expect(page.locator('.empty')).toContainText('No ticket matches');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(rows).toHaveCount(3);

  await page.locator('#filter-department').selectOption('IT');
  await expect(rows).toHaveText([/VPN/]);
  await page.locator('#filter-department').selectOption('');
  await page.locator('#filter-priority').selectOption('urgent');
  await expect(rows).toHaveText([/Printer/]);
  await page.locator('#filter-priority').selectOption('');
  await page.locator('#filter-status').selectOption('resolved');
  await expect(rows).toHaveCount(0);
  await page.locator('#filter-status').selectOption('new');
  await expect(rows).toHaveCount(3);
  await expect(page.locator('.list-foot')).toContainText('Showing 3 of 3 tickets');
});
