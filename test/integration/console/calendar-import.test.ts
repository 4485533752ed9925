// 日历 → 导入全年安排: an administrator checks a year's schedule (the same file format and checks as
// `huifang calendar import`), sees the problems with their line numbers or a preview of what would be
// installed and replaced, and installs it on confirmation, audited; anyone else is refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { ConsoleClient, pageText, signedInAsAdmin, signedInAsStaff } from '../../support/console-client.js';

// Made-up dates for 2099 (no real notice exists): 元旦 Thu 1 – Sat 3 January with Sunday 4 January worked,
// 国庆节 Thu 1 – Wed 7 October with Saturday 10 October worked; a closure on Monday 1 June.
const VALID = `years:
  - year: 2099
    source: 国务院办公厅关于2099年部分节假日安排的通知（测试用）
    holidays:
      - name: 元旦
        from: 2099-01-01
        to: 2099-01-03
      - name: 国庆节
        from: 2099-10-01
        to: 2099-10-07
    makeupWorkdays:
      - date: 2099-01-04
        holiday: 元旦
      - date: 2099-10-10
        holiday: 国庆节
closures:
  - date: 2099-06-01
    reason: 院庆
`;

// Line 10: a make-up working day on a Wednesday; line 11 names a holiday the year does not have.
const INVALID = `years:
  - year: 2099
    source: 国务院办公厅关于2099年部分节假日安排的通知（测试用）
    holidays:
      - name: 元旦
        from: 2099-01-01
        to: 2099-01-03
    makeupWorkdays:
      - date: 2099-01-07
        holiday: 元旦
      - date: 2099-01-10
        holiday: 春节
`;

