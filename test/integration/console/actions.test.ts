// What people do in the console, through its forms, with what follows in the rest of the system:
// reassigning a task pushes a new card to the new nurse and makes the old one stale; a leave handover
// moves every open task; an escalation handed over reaches its new owner in WeCom; an opt-out recorded by
// staff stops every message; a number reveal is audited and limited per day; a closure day entered in
// 日历 moves the working-day calendar; administrators manage roles. Everything is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { dischargeBody, submit, tapCard, uniquePhone } from '../../support/builders.js';
import { buttonKey, deliveredCard, runJob } from '../../support/e2e.js';
import { ConsoleClient, pageText, signedInAsAdmin, signedInAsStaff } from '../../support/console-client.js';

const START = '2026-11-10T09:00:00+08:00';

describeEachDatabase('console actions', (db) => {
  const clock = new FakeClock(START);
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let staff: Map<string, string>;
  let manager: ConsoleClient;
  let admin: ConsoleClient;
  let adminId: string;

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock, { env: { HUIFANG_CONSOLE_REVEALS_PER_DAY: '2' } });
    http = await listen(app);
    manager = await signedInAsStaff(app, http.baseUrl, staff.get('kezhuren.wang')!);
    const signedIn = await signedInAsAdmin(app, http.baseUrl);
    admin = signedIn.client;
    adminId = signedIn.userId;
  });

  afterAll(async () => {
    await http?.close();
  });

  /** A discharge of 李护士's (or `nurse`'s) whose phone task card has been pushed; returns the follow-up. */
  async function pushedTask(nurse = 'hushi.li', phone = uniquePhone()) {
    const { caseId } = await submit(app, dischargeBody({ responsibleStaff: nurse, phone }));
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const followUp = await db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId, step: 'phone' } } });
    expect(followUp.status).toBe('ACTIVE');
    return { caseId, followUp, phone };
  }

  async function audits(action: string, entityId: string) {
    const rows = await db().prisma.auditLog.findMany({ where: { action, entityId }, orderBy: { id: 'asc' } });
    return rows.map((r) => ({ actorId: r.actorId, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  describe('reassigning follow-ups', () => {
    it('gives an active task to another nurse: a new card reaches them, the old card is stale, the audit names both and who acted', async () => {
      const { followUp } = await pushedTask('hushi.li');
      const oldCard = await deliveredCard(db().prisma, followUp.id, 1);
      expect(oldCard.address).toBe('hushi.li');

      const res = await manager.post('/console/follow-ups/reassign', { id: followUp.id, toStaffId: staff.get('hushi.zhou')!, note: '李护士休假' });
      expect(res.status).toBe(302);
      expect(res.location).toContain('moved=1');
      const moved = await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } });
      expect(moved).toMatchObject({ assigneeId: staff.get('hushi.zhou'), status: 'SCHEDULED' });

      await runJob(app, 'activate-due-follow-ups');
      await runJob(app, 'dispatch-outbox');
      const newCard = await deliveredCard(db().prisma, followUp.id, 2);
      expect(newCard.address).toBe('hushi.zhou');
      // 李护士's old card no longer records anything.
      const stale = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(oldCard.card, 'satisfied') });
      expect(stale.result?.status).not.toBe('PROCESSED');
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).status).toBe('ACTIVE');
      // 周护士's new card does.
      expect((await tapCard(app, { wecomUserId: 'hushi.zhou', key: buttonKey(newCard.card, 'satisfied') })).result?.status).toBe('PROCESSED');
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).status).toBe('DONE');

      expect(await audits('follow_up.reassigned', followUp.id)).toEqual([
        { actorId: staff.get('kezhuren.wang'), details: expect.objectContaining({ from: staff.get('hushi.li'), to: staff.get('hushi.zhou'), responsibleId: staff.get('hushi.zhou'), note: '李护士休假' }) },
      ]);
    });

    it('reassigns several at once and reports what was skipped (a finished task is left alone)', async () => {
      const open = await pushedTask('hushi.li');
      const done = await pushedTask('hushi.li');
      const card = await deliveredCard(db().prisma, done.followUp.id, 1);
      await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card.card, 'satisfied') });
      const res = await manager.post('/console/follow-ups/reassign', { id: [open.followUp.id, done.followUp.id], toStaffId: staff.get('hushizhang.chen')! });
      expect(res.location).toContain('moved=1');
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: open.followUp.id } })).assigneeId).toBe(staff.get('hushizhang.chen'));
      expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: done.followUp.id } })).assigneeId).toBe(staff.get('hushi.li'));
    });

    it('hands every open task of a nurse going on leave to a colleague', async () => {
      const a = await pushedTask('hushi.zhou');
      const b = await pushedTask('hushi.zhou');
      const open = await db().prisma.followUp.count({ where: { assigneeId: staff.get('hushi.zhou'), status: { in: ['SCHEDULED', 'ACTIVE', 'OVERDUE'] } } });
      expect(open).toBeGreaterThanOrEqual(2);
      const res = await manager.post('/console/follow-ups/handover', { fromStaffId: staff.get('hushi.zhou')!, toStaffId: staff.get('hushi.li')!, note: '产假' });
      expect(res.status).toBe(302);
      expect(res.location).toContain(`moved=${open}`);
      expect(await db().prisma.followUp.count({ where: { assigneeId: staff.get('hushi.zhou'), status: { in: ['SCHEDULED', 'ACTIVE', 'OVERDUE'] } } })).toBe(0);
      for (const { followUp } of [a, b]) {
        expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).assigneeId).toBe(staff.get('hushi.li'));
        expect(await audits('follow_up.handed_over', followUp.id)).toHaveLength(1);
      }
    });
  });

  describe('escalations', () => {
    it('hands an escalation to another manager, who is told in WeCom, acknowledges and resolves it in the console', async () => {
      const { followUp } = await pushedTask('hushi.li');
      const card = await deliveredCard(db().prisma, followUp.id, 1);
      await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card.card, 'dissatisfied') });
      const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: followUp.id } });
      const chen = staff.get('hushizhang.chen')!;
      const to = escalation.ownerId === chen ? staff.get('kezhuren.wang')! : chen;

      const res = await manager.post(`/console/escalations/${escalation.id}/reassign`, { toStaffId: to, note: '请跟进' });
      expect(res.status).toBe(302);
      expect((await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).ownerId).toBe(to);
      const told = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `esc:${escalation.id}:${escalation.level}:handover:${to}:` } } });
      expect(told).toHaveLength(1);
      expect(told[0]!.payload).not.toContain(followUp.customerId);
      expect(await audits('escalation.reassigned', escalation.id)).toEqual([{ actorId: staff.get('kezhuren.wang'), details: expect.objectContaining({ fromOwnerId: escalation.ownerId, toOwnerId: to }) }]);

      // Only the owner acknowledges and resolves; a resolution needs a note.
      const ownerWecom = to === chen ? 'hushizhang.chen' : 'kezhuren.wang';
      const owner = ownerWecom === 'kezhuren.wang' ? manager : await signedInAsStaff(app, http.baseUrl, chen);
      const notOwner = ownerWecom === 'kezhuren.wang' ? await signedInAsStaff(app, http.baseUrl, chen) : manager;
      await notOwner.get(`/console/escalations/${escalation.id}`);
      const refused = await notOwner.post(`/console/escalations/${escalation.id}/acknowledge`);
      expect(refused.status).toBe(400);
      expect(pageText(refused.body)).toContain('只有升级事项的当前负责人');
      // Its page lists the reports of the incident: here the nurse's 不满意 tap.
      const detail = await owner.get(`/console/escalations/${escalation.id}`);
      expect(pageText(detail.body)).toContain('反馈记录（1）');
      expect(pageText(detail.body)).toContain('员工回访');
      expect((await owner.post(`/console/escalations/${escalation.id}/acknowledge`)).status).toBe(302);
      expect((await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).status).toBe('ACKNOWLEDGED');
      const noNote = await owner.post(`/console/escalations/${escalation.id}/resolve`, { note: '' });
      expect(noNote.status).toBe(400);
      expect(pageText(noNote.body)).toContain('请填写处理说明');
      expect((await owner.post(`/console/escalations/${escalation.id}/resolve`, { note: '已电话致歉并安排复诊' })).status).toBe(302);
      expect((await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).status).toBe('RESOLVED');
      // The escalation card is greyed out: an update of that card (sent to its first owner), no live 确认受理 left.
      const update = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalation.id}:${escalation.level}:resolved-update` } });
      expect(JSON.parse(update.payload)).toMatchObject({ kind: 'card_update', taskId: `esc_${escalation.id}_${escalation.level}`, cardKey: `esc:${escalation.id}:card:${escalation.level}` });
      const closed = await manager.post(`/console/escalations/${escalation.id}/reassign`, { toStaffId: staff.get('hushi.li')! });
      expect(closed.status).toBe(400);
    });
  });

  describe('customers', () => {
    it('records an opt-out with its reason: open surveys end, pending messages are cancelled; an opt-in with a reason undoes it', async () => {
      const { followUp } = await pushedTask('hushi.li');
      const customerId = followUp.customerId;
      const openSurveysBefore = await db().prisma.followUp.count({ where: { customerId, action: 'CUSTOMER_SURVEY', status: { in: ['SCHEDULED', 'ACTIVE', 'OVERDUE'] } } });
      expect(openSurveysBefore).toBeGreaterThan(0);
      await manager.get(`/console/customers/${customerId}`);
      const noReason = await manager.post(`/console/customers/${customerId}/consent`, { change: 'opt_out', reason: ' ' });
      expect(noReason.status).toBe(400);
      expect(pageText(noReason.body)).toContain('请填写原因');
      expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).optedOutAt).toBeNull();

      const res = await manager.post(`/console/customers/${customerId}/consent`, { change: 'opt_out', reason: '患者家属来电要求不再联系' });
      expect(res.status).toBe(302);
      const customer = await db().prisma.customer.findUniqueOrThrow({ where: { id: customerId } });
      expect(customer.optedOutAt).not.toBeNull();
      expect(customer.optOutSource).toBe('console');
      const openSurveys = await db().prisma.followUp.count({ where: { customerId, action: 'CUSTOMER_SURVEY', status: { in: ['SCHEDULED', 'ACTIVE', 'OVERDUE'] } } });
      expect(openSurveys).toBe(0);
      expect(await db().prisma.outboxMessage.count({ where: { recipientType: 'customer', recipientId: customerId, status: 'PENDING' } })).toBe(0);
      expect(await audits('customer.opted_out', customerId)).toEqual([{ actorId: staff.get('kezhuren.wang'), details: expect.objectContaining({ reason: '患者家属来电要求不再联系', source: 'console' }) }]);

      expect((await manager.post(`/console/customers/${customerId}/consent`, { change: 'opt_in', reason: '患者本人来电同意回访', marketing: 'no' })).status).toBe(302);
      expect(await db().prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).toMatchObject({ optedOutAt: null, consentSurvey: true, consentMarketing: false });
      expect(await audits('customer.opted_in', customerId)).toHaveLength(1);
    });

    it('reveals a full number on request, audited with its purpose, up to the daily limit; every view of a customer is audited', async () => {
      const { followUp, phone } = await pushedTask('hushi.li');
      const nurse = await signedInAsStaff(app, http.baseUrl, staff.get('hushi.li')!);
      const page = await nurse.get(`/console/customers/${followUp.customerId}`);
      expect(page.body).not.toContain(phone.slice(3));
      expect(await audits('customer.viewed', followUp.customerId)).toEqual([expect.objectContaining({ actorId: staff.get('hushi.li') })]);

      const first = await nurse.post(`/console/customers/${followUp.customerId}/reveal`, { purpose: 'call' });
      expect(first.status).toBe(200);
      expect(first.body).toContain(`tel:${phone.slice(3)}`);
      expect(pageText(first.body)).toContain('今日还可查看 1 次');
      expect((await nurse.post(`/console/customers/${followUp.customerId}/reveal`, { purpose: 'view' })).status).toBe(200);
      const third = await nurse.post(`/console/customers/${followUp.customerId}/reveal`, { purpose: 'view' });
      expect(third.status).toBe(429);
      expect(third.body).not.toContain(phone.slice(3));
      expect(pageText(third.body)).toContain('今日查看号码的次数已达上限');
      const revealed = await audits('customer.phone_revealed', followUp.customerId);
      expect(revealed.map((r) => r.details.purpose)).toEqual(['call', 'view']);
      expect(revealed.every((r) => !JSON.stringify(r.details).includes(phone.slice(3)))).toBe(true);
      expect(await audits('customer.phone_revealed_refused', followUp.customerId)).toHaveLength(0);
      expect(await db().prisma.auditLog.count({ where: { action: 'customer.phone_reveal_refused', entityId: followUp.customerId } })).toBe(1);

      // The next day (and a new session: the old one has been idle too long) the allowance is back.
      clock.set('2026-11-11T09:00:00+08:00');
      try {
        const nextDay = await signedInAsStaff(app, http.baseUrl, staff.get('hushi.li')!);
        await nextDay.get(`/console/customers/${followUp.customerId}`);
        expect((await nextDay.post(`/console/customers/${followUp.customerId}/reveal`, { purpose: 'view' })).status).toBe(200);
      } finally {
        clock.set(START);
      }
    });
  });

  describe('calendar and settings (administrators)', () => {
    it('a closure day entered in 日历 is a day off for the scheduler at once; removing it restores the working day', async () => {
      // 2026 comes with the State Council schedule: holidays and make-up days cannot be added, closures can.
      await admin.get('/console/calendar?year=2026');
      const shipped = await admin.post('/console/calendar/entries', { date: '2026-11-18', kind: 'holiday', name: '自定假日' });
      expect(shipped.status).toBe(400);
      expect(pageText(shipped.body)).toContain('国务院节假日安排已随系统提供');
      expect(app.deps.calendar.isWorkingDay('2026-11-18')).toBe(true);

      expect((await admin.post('/console/calendar/entries', { date: '2026-11-18', kind: 'closure', name: '院庆停诊' })).status).toBe(302);
      expect(app.deps.calendar.isWorkingDay('2026-11-18')).toBe(false);
      expect(pageText((await admin.get('/console/calendar?year=2026')).body)).toContain('院庆停诊');
      expect(await audits('calendar.entry_added', '2026-11-18')).toHaveLength(1);

      expect((await admin.post('/console/calendar/entries/2026-11-18/remove')).status).toBe(302);
      expect(app.deps.calendar.isWorkingDay('2026-11-18')).toBe(true);
      expect(await audits('calendar.entry_removed', '2026-11-18')).toHaveLength(1);

      // Managers may look but not change the calendar.
      expect((await manager.get('/console/calendar?year=2026')).status).toBe(200);
      expect((await manager.post('/console/calendar/entries', { date: '2026-11-19', kind: 'closure', name: '停诊' })).status).toBe(403);
      const invalid = await admin.post('/console/calendar/entries', { date: '2026-02-30', kind: 'closure', name: 'x' });
      expect(invalid.status).toBe(400);
    });

    it('enters next year’s State Council schedule: holidays and 调休 make-up days count at once, and the dashboard stops warning', async () => {
      expect(app.deps.calendar.isShippedYear(2027)).toBe(false);
      expect(pageText((await admin.get('/console')).body)).toContain('节假日日历尚未包含 2027 年');
      await admin.get('/console/calendar?year=2027');
      // 2027-10-01 is a Friday, 2027-10-09 a Saturday.
      expect(app.deps.calendar.isWorkingDay('2027-10-01')).toBe(true);
      expect(app.deps.calendar.isWorkingDay('2027-10-09')).toBe(false);
      expect((await admin.post('/console/calendar/entries', { date: '2027-10-01', kind: 'holiday', name: '国庆节' })).status).toBe(302);
      expect((await admin.post('/console/calendar/entries', { date: '2027-10-09', kind: 'workday', name: '国庆节' })).status).toBe(302);
      expect(app.deps.calendar.isWorkingDay('2027-10-01')).toBe(false);
      expect(app.deps.calendar.isWorkingDay('2027-10-09')).toBe(true);
      expect(app.deps.calendar.coveredYears()).toContain(2027);
      expect(pageText((await admin.get('/console')).body)).not.toContain('节假日日历尚未包含 2027 年');
      // A make-up working day on a weekday is contradictory: refused, and the day keeps its holiday.
      const clash = await admin.post('/console/calendar/entries', { date: '2027-10-01', kind: 'workday', name: '国庆节' });
      expect(clash.status).toBe(400);
      expect(pageText(clash.body)).toContain('该日期与已有的日历冲突');
      expect(app.deps.calendar.isWorkingDay('2027-10-01')).toBe(false);
      expect(await db().prisma.calendarEntry.findUnique({ where: { date: '2027-10-01' } })).toMatchObject({ kind: 'holiday', name: '国庆节' });
      for (const date of ['2027-10-01', '2027-10-09']) expect((await admin.post(`/console/calendar/entries/${date}/remove`)).status).toBe(302);
      expect(app.deps.calendar.isWorkingDay('2027-10-01')).toBe(true);
    });

    it('makes a staff member an auditor and back, refuses to let an administrator drop their own role, and shows a one-time link', async () => {
      const wang = await app.console.auth.findConsoleUserByStaff(staff.get('kezhuren.wang')!);
      await admin.get('/console/settings');
      expect((await admin.post(`/console/settings/accounts/${wang!.id}/role`, { role: 'auditor' })).status).toBe(302);
      const asAuditor = await manager.get('/console');
      expect(pageText(asAuditor.body)).toContain('审计员');
      expect((await manager.post('/console/follow-ups/reassign', { id: 'x'.repeat(26), toStaffId: staff.get('hushi.li')! })).status).toBe(403);
      expect((await admin.post(`/console/settings/accounts/${wang!.id}/role`, { role: '' })).status).toBe(302);
      expect(pageText((await manager.get('/console')).body)).toContain('负责人');
      const changes = (await audits('console.role_changed', wang!.id)).map((a) => a.details);
      expect(changes).toHaveLength(2);
      expect(changes).toEqual(expect.arrayContaining([{ from: null, to: 'auditor' }, { from: 'auditor', to: null }]));

      const self = await admin.post(`/console/settings/accounts/${adminId}/role`, { role: '' });
      expect(self.status).toBe(403);
      expect((await app.console.auth.findConsoleUser(adminId))!.role).toBe('admin');

      const link = await admin.post(`/console/settings/accounts/${wang!.id}/link`);
      expect(link.status).toBe(200);
      const url = /<code>([^<]+)<\/code>/.exec(link.body)![1]!.replace(/&amp;/g, '&');
      expect(await audits('console.link_created', wang!.id)).toEqual([expect.objectContaining({ actorId: adminId })]);
      const fresh = new ConsoleClient(http.baseUrl);
      expect((await fresh.signInWithLink(url.replace(app.config.publicBaseUrl, http.baseUrl))).location).toBe('/console');
    });

    it('adds and removes a complaint topic keyword', async () => {
      await admin.get('/console/satisfaction');
      expect((await admin.post('/console/satisfaction/keywords', { topic: '服务态度', keyword: '态度差' })).status).toBe(302);
      const keyword = await db().prisma.complaintKeyword.findFirstOrThrow({ where: { keyword: '态度差' } });
      expect(pageText((await admin.get('/console/satisfaction')).body)).toContain('态度差');
      expect((await manager.post('/console/satisfaction/keywords', { topic: '服务态度', keyword: '冷漠' })).status).toBe(403);
      expect((await admin.post(`/console/satisfaction/keywords/${keyword.id}/remove`)).status).toBe(302);
      expect(await db().prisma.complaintKeyword.count()).toBe(0);
      expect(await audits('complaint_topic.added', keyword.id)).toHaveLength(1);
      expect(await audits('complaint_topic.removed', keyword.id)).toHaveLength(1);
    });
  });
});
