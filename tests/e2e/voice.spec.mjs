// The voice of the customer end to end, against the real relay: an administrator publishes a
// survey; an agent resolves 王芳's ticket; she is asked to rate it, rates it low, and a follow-up
// opens for IT; the rating reaches the agent and IT's satisfaction report. She answers the survey
// offline; once online the relay sums it up and everyone sees the result. A suggestion is made
// without a name, voted on and answered by the department it is for.
import { test, expect } from '@playwright/test';
import { addPerson, expectAccessible, fileTicket, personAt, startRelay } from './helpers.mjs';

test('rate a resolved ticket, see it in the report; answer a survey offline and see the aggregate', async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const relay = await startRelay(8320 + testInfo.parallelIndex);
  try {
    const rootPerson = await addPerson(relay, { name: 'Root', email: 'root@example.cn', department: 'IT', role: 'admin' });
    const wangPerson = await addPerson(relay, { name: '王芳', email: 'wang@example.cn', department: '财务部', role: 'requester' });
    const liPerson = await addPerson(relay, { name: 'Li Lei', email: 'li@example.cn', department: 'IT', role: 'agent' });
    const root = await personAt(browser, rootPerson);
    const wang = await personAt(browser, wangPerson);
    const li = await personAt(browser, liPerson);

    // The administrator publishes a quarterly survey; one with no questions is refused first.
    await root.page.goto(`${relay.url}#/surveys`);
    const builder = root.page.locator('.survey-builder');
    await builder.getByLabel('Name (Chinese)').fill('IT 服务满意度');
    await builder.getByLabel('Name (English)').fill('IT service satisfaction');
    await builder.getByRole('button', { name: 'Remove this question' }).click();
    await builder.getByRole('button', { name: 'Publish' }).click();
    await expect(builder.locator('#survey-problems')).toContainText('Add at least one question.');
    await builder.getByRole('button', { name: 'Add a question' }).click();
    await builder.getByLabel('Question (Chinese)').fill('总体满意度');
    await builder.getByLabel('Question (English)').fill('Overall satisfaction');
    await builder.getByLabel('Confidential').uncheck();
    await builder.getByRole('button', { name: 'Publish' }).click();
    await expect(builder.locator('[role=status]')).toContainText('Published');
    await expectAccessible(root.page, 'surveys (admin)');

    // 王芳 files a request; Li resolves it.
    await fileTicket(wang.page, { title: '报销系统登录失败', department: 'IT' });
    await li.page.goto(`${relay.url}#/`);
    await li.page.getByRole('link', { name: '报销系统登录失败' }).click();
    await li.page.locator('[data-to=in_progress]').click();
    await li.page.locator('[data-to=resolved]').click();
    await expect(li.page.locator('#ticket-status')).toHaveText('Resolved');

    // She is asked to rate it above her list; a score out of range cannot be sent.
    await wang.page.goto(`${relay.url}#/`);
    const prompt = wang.page.locator('.rating-prompt');
    await expect(prompt).toContainText('报销系统登录失败');
    await expectAccessible(wang.page, 'list with a rating request');
    await prompt.getByRole('link', { name: 'Rate it' }).click();
    await wang.page.getByRole('button', { name: 'Send rating' }).click();
    await expect(wang.page.locator('#rating-error')).toContainText('Choose a score from 1 to 5.');
    await wang.page.getByLabel(/^2\s*Dissatisfied/).check();
    await wang.page.getByLabel('Comment (optional)').fill('等了两天才回复');
    await wang.page.getByRole('button', { name: 'Send rating' }).click();
    await expect(wang.page.locator('.rating-given')).toHaveAttribute('data-score', '2');
    await expect(wang.page.getByRole('button', { name: 'Send rating' })).toHaveCount(0);
    await expectAccessible(wang.page, 'rated ticket');

    // The low score opened a follow-up for IT, and the request to rate is gone.
    await wang.page.goto(`${relay.url}#/`);
    await expect(wang.page.locator('.rating-prompt')).toHaveCount(0);
    await expect(wang.page.getByRole('link', { name: /Follow-up of a 2\/5 rating/ })).toBeVisible();

    // Li sees the rating on the ticket and in IT's report, the follow-up in his queue.
    await li.page.reload();
    await expect(li.page.locator('.rating-given')).toContainText('等了两天才回复');
    await li.page.goto(`${relay.url}#/`);
    await expect(li.page.getByRole('link', { name: /Follow-up of a 2\/5 rating/ })).toBeVisible();
    await li.page.goto(`${relay.url}#/report`);
    const providers = li.page.locator('#report-providers');
    await expect(providers.locator('tbody tr', { hasText: 'IT' })).toContainText('2.0');
    await expect(li.page.locator('#report-agents')).toContainText('Li Lei');
    await expectAccessible(li.page, 'satisfaction report');
    const download = li.page.waitForEvent('download');
    await li.page.locator('#report-csv').click();
    const csv = await (await download).path();
    expect((await import('node:fs')).readFileSync(csv, 'utf8')).toMatch(/^provider,service,agent,ratings,mean/);

    // 王芳 answers the survey offline; her answers wait on her device.
    await wang.page.goto(`${relay.url}#/surveys`);
    await expect(wang.page.locator('.survey-item')).toContainText('IT service satisfaction');
    await wang.offline();
    await wang.page.locator('.survey-item').getByRole('link', { name: 'Answer' }).click();
    await wang.page.getByRole('button', { name: 'Send answers' }).click();
    await expect(wang.page.locator('.field-error', { hasText: 'This question needs an answer.' })).toBeVisible();
    await wang.page.locator('.scale-option', { hasText: '4' }).locator('input').check();
    await wang.page.getByRole('button', { name: 'Send answers' }).click();
    await expect(wang.page.locator('.saved-note')).toContainText('counted once');
    await expectAccessible(wang.page, 'survey answers');
    await expect(root.page.locator('.survey-result')).toContainText('No answers yet.');

    // Back online: the relay sums it up, and the administrator (and anyone) sees the aggregate.
    await wang.online();
    await root.page.reload();
    const result = root.page.locator('.survey-result');
    await expect(result).toContainText('1 respondents', { timeout: 20_000 });
    await expect(result.locator('td.figure')).toHaveText('4.0 / 5');
    await root.page.goto(`${relay.url}#/report`);
    await expect(root.page.locator('#report-surveys tbody tr', { hasText: 'Overall satisfaction' })).toContainText('4.0');
    await wang.page.goto(`${relay.url}#/surveys`);
    await expect(wang.page.locator('.survey-item .badge.answered')).toBeVisible();
    await expect(wang.page.locator('.survey-result')).toContainText('1 respondents');

    // A suggestion for IT without a name; Li votes for it and answers for IT.
    await wang.page.goto(`${relay.url}#/bulletin`);
    await wang.page.getByLabel('Your suggestion').fill('报销系统增加进度查询');
    await wang.page.getByLabel('For', { exact: true }).selectOption('IT');
    await wang.page.getByLabel("Don't show my name").check();
    await wang.page.getByRole('button', { name: 'Suggest' }).click();
    const mine = wang.page.locator('.suggestion');
    await expect(mine).toContainText('Anonymous');
    await expect(mine).not.toContainText('王芳');
    await expectAccessible(wang.page, 'bulletin');
    await li.page.goto(`${relay.url}#/bulletin`);
    const seen = li.page.locator('.suggestion', { hasText: '报销系统增加进度查询' });
    await expect(seen).toBeVisible();
    await seen.getByRole('button', { name: /Support this suggestion/ }).click();
    await expect(seen).toHaveAttribute('data-votes', '1');
    await seen.getByLabel('Answer for your department').fill('下月上线');
    await seen.getByRole('button', { name: 'Answer', exact: true }).click();
    await expect(seen.locator('.reply')).toContainText('下月上线');
    await expect(wang.page.locator('.suggestion .reply')).toContainText('下月上线');
    await expect(wang.page.locator('.suggestion')).toHaveAttribute('data-votes', '1');

    // Li records a need measured live from the ratings, notes of an interview, and a plan.
    await li.page.goto(`${relay.url}#/needs`);
    await li.page.getByLabel('The need, in the customer\'s words').fill('报销系统问题处理太慢');
    await li.page.getByLabel('Serving department').selectOption('IT');
    await li.page.getByLabel('Measure', { exact: true }).selectOption('rating');
    await li.page.getByLabel('Target').fill('4');
    await li.page.getByRole('button', { name: 'Add need' }).click();
    const need = li.page.locator('#needs-ranked tbody tr');
    await expect(need).toContainText('Rating Anyone → IT: 2.0 against 4.0 (1 ratings)');
    // 3 × 3, raised by the 50% shortfall: 13.5.
    await expect(need.locator('td.figure')).toHaveText('13.5');
    await li.page.getByLabel('Subject').fill('财务部季度座谈');
    await li.page.locator('fieldset', { hasText: 'Departments present' }).getByLabel('IT').check();
    await li.page.getByLabel('Points raised').fill('报销审批看不到进度\n周末无人值班');
    await li.page.getByRole('button', { name: 'Add notes' }).click();
    await expect(li.page.locator('.interview')).toContainText('周末无人值班');
    await li.page.locator('.interview .link-need').first().selectOption({ label: '报销系统问题处理太慢' });
    await expect(need.locator('td.evidence-count')).toHaveText('1');
    await li.page.getByLabel('Plan', { exact: true }).fill('工作日 4 小时内响应');
    await li.page.getByLabel('Improves').selectOption({ label: '报销系统问题处理太慢' });
    await li.page.getByLabel('Owner').fill('Li Lei');
    await li.page.getByLabel('Actions').fill('排值班表\n写常见问题');
    await li.page.getByRole('button', { name: 'Add plan' }).click();
    const plan = li.page.locator('.plan');
    await expect(plan).toContainText('Before 2.0 → now 2.0 (±0)');
    await expect(need).toContainText('Planned');
    await expectAccessible(li.page, 'needs workbench');
    // Requesters do not see the workbench.
    await wang.page.goto(`${relay.url}#/needs`);
    await expect(wang.page.locator('.needs-page')).toContainText('The needs workbench is for the serving teams.');
  } finally {
    await relay.stop();
  }
});
