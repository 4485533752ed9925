// Who sees what in the console: every role against every page, over two separate departments (the
// hospital's cardiology ward and the property company's service centre). A page, a filter, a detail
// URL or an export never shows a row outside the person's scope; full phone numbers never appear on a
// page; an auditor changes nothing; settings and the audit log are for the roles that hold them.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { dischargeBody, submit, tapCard, uniqueExternalId, uniquePhone } from '../../support/builders.js';
import { buttonKey, deliveredCard, runJob } from '../../support/e2e.js';
import { ConsoleClient, pageText, signedInAs, signedInAsAdmin, signedInAsStaff } from '../../support/console-client.js';

const START = '2026-11-10T09:00:00+08:00';

interface Fixture {
  caseId: string;
  externalId: string;
  customerId: string;
  customerName: string;
  phone: string;
  followUpId: string;
}

describeEachDatabase('console access by role and department', (db) => {
  const clock = new FakeClock(START);
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let staff: Map<string, string>;
  /** Cardiology: 李护士's discharge (answered 不满意, escalated) and 周护士's. */
  let li: Fixture;
  let zhou: Fixture;
  /** Service centre: a handled complaint followed up by 吴助理 (answered 满意). */
  let wu: Fixture;
  let escalationId: string;
  const clients = new Map<string, ConsoleClient>();

  async function fixture(caseId: string, step: string, customerName: string, phone: string): Promise<Fixture> {
    const row = await db().prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    const followUp = await db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId, step } } });
    return { caseId, externalId: row.externalId!, customerId: row.customerId, customerName, phone, followUpId: followUp.id };
  }

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);

    const liPhone = uniquePhone();
    const liCase = await submit(app, dischargeBody({ responsibleStaff: 'hushi.li', phone: liPhone, customer: { externalId: uniqueExternalId('PAT'), name: '访问甲', salutation: '甲先生', phone: liPhone } }));
    const zhouPhone = uniquePhone();
    const zhouCase = await submit(app, dischargeBody({ responsibleStaff: 'hushi.zhou', phone: zhouPhone, customer: { externalId: uniqueExternalId('PAT'), name: '访问乙', salutation: '乙女士', phone: zhouPhone } }));
    const wuPhone = uniquePhone();
    const complaintId = uniqueExternalId('TS');
    const wuCase = await submit(app, {
      type: 'property_complaint',
      externalId: complaintId,
      occurredAt: '2026-11-08T10:00:00+08:00',
      department: 'service-centre',
      responsibleStaff: 'zhuli.wu',
      customer: { externalId: `OWNER-${complaintId}`, name: '访问丙', salutation: '丙女士', phone: wuPhone },
      attributes: { severity: 'general' },
      milestones: { handled: '2026-11-09T14:00:00+08:00' },
    });
    li = await fixture(liCase.caseId, 'phone', '访问甲', liPhone);
    zhou = await fixture(zhouCase.caseId, 'phone', '访问乙', zhouPhone);
    wu = await fixture(wuCase.caseId, 'complaint_followup', '访问丙', wuPhone);

    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    // 李护士's patient is dissatisfied: an escalation in cardiology. 吴助理's owner is satisfied.
    const liCard = await deliveredCard(db().prisma, li.followUpId, 1);
    expect((await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(liCard.card, 'dissatisfied') })).result?.status).toBe('PROCESSED');
    const wuCard = await deliveredCard(db().prisma, wu.followUpId, 1);
    expect((await tapCard(app, { wecomUserId: 'zhuli.wu', key: buttonKey(wuCard.card, 'satisfied') })).result?.status).toBe('PROCESSED');
    escalationId = (await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: li.followUpId } })).id;

    const admin = await signedInAsAdmin(app, http.baseUrl);
    clients.set('admin', admin.client);
    const auditorAccount = await app.console.auth.ensureStaffConsoleUser({ id: app.deps.ids.next(), staffId: staff.get('yuanzhang.liu')!, name: '刘院长', at: clock.now() });
    await app.console.auth.setConsoleRole(auditorAccount.id, 'auditor');
    clients.set('auditor', await signedInAs(app, http.baseUrl, auditorAccount.id));
    for (const who of ['kezhuren.wang', 'zhuguan.sun', 'hushi.li', 'hushi.zhou', 'zhuli.wu']) clients.set(who, await signedInAsStaff(app, http.baseUrl, staff.get(who)!));
  });

  afterAll(async () => {
    await http?.close();
  });

  function as(who: string): ConsoleClient {
    return clients.get(who)!;
  }

  /** Local 11-digit number of an E.164 +86 phone (what a page would show unmasked). */
  const local = (phone: string) => phone.replace('+86', '');

  /** Which of the three fixtures a page shows, by their external ids (cases) or customer names. */
  function shown(body: string, by: 'externalId' | 'customerName'): string[] {
    const text = pageText(body);
    return [li, zhou, wu].filter((f) => text.includes(f[by])).map((f) => f[by]);
  }

  const SCOPES: Record<string, Fixture[]> = {};
  beforeAll(() => {
    SCOPES.admin = [li, zhou, wu];
    SCOPES.auditor = [li, zhou, wu];
    SCOPES['kezhuren.wang'] = [li, zhou];
    SCOPES['zhuguan.sun'] = [wu];
    SCOPES['hushi.li'] = [li];
    SCOPES['hushi.zhou'] = [zhou];
    SCOPES['zhuli.wu'] = [wu];
  });
  const ROLES = ['admin', 'auditor', 'kezhuren.wang', 'zhuguan.sun', 'hushi.li', 'hushi.zhou', 'zhuli.wu'];

  describe('lists and details', () => {
    it.each(ROLES)('%s sees exactly the cases, follow-ups and customers of their scope', async (who) => {
      const expected = SCOPES[who]!;
      const cases = await as(who).get('/console/cases');
      expect(cases.status).toBe(200);
      expect(shown(cases.body, 'externalId').sort()).toEqual(expected.map((f) => f.externalId).sort());
      const followUps = await as(who).get('/console/follow-ups?status=SCHEDULED,ACTIVE,OVERDUE,DONE,CANCELLED');
      expect(followUps.status).toBe(200);
      expect(shown(followUps.body, 'customerName').sort()).toEqual(expected.map((f) => f.customerName).sort());
      const customers = await as(who).get('/console/customers');
      expect(customers.status).toBe(200);
      expect(shown(customers.body, 'customerName').sort()).toEqual(expected.map((f) => f.customerName).sort());

      for (const f of [li, zhou, wu]) {
        const inScope = expected.includes(f);
        const detail = await as(who).get(`/console/cases/${f.caseId}`);
        expect(detail.status, `${who} → case of ${f.customerName}`).toBe(inScope ? 200 : 404);
        if (!inScope) expect(pageText(detail.body)).not.toContain(f.customerName);
        const customer = await as(who).get(`/console/customers/${f.customerId}`);
        expect(customer.status, `${who} → customer ${f.customerName}`).toBe(inScope ? 200 : 404);
        const search = await as(who).get(`/console/customers?q=${encodeURIComponent(f.customerName)}`);
        expect(shown(search.body, 'customerName')).toEqual(inScope ? [f.customerName] : []);
      }
    });

    it('every list searches by customer name, phone tail or case number, within the scope', async () => {
      const tail = local(wu.phone).slice(-4);
      const lists = ['/console/cases', '/console/follow-ups?status=SCHEDULED,ACTIVE,OVERDUE,DONE', '/console/customers'];
      for (const path of lists) {
        const join = path.includes('?') ? '&' : '?';
        for (const q of [wu.customerName, tail, wu.externalId]) {
          const res = await as('admin').get(`${path}${join}q=${encodeURIComponent(q)}`);
          expect(shown(res.body, 'customerName'), `${path} q=${q}`).toEqual([wu.customerName]);
          // The same search by a manager of the other department finds nothing.
          const other = await as('kezhuren.wang').get(`${path}${join}q=${encodeURIComponent(q)}`);
          expect(shown(other.body, 'customerName'), `${path} q=${q} (cardiology)`).toEqual([]);
        }
      }
      const escalations = await as('admin').get(`/console/escalations?status=OPEN,ACKNOWLEDGED,RESOLVED,CLOSED&q=${local(li.phone).slice(-4)}`);
      expect(shown(escalations.body, 'customerName')).toEqual([li.customerName]);
    });

    it('a filter naming another department shows nothing of it', async () => {
      const serviceCentre = (await db().prisma.department.findFirstOrThrow({ where: { code: 'service-centre' } })).id;
      for (const path of [`/console/follow-ups?department=${serviceCentre}&status=SCHEDULED,ACTIVE,OVERDUE,DONE`, `/console/cases?department=${serviceCentre}`]) {
        const res = await as('kezhuren.wang').get(path);
        expect(res.status).toBe(200);
        expect(shown(res.body, 'customerName')).toEqual([]);
      }
      const assignee = await as('kezhuren.wang').get(`/console/follow-ups?assignee=${staff.get('zhuli.wu')!}&status=DONE`);
      expect(shown(assignee.body, 'customerName')).toEqual([]);
    });

    it('escalations: the department’s for its managers, none for the other department, the owner’s own for staff', async () => {
      const visible = async (who: string) => {
        const res = await as(who).get('/console/escalations?status=OPEN,ACKNOWLEDGED,RESOLVED,CLOSED');
        expect(res.status).toBe(200);
        return pageText(res.body).includes('访问甲');
      };
      expect(await visible('admin')).toBe(true);
      expect(await visible('auditor')).toBe(true);
      expect(await visible('kezhuren.wang')).toBe(true);
      expect(await visible('zhuguan.sun')).toBe(false);
      expect(await visible('zhuli.wu')).toBe(false);
      expect((await as('zhuguan.sun').get(`/console/escalations/${escalationId}`)).status).toBe(404);
      expect((await as('kezhuren.wang').get(`/console/escalations/${escalationId}`)).status).toBe(200);
    });

    it('no page shows a full phone number', async () => {
      const pages = (f: Fixture) => ['/console', '/console/cases', `/console/cases/${f.caseId}`, '/console/follow-ups?status=SCHEDULED,ACTIVE,OVERDUE,DONE', '/console/customers', `/console/customers/${f.customerId}`, '/console/escalations', `/console/escalations/${escalationId}`];
      for (const who of ['admin', 'kezhuren.wang', 'hushi.li']) {
        for (const path of pages(li)) {
          const res = await as(who).get(path);
          for (const f of [li, zhou, wu]) expect(res.body, `${who} ${path}`).not.toContain(local(f.phone));
        }
      }
      // The masked form is what people see.
      const customer = await as('hushi.li').get(`/console/customers/${li.customerId}`);
      expect(pageText(customer.body)).toContain(`${local(li.phone).slice(0, 3)}****${local(li.phone).slice(-4)}`);
    });
  });

  describe('satisfaction figures and export', () => {
    it('counts only the scope’s answers, on the page and in the spreadsheet', async () => {
      const month = '2026-11';
      const page = await as('kezhuren.wang').get(`/console/satisfaction?month=${month}`);
      expect(page.status).toBe(200);
      expect(pageText(page.body)).toContain('心内科病区');
      expect(pageText(page.body)).not.toContain('锦绣花园客服中心');

      const sheetRows = async (who: string) => {
        const res = await fetch(`${http.baseUrl}/console/satisfaction/export.xlsx?month=${month}`, { headers: { cookie: `huifang_console=${as(who).sessionCookie}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('spreadsheetml');
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(await res.arrayBuffer());
        const rows: string[] = [];
        workbook.getWorksheet('按科室')!.eachRow((row, n) => {
          if (n > 1) rows.push(`${String(row.getCell(1).value)}:${String(row.getCell(2).value)}`);
        });
        return rows;
      };
      expect(await sheetRows('kezhuren.wang')).toEqual(['心内科病区:1']);
      expect(await sheetRows('zhuguan.sun')).toEqual(['锦绣花园客服中心:1']);
      expect((await sheetRows('admin')).sort()).toEqual(['心内科病区:1', '锦绣花园客服中心:1']);
      // Staff see their own work, not the department's spreadsheet.
      const staffExport = await as('hushi.li').get(`/console/satisfaction/export.xlsx?month=${month}`);
      expect(staffExport.status).toBe(403);
    });
  });

  describe('pages by role', () => {
    it('the audit log is for administrators and auditors; settings for administrators; the menu shows only what may be opened', async () => {
      const expectations: [string, number, number][] = [
        ['admin', 200, 200],
        ['auditor', 200, 403],
        ['kezhuren.wang', 403, 403],
        ['hushi.li', 403, 403],
      ];
      for (const [who, audit, settings] of expectations) {
        expect((await as(who).get('/console/audit')).status, `${who} audit`).toBe(audit);
        expect((await as(who).get('/console/settings')).status, `${who} settings`).toBe(settings);
        const menu = (await as(who).get('/console')).body.match(/<nav class="menu"[\s\S]*?<\/nav>/)![0];
        expect(menu.includes('/console/audit'), `${who} menu audit`).toBe(audit === 200);
        expect(menu.includes('/console/settings'), `${who} menu settings`).toBe(settings === 200);
      }
    });

    it('an auditor changes nothing: reassignments, escalations, consent, calendar, keywords and accounts are refused', async () => {
      const auditor = as('auditor');
      const before = await db().prisma.auditLog.count();
      const attempts = [
        await auditor.post('/console/follow-ups/reassign', { id: zhou.followUpId, toStaffId: staff.get('hushi.li')! }),
        await auditor.post('/console/follow-ups/handover', { fromStaffId: staff.get('hushi.zhou')!, toStaffId: staff.get('hushi.li')! }),
        await auditor.post(`/console/escalations/${escalationId}/reassign`, { toStaffId: staff.get('hushizhang.chen')! }),
        await auditor.post(`/console/customers/${li.customerId}/consent`, { change: 'opt_out', reason: '审计员试图退订' }),
        await auditor.post(`/console/customers/${li.customerId}/reveal`, { purpose: 'view' }),
        await auditor.post('/console/calendar/entries', { date: '2027-09-01', kind: 'closure', name: '停业' }),
        await auditor.post('/console/satisfaction/keywords', { topic: '态度', keyword: '凶' }),
      ];
      for (const res of attempts) expect([403], pageText(res.body)).toContain(res.status);
      expect(pageText(attempts[0]!.body)).toContain('审计员账号只能查看');
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: zhou.followUpId } })).assigneeId).toBe(staff.get('hushi.zhou'));
      expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: li.customerId } })).optedOutAt).toBeNull();
      expect(await db().prisma.calendarEntry.count()).toBe(0);
      expect(await db().prisma.complaintKeyword.count()).toBe(0);
      // Nothing was recorded as done (the refused reveal is not a reveal).
      expect(await db().prisma.auditLog.count({ where: { action: { in: ['follow_up.reassigned', 'follow_up.handed_over', 'escalation.reassigned', 'customer.opted_out', 'customer.phone_revealed'] } } })).toBe(0);
      expect(await db().prisma.auditLog.count()).toBeGreaterThanOrEqual(before);
    });

    it('staff cannot reassign work, even their own', async () => {
      const res = await as('hushi.zhou').post('/console/follow-ups/reassign', { id: zhou.followUpId, toStaffId: staff.get('hushi.li')! });
      expect(res.status).toBe(403);
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: zhou.followUpId } })).assigneeId).toBe(staff.get('hushi.zhou'));
    });

    it('a manager cannot give work to someone outside their departments, nor take work from another department', async () => {
      const toOutsider = await as('kezhuren.wang').post('/console/follow-ups/reassign', { id: zhou.followUpId, toStaffId: staff.get('zhuli.zheng')! });
      expect(toOutsider.status).toBe(400);
      expect(pageText(toOutsider.body)).toContain('所选人员不在您负责的科室');
      const foreign = await as('kezhuren.wang').post('/console/follow-ups/handover', { fromStaffId: staff.get('zhuli.wu')!, toStaffId: staff.get('hushi.li')! });
      expect(foreign.status).toBe(400);
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: zhou.followUpId } })).assigneeId).toBe(staff.get('hushi.zhou'));
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: wu.followUpId } })).assigneeId).toBe(staff.get('zhuli.wu'));
    });
  });
});
