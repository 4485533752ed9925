// `huifang import customers` and `huifang import cases` on real databases: phones normalised and
// never shown unmasked, line-numbered rejections, opt-outs, and case rows that go through the API's
// translation and use case — the follow-ups of an imported case are those the HTTP API gives the
// same case.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { FakeClock } from '../../../bot/clocks.js';
import { openCsv } from '../../../bot/import/read-csv.js';
import { CUSTOMER_COLUMNS, importCustomers } from '../../../bot/import/import-customers.js';
import { CASE_HEADER, importCases } from '../../../bot/import/import-cases.js';
import { runImportCommand } from '../../../bot/commands/import.js';
import { ROOT_DIR, type Huifang } from '../../../bot/huifang.js';
import { createTestService, listen, seedOrganisation, sharedDbClient, TEST_API_KEY } from '../../support/service.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'huifang-import-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describeEachDatabase('import customers and cases', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-11-20T10:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  const customers = (path: string, options = {}) =>
    openCsv(path, { columns: CUSTOMER_COLUMNS }).then((csv) =>
      importCustomers({ customers: app.directory.customers, clock, ids: app.deps.ids, optOutCustomer: (...a) => app.deps.customers.optOutCustomer(...a) }, () => csv.rows(), options),
    );

  it('imports customers with normalised phones, tags, birthdays and opt-outs; a second import changes nothing', async () => {
    const path = file('customers.csv', [
      '客户编号,姓名,称呼,手机,标签,生日,同意回访,拒收',
      'IMP-C-1,林秀兰,林女士,138 0011 2233,心内科;复诊,1956/4/12,是,',
      'IMP-C-2,郭建国,郭先生,+86 139-0011-2234,心内科,3月21日,否,是',
    ]);
    expect(await customers(path)).toMatchObject({ rows: 2, created: 2, optedOut: 1, rejected: false, problems: [] });
    const one = await db().prisma.customer.findUniqueOrThrow({ where: { externalId: 'IMP-C-1' } });
    expect(one).toMatchObject({ phoneE164: '+8613800112233', phoneMasked: '138****2233', birthday: '1956-04-12', consentSurvey: true, optedOutAt: null });
    expect(JSON.parse(one.tags)).toEqual(['心内科', '复诊']);
    const two = await db().prisma.customer.findUniqueOrThrow({ where: { externalId: 'IMP-C-2' } });
    expect(two).toMatchObject({ birthday: '03-21', consentSurvey: false, optOutSource: 'import' });
    expect(two.optedOutAt).toEqual(clock.now());

    expect(await customers(path)).toMatchObject({ created: 0, updated: 0, unchanged: 2, optedOut: 0 });
  });

  it('rejects a file with bad rows by line number, without ever printing a phone number in full', async () => {
    const path = file('bad-customers.csv', [
      'external_id,name,phone,consent_survey,birthday',
      'IMP-C-3,甲,13800112299,yes,',
      'IMP-C-4,乙,12012345678,yes,',
      'IMP-C-5,丙,13800112233,maybe,1990-02-30',
      'IMP-C-3,丁,,yes,',
    ]);
    const summary = await customers(path);
    expect(summary.rejected).toBe(true);
    expect(summary.problems.map((p) => [p.line, p.column])).toEqual([
      [3, 'phone'],
      [4, 'birthday'],
      [4, 'consent_survey'],
      [5, 'external_id'],
    ]);
    expect(JSON.stringify(summary.problems)).not.toContain('12012345678');
    expect(await db().prisma.customer.count({ where: { externalId: 'IMP-C-3' } })).toBe(0);
    // The phone of IMP-C-1 cannot be given to another customer either.
    const taken = await customers(file('taken.csv', ['external_id,name,phone', 'IMP-C-9,戊,13800112233']));
    expect(taken.problems).toMatchObject([{ line: 2, column: 'phone', message: expect.stringContaining('138****2233') }]);
    expect(JSON.stringify(taken.problems)).not.toContain('13800112233');
  });

  it('creates from a case row exactly the follow-ups the HTTP API creates for the same case', async () => {
    const path = file('cases.csv', [
      '类型,外部编号,发生时间,科室编码,责任人,客户编号,客户姓名,称呼,手机,attr.severity,attr.age',
      'discharge,IMP-ZY-1,2026-11-18 15:30,cardiology,hushi.li,IMP-P-1,王秀英,王女士,13800334455,serious,67',
      'discharge,IMP-ZY-2,2026-11-18T15:30:00+08:00,cardiology,hushi.zhou,IMP-P-2,张伟,张先生,13800334456,normal,',
    ]);
    const csv = await openCsv(path, CASE_HEADER);
    const summary = await importCases(app, () => csv.rows());
    expect(summary).toMatchObject({ rows: 2, created: 2, resubmitted: 0, failed: 0, rejected: false });
    expect(summary.followUpsAdded).toBeGreaterThan(0);

    const server = await listen(app);
    try {
      for (const [externalId, staff, severity, phone, age] of [
        ['API-ZY-1', 'hushi.li', 'serious', '13800334457', 67],
        ['API-ZY-2', 'hushi.zhou', 'normal', '13800334458', undefined],
      ] as const) {
        const response = await fetch(`${server.baseUrl}/api/v1/cases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            type: 'discharge',
            externalId,
            occurredAt: '2026-11-18T15:30:00+08:00',
            department: 'cardiology',
            responsibleStaff: staff,
            customer: { externalId: `C-${externalId}`, name: '对照', phone },
            attributes: { severity, ...(age === undefined ? {} : { age }) },
          }),
        });
        expect(response.status).toBe(201);
      }
    } finally {
      await server.close();
    }
    const plan = async (externalId: string) => {
      const c = await db().prisma.case.findUniqueOrThrow({ where: { type_externalId: { type: 'discharge', externalId } }, include: { followUps: { orderBy: { sequence: 'asc' } } } });
      return {
        attributes: JSON.parse(c.attributes) as unknown,
        departmentId: c.departmentId,
        followUps: c.followUps.map((f) => ({ step: f.step, status: f.status, action: f.action, assigneeId: f.assigneeId, earliestAt: f.earliestAt, dueAt: f.dueAt, deadlineAt: f.deadlineAt, maxAttempts: f.maxAttempts })),
      };
    };
    expect(await plan('IMP-ZY-1')).toEqual(await plan('API-ZY-1'));
    expect(await plan('IMP-ZY-2')).toEqual(await plan('API-ZY-2'));

    // Importing the file again is a resubmission of both cases: nothing new.
    const again = await importCases(app, () => csv.rows());
    expect(again).toMatchObject({ created: 0, resubmitted: 2, followUpsAdded: 0 });
  });

  it('submits the batches of a file in file order, each after the one before, reporting progress after each', async () => {
    // Batches of two: the third row closes the case of the first (its follow-ups are cancelled), the fifth
    // resubmits the second unchanged; a later batch sees what every earlier one wrote.
    const path = file('ordered-cases.csv', [
      'type,external_id,occurred_at,closed_at,department,responsible_staff,customer_external_id,customer_name,customer_phone,attr.severity',
      'discharge,IMP-ORD-1,2026-11-18 15:30,,cardiology,hushi.li,IMP-ORD-P1,王一,13800334481,normal',
      'discharge,IMP-ORD-2,2026-11-18 15:30,,cardiology,hushi.li,IMP-ORD-P2,王二,13800334482,normal',
      'discharge,IMP-ORD-1,2026-11-18 15:30,2026-11-19 09:00,cardiology,hushi.li,IMP-ORD-P1,王一,13800334481,normal',
      'discharge,IMP-ORD-3,2026-11-18 15:30,,cardiology,hushi.li,IMP-ORD-P3,王三,13800334483,normal',
      'discharge,IMP-ORD-2,2026-11-18 15:30,,cardiology,hushi.li,IMP-ORD-P2,王二,13800334482,normal',
    ]);
    const csv = await openCsv(path, CASE_HEADER);
    const progress: [number, number][] = [];
    const summary = await importCases(app, () => csv.rows(), { batchSize: 2, onProgress: (done, total) => progress.push([done, total]) });
    expect(summary).toMatchObject({ rows: 5, created: 3, resubmitted: 2, failed: 0, rejected: false });
    expect(progress).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    const first = await db().prisma.case.findUniqueOrThrow({ where: { type_externalId: { type: 'discharge', externalId: 'IMP-ORD-1' } }, include: { followUps: true } });
    expect(first.status).toBe('CLOSED');
    expect(first.followUps.length).toBeGreaterThan(0);
    expect(first.followUps.every((f) => f.status === 'CANCELLED' || f.status === 'SKIPPED')).toBe(true);
    const second = await db().prisma.case.findUniqueOrThrow({ where: { type_externalId: { type: 'discharge', externalId: 'IMP-ORD-2' } }, include: { followUps: true } });
    expect(second.status).toBe('OPEN');
    expect(second.followUps.some((f) => f.status === 'SCHEDULED')).toBe(true);
  });

  it('reads the file once when it keeps every translation, and again beyond the rows it keeps, with the same result', async () => {
    // Line 4 is invalid and skipped; with two rows kept the second pass starts after line 4 (rows 1–3 handled).
    const lines = (prefix: string) => {
      const phone = (n: number) => `1380033${prefix === 'IMP-ONE' ? '5' : '6'}48${n}`;
      return [
        'type,external_id,occurred_at,closed_at,department,responsible_staff,customer_external_id,customer_name,customer_phone,attr.severity',
        `discharge,${prefix}-1,2026-11-18 15:30,,cardiology,hushi.li,${prefix}-P1,王一,${phone(1)},normal`,
        `discharge,${prefix}-2,2026-11-18 15:30,,cardiology,hushi.li,${prefix}-P2,王二,${phone(2)},normal`,
        `discharge,${prefix}-3,18/11/2026,,cardiology,hushi.li,${prefix}-P3,王三,${phone(3)},normal`,
        `discharge,${prefix}-4,2026-11-18 15:30,,cardiology,hushi.li,${prefix}-P4,王四,${phone(4)},normal`,
        `discharge,${prefix}-1,2026-11-18 15:30,2026-11-19 09:00,cardiology,hushi.li,${prefix}-P1,王一,${phone(1)},normal`,
      ];
    };
    const run = async (prefix: string, keptRows?: number) => {
      const csv = await openCsv(file(`${prefix}.csv`, lines(prefix)), CASE_HEADER);
      let reads = 0;
      const summary = await importCases(app, () => (reads++, csv.rows()), { skipInvalid: true, batchSize: 2, ...(keptRows === undefined ? {} : { keptRows }) });
      const cases = await db().prisma.case.findMany({ where: { externalId: { startsWith: `${prefix}-` } }, include: { followUps: true }, orderBy: { externalId: 'asc' } });
      return { reads, summary, cases: cases.map((c) => ({ key: c.externalId.slice(prefix.length), status: c.status, followUps: c.followUps.map((f) => `${f.step}:${f.status}`).sort() })) };
    };
    const once = await run('IMP-ONE');
    const twice = await run('IMP-TWO', 2);
    expect([once.reads, twice.reads]).toEqual([1, 2]);
    expect(once.summary).toMatchObject({ rows: 5, created: 3, resubmitted: 1, skipped: 1, failed: 0 });
    expect(twice.summary).toEqual(once.summary);
    expect(twice.cases).toEqual(once.cases);
    expect(once.cases.map((c) => [c.key, c.status])).toEqual([
      ['-1', 'CLOSED'],
      ['-2', 'OPEN'],
      ['-4', 'OPEN'],
    ]);
  });

  it('names the imported cases that no step fits, by line and attribute, never the value', async () => {
    // A gynaecology outpatient visit whose diagnosis is not in 002 制度21's table: P4 plans nothing for it.
    const path = file('unmatched-cases.csv', [
      'type,external_id,occurred_at,department,responsible_staff,customer_name,customer_phone,attr.clinic,attr.diagnosis',
      'outpatient,IMP-MZ-1,2026-11-18 10:30,cardiology,hushi.li,戊,13800334470,gynaecology,表中没有的诊断',
      'outpatient,IMP-MZ-2,2026-11-18 10:30,cardiology,hushi.li,己,13800334471,gynaecology,人流术后',
    ]);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runImportCommand(['cases', path], (fn) => fn(app), ROOT_DIR, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('2 cases created');
    const text = err.join('\n');
    expect(text).toContain('没有步骤适用 — 1 imported case(s) got no follow-up');
    expect(text).toContain('line 2: no step names its diagnosis');
    expect(text).not.toContain('line 3');
    expect(text).not.toContain('表中没有的诊断');
  });

  it('rejects case rows the API would refuse, naming line and column, through the command', async () => {
    const path = file('bad-cases.csv', [
      'type,external_id,occurred_at,responsible_staff,customer_name,customer_phone',
      'discharge,IMP-ZY-3,2026-11-18 15:30,nobody.here,甲,13800334460',
      'unknown_type,IMP-ZY-4,2026-11-18 15:30,hushi.li,乙,13800334461',
      'discharge,IMP-ZY-5,18/11/2026,hushi.li,丙,13800334462',
      'discharge,IMP-ZY-6,2026-11-18 15:30,hushi.li,丁,12345',
    ]);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runImportCommand(['cases', path], (fn) => fn(app), ROOT_DIR, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(1);
    const text = err.join('\n');
    expect(text).toContain('Reading');
    expect(text).toContain('UTF-8 (no BOM)');
    expect(text).toContain('Rejected — nothing was imported (4)');
    expect(text).toMatch(/line 2 \[responsible_staff\]: responsibleStaff: "nobody\.here" is not known/);
    expect(text).toMatch(/line 3 \[type\]: no policy handles case type "unknown_type"/);
    expect(text).toMatch(/line 4 \[occurred_at\]/);
    expect(text).toMatch(/line 5 \[customer_phone\]: customer\.phone: not a valid phone number/);
    expect(await db().prisma.case.count({ where: { externalId: { in: ['IMP-ZY-3', 'IMP-ZY-5'] } } })).toBe(0);
  });
});
