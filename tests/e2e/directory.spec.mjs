// The directory and internal customers, in real browsers against the real relay: an administrator
// imports 200 people in 20 departments from CSV (after a file with mistakes is refused row by row),
// finds people by pinyin, files requests between departments for them, and watches the customer
// segments move; a colleague on another device receives the directory but may not change it.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { addPerson, expectAccessible, expectSaved, startRelay } from './helpers.mjs';

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '勇', '艳', '杰', '涛', '明', '超', '霞', '平', '刚', '桂英', '建华', '秀兰', '志强'];
const DEPARTMENTS = ['信息技术部', '人力资源部', '财务部', '销售部', '市场部', '采购部', '法务部', '行政部', '研发一部', '研发二部',
  '质量部', '客服部', '物流部', '生产部', '安全部', '审计部', '战略部', '品牌部', '培训部', '总经办'];

/** 200 people, 10 in each of 20 departments; the first of each department manages the others. */
function directoryCsv() {
  const lines = ['姓名,邮箱,部门,上级,角色'];
  for (let i = 0; i < 200; i++) {
    const department = DEPARTMENTS[Math.floor(i / 10)];
    const head = Math.floor(i / 10) * 10;
    const name = i === 0 ? '张伟' : `${SURNAMES[i % 10]}${GIVEN[Math.floor(i / 10)]}${i}`;
    const manager = i === head ? '' : `p${head}@corp.cn`;
    lines.push(`${name},p${i}@corp.cn,${department},${manager},requester`);
  }
  return lines.join('\n') + '\n';
}

async function signInWithLink(browser, person) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(person.link);
  await expect(page.locator('[data-signed-in]')).toContainText(person.name);
  await page.getByRole('button', { name: /Go to tickets|前往工单/ }).click();
  await expect(page.locator('.sync-status')).toHaveAttribute('data-sync', 'up-to-date');
  return { page, context };
}

