// One incident, one escalation, under a race and a graver report: two replicas that both found no open
// escalation for the incident and commit at once still leave one (the second merges into the first as
// evidence, and updates its card); a 投诉 complaint joining a 不满意 escalation raises it to the level and
// severity the ladder gives a complaint, with the new owner's card and an `escalation.climbed` entry.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { ROOT_DIR } from '../../../../bot/huifang.js';
import { planEscalation } from '../../../../bot/core/escalation/open-escalation.js';
import type { EscalationReason } from '../../../../bot/core/escalation/rules.js';
import { webhookEventOf } from '../../../../bot/core/webhooks/events.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createReplica, createTestService, listen, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, submit, uniquePhone } from '../../../support/builders.js';
import { followUpOf } from '../../../support/e2e.js';

let highStartsAtTwo: string;

beforeAll(() => {
  // P4 where a complaint (severity high) starts at level 2 of 护士长 → 科主任 → 院长.
  highStartsAtTwo = mkdtempSync(join(tmpdir(), 'huifang-policies-'));
  cpSync(join(ROOT_DIR, 'templates/policies'), highStartsAtTwo, { recursive: true });
  const file = join(highStartsAtTwo, 'P4.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('  triggers: { MEDICAL_CONCERN: true }\n', '  triggers: { MEDICAL_CONCERN: true }\n  startLevel: { high: 2 }\n'));
});

afterAll(() => rmSync(highStartsAtTwo, { recursive: true, force: true }));

describeEachDatabase('one incident, one escalation: races and graver reports', (db) => {
  const clock = new FakeClock('2026-11-09T10:00:00+08:00');
  let staff: Map<string, string>;

  beforeAll(async () => {
    staff = await seedOrganisation(db());
  });

  /** Plans a trigger of `reason` about the case's phone follow-up, as the use cases do. */
  async function plan(app: Huifang, followUpId: string, reason: EscalationReason, sourceKey: string, note: string) {
    const ctx = (await app.deps.followUps.findFollowUpContext(followUpId))!;
    const org = await app.deps.org.loadOrgSnapshot();
    const planned = await planEscalation(app.deps, org, clock.now(), { reason, sourceKey, case: ctx.case, customer: ctx.customer, followUp: ctx.followUp, note, exclude: [ctx.followUp.assigneeId], source: 'sms' });
    if (planned.kind !== 'opened') throw new Error('expected an escalation');
    return { escalation: planned.escalation, outbox: planned.outbox, audit: planned.audit };
  }

  it('keeps one escalation when two replicas open the same incident at once', async () => {
    const app = createTestService(db().url, sharedDbClient(db()), clock);
    clock.set('2026-11-02T15:30:00+08:00');
    const { caseId } = await submit(app, dischargeBody({ occurredAt: '2026-11-02T15:30:00+08:00', phone: uniquePhone() }));
    const call = await followUpOf(db().prisma, caseId, 'phone');
    clock.set('2026-11-09T10:00:00+08:00');
    // Replicas share a PostgreSQL database; SQLite serves one process, whose writes may still overlap.
    const replica = db().provider === 'postgresql' ? createReplica(db(), clock) : null;
    try {
      const other = replica ?? app;
      // Both plan before either commits: neither sees an open escalation of the incident.
      const a = await plan(app, call.id, 'DISSATISFIED', `dissatisfied:${call.id}`, '不满意');
      const b = await plan(other, call.id, 'COMPLAINT', `complaint:${call.id}`, '投诉：护士态度差，电话138****0001');
      expect(a.escalation.addTo).toBeUndefined();
      expect(b.escalation.addTo).toBeUndefined();
      const opened = await Promise.all([app.deps.escalations.openEscalations([a]), other.deps.escalations.openEscalations([b])]);
      expect(opened.flat()).toHaveLength(1);
    } finally {
      await replica?.closeReplica();
    }

    const escalations = await db().prisma.escalation.findMany({ where: { caseId } });
    expect(escalations).toHaveLength(1);
    const e = escalations[0]!;
    expect(e.incidentKey).toBe(`${caseId}:dissatisfaction`);
    const evidence = await db().prisma.escalationEvidence.findMany({ where: { escalationId: e.id } });
    expect(evidence.map((x) => x.reason).sort()).toEqual(['COMPLAINT', 'DISSATISFIED']);
    // One card, updated by the merged report; the loser's own card is never queued.
    const cards = await db().prisma.outboxMessage.findMany({ where: { kind: { in: ['task_card', 'card_update'] }, followUpId: call.id, idempotencyKey: { startsWith: 'esc:' } } });
    expect(cards.map((m) => [m.kind, m.idempotencyKey.split(':')[1]]).sort()).toEqual([
      ['card_update', e.id],
      ['task_card', e.id],
    ]);
    const update = cards.find((m) => m.kind === 'card_update')!;
    expect(JSON.parse(update.payload)).toMatchObject({ taskId: `esc_${e.id}_1`, replaceName: '补充反馈·共2条' });
    const audit = await db().prisma.auditLog.findMany({ where: { entityType: 'Escalation', action: { startsWith: 'escalation.' }, entityId: e.id } });
    expect(audit.map((x) => x.action).sort()).toEqual(['escalation.evidence_added', 'escalation.opened']);
  });

  it('raises the escalation a complaint joins to the complaint’s own level, updating the card and telling subscribers', async () => {
    const app = createTestService(db().url, sharedDbClient(db()), clock, { policiesDir: highStartsAtTwo });
    clock.set('2026-11-02T15:30:00+08:00');
    const { caseId } = await submit(app, dischargeBody({ occurredAt: '2026-11-02T15:30:00+08:00', phone: uniquePhone() }));
    const call = await followUpOf(db().prisma, caseId, 'phone');
    clock.set('2026-11-09T10:00:00+08:00');
    expect(await app.deps.escalations.openEscalations([await plan(app, call.id, 'DISSATISFIED', `dissatisfied:${call.id}`, '不满意')])).toHaveLength(1);
    const first = await db().prisma.escalation.findFirstOrThrow({ where: { caseId } });
    expect(first).toMatchObject({ severity: 'normal', level: 1, ownerId: staff.get('hushizhang.chen') });

    clock.set('2026-11-09T10:30:00+08:00');
    const complaint = await plan(app, call.id, 'COMPLAINT', `complaint:${call.id}`, '我要投诉，请打13912345678');
    expect(complaint.escalation.addTo).toBe(first.id);
    expect(await app.deps.escalations.openEscalations([complaint])).toHaveLength(1);

    const raised = await db().prisma.escalation.findUniqueOrThrow({ where: { id: first.id } });
    expect(raised).toMatchObject({ severity: 'high', level: 2, ownerId: staff.get('kezhuren.wang'), status: 'OPEN', incidentKey: `${caseId}:dissatisfaction` });
    expect(await db().prisma.escalation.count({ where: { caseId } })).toBe(1);
    const messages = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `esc:${first.id}:` } }, orderBy: { idempotencyKey: 'asc' } });
    expect(messages.map((m) => [m.idempotencyKey.slice(`esc:${first.id}:`.length), m.kind, m.recipientId])).toEqual([
      ['card:1', 'task_card', staff.get('hushizhang.chen')],
      ['card:2', 'task_card', staff.get('kezhuren.wang')],
      ['climbed:2', 'staff_text', staff.get('hushizhang.chen')],
      [`evidence:complaint:${call.id}`, 'card_update', staff.get('hushizhang.chen')],
    ]);
    const climbed = await db().prisma.auditLog.findFirstOrThrow({ where: { entityId: first.id, action: 'escalation.climbed' } });
    const event = webhookEventOf({ auditId: climbed.id, at: climbed.at, actorId: null, action: climbed.action, entityType: climbed.entityType, entityId: climbed.entityId, details: JSON.parse(climbed.details) as Record<string, unknown>, context: null });
    expect(event).toEqual({ type: 'escalation.climbed', data: { escalationId: first.id, fromLevel: 1, level: 2, ownerId: staff.get('kezhuren.wang') } });

    // A second 不满意 is not graver: evidence only, the level and owner stay.
    clock.set('2026-11-09T11:00:00+08:00');
    await app.deps.escalations.openEscalations([await plan(app, call.id, 'DISSATISFIED', `dissatisfied-web:${call.id}`, '不满意')]);
    expect(await db().prisma.escalation.findUniqueOrThrow({ where: { id: first.id } })).toMatchObject({ severity: 'high', level: 2, ownerId: staff.get('kezhuren.wang') });
    expect(await db().prisma.escalationEvidence.count({ where: { escalationId: first.id } })).toBe(3);

    // The new owner's page lists every report, with the phone in the customer's words masked.
    const http = await listen(app);
    try {
      const html = await (await fetch(`${http.baseUrl}/e/${await app.deps.links.sign('escalation', `${first.id}_2`)}`)).text();
      expect(html).toContain('反馈记录（3）');
      expect(html).toContain('我要投诉，请打139****5678');
      expect(html).not.toContain('13912345678');
    } finally {
      await http.close();
    }
  });
});