describeEachDatabase('console calendar import', (db) => {
  const clock = new FakeClock('2098-12-06T09:00:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let admin: ConsoleClient;
  let manager: ConsoleClient;

  beforeAll(async () => {
    const staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);
    admin = (await signedInAsAdmin(app, http.baseUrl)).client;
    manager = await signedInAsStaff(app, http.baseUrl, staff.get('kezhuren.wang')!);
  });

  afterAll(async () => {
    await http?.close();
  });

  const audits = async () => (await db().prisma.auditLog.findMany({ where: { action: { startsWith: 'calendar.year_' } }, orderBy: { id: 'asc' } })).map((r) => ({ action: r.action, actorType: r.actorType, actorId: r.actorId, entityId: r.entityId, details: JSON.parse(r.details) as Record<string, unknown> }));

  it('shows administrators the import form on 日历, for next year while this year is shipped', async () => {
    const page = await admin.get('/console/calendar?year=2099');
    expect(page.status).toBe(200);
    expect(page.body).toContain('action="/console/calendar/import"');
    expect(pageText(page.body)).toContain('导入全年安排');
    expect(page.body).toMatch(/name="year"[^>]*value="2099"/);
    const managerPage = await manager.get('/console/calendar?year=2099');
    expect(managerPage.status).toBe(200);
    expect(managerPage.body).not.toContain('/console/calendar/import');
  });

  it('previews a file with errors: every problem with its line, nothing written', async () => {
    await admin.get('/console/calendar?year=2099');
    const res = await admin.post('/console/calendar/import', { step: 'preview', year: '2099', content: INVALID, filename: '2099.yaml' });
    expect(res.status).toBe(422);
    const text = pageText(res.body);
    expect(text).toContain('文件未通过检查，未导入任何内容');
    expect(text).toMatch(/2099\.yaml:9: [^\n]*2099-01-07/);
    expect(text).toMatch(/2099\.yaml:12: [^\n]*春节/);
    expect(res.body).not.toContain('确认导入');
    // The text stays in the box, to be corrected.
    expect(res.body).toContain('holiday: 春节');
    expect(await db().prisma.calendarEntry.count()).toBe(0);

    const wrongYear = await admin.post('/console/calendar/import', { step: 'preview', year: '2098', content: VALID });
    expect(wrongYear.status).toBe(422);
    expect(pageText(wrongYear.body)).toContain('粘贴的内容: defines no year 2098');
    // Installing what does not pass the check writes nothing either.
    expect((await admin.post('/console/calendar/import', { step: 'install', year: '2099', content: INVALID })).status).toBe(422);
    expect(await db().prisma.calendarEntry.count()).toBe(0);
    expect(await audits()).toEqual([]);
  });

  it('previews a valid file: the holidays, the 调休 working days and the closure it would install, nothing written', async () => {
    const res = await admin.post('/console/calendar/import', { step: 'preview', year: '2099', content: VALID, filename: '2099.yaml' });
    expect(res.status).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain('预览：2099 年节假日安排');
    expect(text).toContain('国务院办公厅关于2099年部分节假日安排的通知（测试用）');
    expect(text).toContain('2099-01-01、2099-01-02、2099-01-03');
    expect(text).toContain('2099-10-10（国庆节）');
    expect(text).toContain('2099-06-01 院庆');
    expect(text).toContain('放假 10 天，调休上班 2 天，本单位停业 1 天。将新增 13 条，替换 0 条，删除 0 条');
    expect(res.body).toContain('确认导入');
    expect(await db().prisma.calendarEntry.count()).toBe(0);
    expect(app.deps.calendar.isCovered(2099)).toBe(false);
  });

  it('installs on confirmation, audited with who did it; the calendar uses the year at once', async () => {
    const { userId } = await signedInAsAdmin(app, http.baseUrl);
    const res = await admin.post('/console/calendar/import', { step: 'install', year: '2099', content: VALID, filename: '2099.yaml' });
    expect(res.status, res.body).toBe(302);
    expect(res.location).toBe('/console/calendar?year=2099&imported=2099');
    expect(await db().prisma.calendarEntry.count()).toBe(13);
    expect(app.deps.calendar.isCovered(2099)).toBe(true);
    expect(app.deps.calendar.isWorkingDay('2099-10-10')).toBe(true);
    expect(app.deps.calendar.isWorkingDay('2099-10-05')).toBe(false);
    expect(await audits()).toEqual([
      { action: 'calendar.year_imported', actorType: 'CONSOLE', actorId: userId, entityId: '2099', details: expect.objectContaining({ file: '2099.yaml', holidays: 10, makeupWorkdays: 2, closures: 1, replaced: [], removed: [] }) },
    ]);
    const page = pageText((await admin.get('/console/calendar?year=2099&imported=2099')).body);
    expect(page).toContain('已导入 2099 年节假日安排');
    expect(page).toContain('已在管理台中添加或导入');
  });

  it('previews what a corrected notice replaces and removes, then installs it', async () => {
    const corrected = VALID.replace('from: 2099-10-01\n        to: 2099-10-07', 'from: 2099-10-01\n        to: 2099-10-06').replace('reason: 院庆', 'reason: 院庆停诊');
    const preview = await admin.post('/console/calendar/import', { step: 'preview', year: '2099', content: corrected });
    expect(preview.status).toBe(200);
    const text = pageText(preview.body);
    expect(text).toContain('替换 2099-06-01：本单位停业 院庆 → 本单位停业 院庆停诊');
    expect(text).toContain('删除 2099-10-07：放假 国庆节（文件中没有）');
    expect(await db().prisma.calendarEntry.count()).toBe(13);

    expect((await admin.post('/console/calendar/import', { step: 'install', year: '2099', content: corrected })).status).toBe(302);
    expect(await db().prisma.calendarEntry.count()).toBe(12);
    expect(app.deps.calendar.isWorkingDay('2099-10-07')).toBe(true);
    expect((await audits()).map((a) => a.action)).toEqual(['calendar.year_imported', 'calendar.year_imported']);
  });

  it('refuses anyone but an administrator, previews included', async () => {
    await manager.get('/console/calendar?year=2099');
    for (const step of ['preview', 'install']) {
      const res = await manager.post('/console/calendar/import', { step, year: '2099', content: VALID });
      expect(res.status).toBe(403);
      expect(pageText(res.body)).toContain('您的角色不能进行此操作');
    }
    // Without the page's CSRF token even an administrator is refused.
    expect((await admin.post('/console/calendar/import', { step: 'install', year: '2099', content: VALID, _csrf: 'forged' })).status).toBe(403);
    expect(await db().prisma.calendarEntry.count()).toBe(12);
    expect(await audits()).toHaveLength(2);
  });
});