async function chooseFile(page, name, content) {
  await page.locator('#import-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content) });
}

/** Files a request for someone picked from the directory by what is typed (pinyin, initials…). */
async function fileFor(page, { typed, pick, serving, title, priority = 'normal' }) {
  await page.locator('a.primary-link').click();
  await page.locator('input#ticket-title').fill(title);
  await page.locator('#ticket-requester').fill(typed);
  await page.locator('#requester-options button', { hasText: pick }).click();
  await expect(page.locator('#ticket-requester-picked')).toContainText(pick);
  await page.locator('#ticket-department').selectOption({ label: serving });
  await page.locator('#ticket-priority').selectOption(priority);
  await page.locator('form button[type=submit]').click();
  await expect(page.locator('h1#ticket-title')).toHaveText(title);
}

function segmentOf(page, department) {
  return page.locator(`#customer-profiles tr[data-customer="${department}"]`);
}

test('import 200 people, find them by pinyin, file between departments and watch the segments change', async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const relay = await startRelay(8300 + testInfo.parallelIndex);
  try {
    const rootPerson = await addPerson(relay, { name: 'Root', email: 'root@corp.cn', department: '总经办', role: 'admin' });
    const zhangPerson = await addPerson(relay, { name: '张伟', email: 'p0@corp.cn', department: '信息技术部', role: 'requester' });
    const { page } = await signInWithLink(browser, rootPerson);
    await page.locator('a[href="#/directory"]').click();
    await expectAccessible(page, 'empty directory');

    // A file saved in a legacy encoding is refused as a whole.
    await chooseFile(page, 'gbk.csv', Buffer.from([0xd0, 0xd5, 0xc3, 0xfb, 0x2c, 0x65, 0x0a]));
    await expect(page.locator('#import-failed')).toContainText('UTF-8');

    // A file with mistakes lists each bad row, and nothing can be applied.
    const faulty = ['name,email,department,manager',
      '甲,a@corp.cn,财务部,b@corp.cn', '乙,b@corp.cn,财务部,a@corp.cn', // managers in a circle
      '丙,not-an-email,财务部,', '丁,a@corp.cn,财务部,'].join('\n');
    await chooseFile(page, 'faulty.csv', faulty);
    await expect(page.locator('#import-errors tbody tr')).not.toHaveCount(0);
    await expect(page.locator('#import-errors')).toContainText('not-an-email');
    await expect(page.locator('#import-errors')).toContainText('more than once');
    await expect(page.locator('#import-errors')).toContainText('chain of managers');
    await expect(page.locator('#import-apply')).toBeDisabled();
    await expectAccessible(page, 'import errors');
    await expect(page.locator('#directory-counts')).toContainText('0 departments · 0 people');

    // The real file: previewed, then applied.
    await chooseFile(page, 'people.csv', directoryCsv());
    await expect(page.locator('#import-summary')).toContainText('200 new people, 0 updated, 0 unchanged, 20 new departments');
    await page.locator('#import-apply').click();
    await expect(page.locator('#import-done')).toBeVisible();
    await expect(page.locator('#directory-counts')).toContainText('20 departments · 200 people');
    await expectSaved(page);

    // The export holds everyone, ready to edit and import again.
    const download = page.waitForEvent('download');
    await page.locator('#export-directory').click();
    const exported = readFileSync(await (await download).path(), 'utf8');
    expect(exported.trim().split('\n')).toHaveLength(201);
    expect(exported).toContain('张伟,p0@corp.cn,信息技术部');

    // A name a spreadsheet would run as a formula is exported as text, and reads back as it was.
    await chooseFile(page, 'people.csv', directoryCsv().replace('张伟,p0@', '=2+5,p0@'));
    await page.locator('#import-apply').click();
    await expect(page.locator('#import-done')).toBeVisible();
    const again = page.waitForEvent('download');
    await page.locator('#export-directory').click();
    const neutralised = readFileSync(await (await again).path(), 'utf8');
    expect(neutralised).toContain("\n'=2+5,p0@corp.cn,");
    await chooseFile(page, 'people.csv', neutralised);
    await expect(page.locator('#import-summary')).toContainText('0 new people, 0 updated, 200 unchanged');

    // Importing the same people again (one renamed) updates instead of duplicating.
    await chooseFile(page, 'people.csv', directoryCsv().replace('张伟,p0@', '张伟伟,p0@'));
    await expect(page.locator('#import-summary')).toContainText('0 new people, 1 updated, 199 unchanged, 0 new departments');
    await page.locator('#import-apply').click();
    await expect(page.locator('#directory-counts')).toContainText('20 departments · 200 people');

    // Found by characters, full pinyin and initials.
    for (const typed of ['张伟伟', 'zhangweiwei', 'zww']) {
      await page.locator('#people-search').fill(typed);
      await expect(page.locator('.dept-panel table.people')).toContainText('p0@corp.cn');
    }
    await page.locator('#people-search').fill('xxjs');
    await expect(page.locator('.dept-matches')).toContainText('信息技术部');
    await expectAccessible(page, 'directory search');

    // Requests between departments, each for a person picked by pinyin.
    const sales = (n) => ({ typed: `p${30 + n}@`, pick: `p${30 + n}@corp.cn` });
    for (let n = 0; n < 3; n++) {
      await fileFor(page, { ...sales(n), serving: '信息技术部', title: `销售部电脑故障 ${n}` });
    }
    await fileFor(page, { typed: 'p20@', pick: 'p20@corp.cn', serving: '信息技术部', title: '报销系统打不开' });
    await page.locator('a[href="#/customers"]').click();
    await expect(segmentOf(page, '销售部')).toHaveAttribute('data-segment', 'frequent');
    await expect(segmentOf(page, '财务部')).toHaveAttribute('data-segment', 'occasional');
    await expect(segmentOf(page, '销售部')).toContainText('信息技术部 3');
    await expectAccessible(page, 'customers');

    // Finance asks urgently and often: it becomes a key customer, and sales drops back.
    for (let n = 0; n < 5; n++) {
      await fileFor(page, { typed: 'p21@', pick: 'p21@corp.cn', serving: '信息技术部', title: `月结紧急 ${n}`, priority: 'urgent' });
    }
    await page.locator('a[href="#/customers"]').click();
    await expect(segmentOf(page, '财务部')).toHaveAttribute('data-segment', 'key');
    await expect(segmentOf(page, '销售部')).toHaveAttribute('data-segment', 'occasional');

    // A segment set by hand needs a reason, and shows it.
    await page.locator('summary', { hasText: 'Set a segment by hand' }).click();
    await page.locator('#override-department').selectOption({ label: '销售部' });
    await page.locator('#override-segment').selectOption('key');
    await page.locator('#save-override').click();
    await expect(page.locator('#override-error')).toContainText('reason');
    await page.locator('#override-reason').fill('年度大促期间的重点客户');
    await page.locator('#save-override').click();
    await expect(segmentOf(page, '销售部')).toHaveAttribute('data-segment', 'key');
    await expect(segmentOf(page, '销售部')).toContainText('年度大促期间的重点客户');

    // Deleting a department that still serves open tickets is refused, with the reason.
    await page.locator('a[href="#/directory"]').click();
    await page.locator('.tree-item', { hasText: '信息技术部' }).click();
    await page.locator('summary', { hasText: 'Delete this department' }).click();
    await page.locator('#delete-department').click();
    await expect(page.locator('#action-refused')).toContainText('9 open tickets');

    // Marketing merges into sales: its people move, and the change is in the history.
    await page.locator('.tree-item', { hasText: '市场部' }).click();
    await page.locator('summary', { hasText: 'Merge into another department' }).click();
    await page.locator('#merge-into').selectOption({ label: '销售部' });
    await page.locator('form', { has: page.locator('#merge-into') }).locator('button[type=submit]').click();
    await expect(page.locator('#department-name')).toHaveText('销售部');
    await expect(page.locator('#directory-counts')).toContainText('19 departments · 200 people');
    await expect(page.locator('#org-changes')).toContainText('Merged 市场部 into 销售部');
    await expectAccessible(page, 'department actions');
    await expectSaved(page);

    // A colleague on another device receives the directory, and may not change it.
    const zhang = await signInWithLink(browser, zhangPerson);
    await zhang.page.locator('a[href="#/directory"]').click();
    await expect(zhang.page.locator('#directory-counts')).toContainText('19 departments · 200 people');
    await expect(zhang.page.locator('#import-file')).toHaveCount(0);
    await zhang.page.locator('#people-search').fill('zww');
    await expect(zhang.page.locator('.dept-panel table.people')).toContainText('张伟伟');
    await zhang.page.goto(`${relay.url}#/sla`);
    await expect(zhang.page.locator('.sla-settings')).toContainText('Only administrators');
    await zhang.context.close();
  } finally {
    await relay.stop();
  }
});
