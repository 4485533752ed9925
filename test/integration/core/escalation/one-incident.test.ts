// One incident, one escalation: the nurse's 不满意 tap on her call, the patient's SMS reply
// 「不满意，护士态度差」 and a survey-page answer about the same discharge become one escalation for the
// head nurse with three pieces of evidence; her card is updated, not repeated. Once resolved, the
// incident is over.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { ROOT_DIR } from '../../../../bot/huifang.js';
import { resolveEscalation } from '../../../../bot/core/escalation/act-on-escalation.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, smsReply, submit, tapCard, uniquePhone } from '../../../support/builders.js';
import { buttonKey, deliveredCard, followUpOf, postCase, runJob } from '../../../support/e2e.js';

let policiesDir: string;
let twoCallsDir: string;

beforeAll(() => {
  // P4 with a second call due with the first: both become overdue at the same tick.
  twoCallsDir = mkdtempSync(join(tmpdir(), 'huifang-policies-'));
  cpSync(join(ROOT_DIR, 'templates/policies'), twoCallsDir, { recursive: true });
  const p4 = readFileSync(join(twoCallsDir, 'P4.yaml'), 'utf8');
  const call = p4.slice(p4.indexOf('  - key: phone\n'), p4.indexOf('  - key: phone_serious\n'));
  writeFileSync(join(twoCallsDir, 'P4.yaml'), p4.replace('  - key: phone_serious\n', `${call.replace('key: phone', 'key: phone_second')}  - key: phone_serious\n`));

  // P4 with a second satisfaction survey two days after the first, so that the patient answers one by
  // SMS and the other on its page.
  policiesDir = mkdtempSync(join(tmpdir(), 'huifang-policies-'));
  cpSync(join(ROOT_DIR, 'templates/policies'), policiesDir, { recursive: true });
  const file = join(policiesDir, 'P4.yaml');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('  - key: survey\n');
  const nextStep = text.indexOf('\n  - key: ', start + 1);
  const end = nextStep >= 0 && nextStep < text.indexOf('escalation:') ? nextStep + 1 : text.indexOf('escalation:');
  const survey = text.slice(start, end);
  const again = survey.replace('key: survey', 'key: survey_again').replace('earliest: 3 days', 'earliest: 5 days');
  writeFileSync(file, text.replace('escalation:', `${again}escalation:`));
});

afterAll(() => {
  rmSync(policiesDir, { recursive: true, force: true });
  rmSync(twoCallsDir, { recursive: true, force: true });
});

describeEachDatabase('one incident, one escalation', (db) => {
  const clock = new FakeClock('2026-11-02T15:30:00+08:00');
  let app: Huifang;
  let baseUrl: string;
  let staff: Map<string, string>;

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock, { policiesDir });
    const http = await listen(app);
    baseUrl = http.baseUrl;
    return () => http.close();
  });

  it('gathers the nurse’s tap, the SMS reply and the page answer in one escalation, and updates its card', async () => {
    const phone = uniquePhone();
    clock.set('2026-11-02T15:30:00+08:00');
    const caseId = await postCase(baseUrl, dischargeBody({ occurredAt: '2026-11-02T15:30:00+08:00', phone }));
    const call = await followUpOf(db().prisma, caseId, 'phone');
    const first = await followUpOf(db().prisma, caseId, 'survey');
    const second = await followUpOf(db().prisma, caseId, 'survey_again');
    for (const at of ['2026-11-05T10:00:00+08:00', '2026-11-07T10:00:00+08:00', '2026-11-09T09:00:00+08:00']) {
      clock.set(at);
      await runJob(app, 'activate-due-follow-ups');
      await runJob(app, 'dispatch-outbox');
    }

    // 1. The nurse reaches the patient, who is not satisfied: she taps 不满意.
    clock.set('2026-11-09T10:00:00+08:00');
    const { card } = await deliveredCard(db().prisma, call.id, 1);
    expect((await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'dissatisfied') })).result?.status).toBe('PROCESSED');
    // 2. The patient answers the newer survey by SMS, twice (a provider retry of the same reply).
    clock.set('2026-11-09T10:05:00+08:00');
    expect((await smsReply(app, phone, '不满意，护士态度差')).result?.status).toBe('PROCESSED');
    expect((await smsReply(app, phone, '不满意，护士态度差')).duplicate).toBe(true);
    // 3. …and the older one on its page.
    clock.set('2026-11-09T10:10:00+08:00');
    const answered = await db().prisma.surveyResponse.findFirstOrThrow({ where: { survey: { followUpId: { in: [first.id, second.id] } } } });
    const bySms = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: answered.surveyId } });
    const other = await db().prisma.surveyInstance.findFirstOrThrow({ where: { followUpId: { in: [first.id, second.id] }, id: { not: answered.surveyId } } });
    const invite = await db().prisma.outboxMessage.findFirstOrThrow({ where: { followUpId: other.followUpId!, kind: 'survey_invite' } });
    const path = new URL((JSON.parse(invite.payload) as { link: string }).link).pathname;
    const page = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ q_overall: '1', q_comment: '出院宣教也没讲清楚' }).toString(),
    });
    expect(page.status).toBe(200);

    const escalations = await db().prisma.escalation.findMany({ where: { caseId } });
    expect(escalations).toHaveLength(1);
    const e = escalations[0]!;
    expect(e).toMatchObject({ reason: 'DISSATISFIED', ownerId: staff.get('hushizhang.chen'), status: 'OPEN', incidentKey: `${caseId}:dissatisfaction`, followUpId: call.id });
    const evidence = await db().prisma.escalationEvidence.findMany({ where: { escalationId: e.id }, orderBy: { at: 'asc' } });
    expect(evidence.map((x) => ({ reason: x.reason, source: x.source, followUpId: x.followUpId }))).toEqual([
      { reason: 'DISSATISFIED', source: 'staff', followUpId: call.id },
      { reason: 'COMPLAINT', source: 'sms', followUpId: bySms.followUpId },
      { reason: 'DISSATISFIED', source: 'web', followUpId: other.followUpId },
    ]);
    expect(evidence[1]!.note).toContain('态度差');
    expect(evidence[2]!.note).toBe('出院宣教也没讲清楚');

    // One card for the head nurse; the two later reports update it.
    const toHead = await db().prisma.outboxMessage.findMany({ where: { recipientId: staff.get('hushizhang.chen'), idempotencyKey: { startsWith: `esc:${e.id}:` } }, orderBy: { createdAt: 'asc' } });
    expect(toHead.map((m) => m.kind).sort()).toEqual(['card_update', 'card_update', 'task_card']);
    expect(await db().prisma.outboxMessage.count({ where: { kind: 'task_card', idempotencyKey: { startsWith: 'esc:' }, recipientId: staff.get('hushizhang.chen'), followUpId: { in: [call.id, first.id, second.id] } } })).toBe(1);
    const updates = toHead.filter((m) => m.kind === 'card_update').map((m) => JSON.parse(m.payload) as { taskId: string; replaceName: string });
    expect(updates.map((u) => u.taskId)).toEqual([`esc_${e.id}_1`, `esc_${e.id}_1`]);
    expect(updates.map((u) => u.replaceName)).toEqual(['补充反馈·共2条', '补充反馈·共3条']);
    expect(await db().prisma.auditLog.count({ where: { entityId: e.id, action: 'escalation.evidence_added' } })).toBe(2);

    // The escalation's page lists the three reports.
    const cardRow = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${e.id}:card:1` } });
    const escPage = new URL((JSON.parse(cardRow.payload) as { card: { detailUrl: string } }).card.detailUrl).pathname;
    const html = await (await fetch(`${baseUrl}${escPage}`)).text();
    expect(html).toContain('反馈记录（3）');
    expect(html).toContain('出院宣教也没讲清楚');

    // Resolved, the incident is over: its key is released for the next one.
    const resolved = await resolveEscalation(app.deps, { escalationId: e.id, level: 1, wecomUserId: 'hushizhang.chen', inboundEventId: null, note: '已致歉并安排护士长回访。' });
    expect(resolved.status).toBe('resolved');
    expect((await db().prisma.escalation.findUniqueOrThrow({ where: { id: e.id } })).incidentKey).toBeNull();
  });

  it('escalates two calls of one case overdue at the same tick once, with both as evidence', async () => {
    const twoCalls = createTestService(db().url, sharedDbClient(db()), clock, { policiesDir: twoCallsDir });
    clock.set('2026-11-02T15:30:00+08:00');
    const { caseId } = await submit(twoCalls, dischargeBody({ occurredAt: '2026-11-02T15:30:00+08:00', phone: uniquePhone() }));
    clock.set('2026-11-09T09:00:00+08:00');
    await runJob(twoCalls, 'activate-due-follow-ups');
    await runJob(twoCalls, 'dispatch-outbox');
    const calls = await db().prisma.followUp.findMany({ where: { caseId, step: { in: ['phone', 'phone_second'] } } });
    expect(calls.map((f) => f.status)).toEqual(['ACTIVE', 'ACTIVE']);

    clock.set('2026-11-17T23:59:00+08:00');
    expect(await runJob(twoCalls, 'mark-overdue')).toMatchObject({ overdue: 2, escalated: 1 });
    const escalations = await db().prisma.escalation.findMany({ where: { caseId } });
    expect(escalations).toMatchObject([{ reason: 'OVERDUE', incidentKey: `${caseId}:overdue` }]);
    const evidence = await db().prisma.escalationEvidence.findMany({ where: { escalationId: escalations[0]!.id } });
    expect(evidence.map((x) => x.followUpId).sort()).toEqual(calls.map((f) => f.id).sort());
    expect(await db().prisma.outboxMessage.count({ where: { idempotencyKey: { startsWith: `esc:${escalations[0]!.id}:card:` } } })).toBe(1);
  });
});
