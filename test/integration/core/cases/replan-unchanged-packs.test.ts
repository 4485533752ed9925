// Replanning never loses work: with every shipped pack unchanged, after its example cases were
// created and some of their follow-ups answered satisfied or dissatisfied (an escalation, resolved,
// with its second follow-up 二次回访 scheduled), a dry run reports no change, --apply changes nothing,
// and posting the same cases again leaves the second follow-ups in place.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { ROOT_DIR } from '../../../../bot/huifang.js';
import { join } from 'node:path';
import { loadCaseExamples } from '../../../../bot/http/case-examples.js';
import type { CaseBody } from '../../../../bot/cases/case-body.js';
import { replanPolicy } from '../../../../bot/core/cases/replan-policy.js';
import { resolveEscalation } from '../../../../bot/core/escalation/act-on-escalation.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { submit, tapCard } from '../../../support/builders.js';
import { buttonKey, deliveredCard, runJob } from '../../../support/e2e.js';
import { storeContext } from '../../../support/service.js';
import { PrismaStaffDirectory } from '../../../../bot/db/staff-directory-store.js';
import { UlidGenerator } from '../../../../bot/clocks.js';
import { openCsv } from '../../../../bot/import/read-csv.js';
import { importStaff, STAFF_COLUMNS } from '../../../../bot/import/import-staff.js';
import { loadRoleCatalogue } from '../../../../bot/loaders/load-roles.js';

const examples = loadCaseExamples(join(ROOT_DIR, 'templates/policies/examples'))
  .map((e) => ({ name: e.name, body: e.value as unknown as CaseBody }))
  // Latest first: a case handled later in this test never has its follow-ups pushed by an earlier
  // case's clock, so every second follow-up is still waiting when the packs are replanned.
  .sort((a, b) => Date.parse(b.body.occurredAt) - Date.parse(a.body.occurredAt));

describeEachDatabase('replanning an unchanged pack', (db) => {
  const clock = new FakeClock('2025-01-01T09:00:00+08:00');
  let app: Huifang;

  beforeAll(async () => {
    // The hospital and the estate of the example organisation, plus the other trades' staff
    // (the departments and people the examples name, and the roles their packs assign to).
    await seedOrganisation(db());
    const csv = await openCsv(join(ROOT_DIR, 'test/fixtures/org/trades-staff.csv'), { columns: STAFF_COLUMNS });
    const ids = new UlidGenerator();
    const imported = await importStaff(new PrismaStaffDirectory(storeContext(db())), csv.rows(), { roles: loadRoleCatalogue(join(ROOT_DIR, 'templates/policies')), newId: () => ids.next() });
    expect(imported.problems).toEqual([]);
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  /** Every follow-up as it stands, keyed by id: what a replan must leave alone. */
  async function snapshot() {
    const rows = await db().prisma.followUp.findMany({ orderBy: { id: 'asc' } });
    return rows.map((f) => ({ id: f.id, step: f.step, status: f.status, dueAt: f.dueAt, deadlineAt: f.deadlineAt, assigneeId: f.assigneeId, version: f.version }));
  }

  it('plans nothing new, moves nothing and cancels nothing, second follow-ups included', async () => {
    const escalatedPacks = new Set<string>();
    for (const { name, body } of examples) {
      clock.set(new Date(Date.parse(body.occurredAt) + 60_000));
      const { caseId } = await submit(app, body);
      // The case's first staff task is pushed when due and answered: 不满意 for the first case of each
      // pack (an escalation, resolved at once, which schedules a second follow-up), 满意 for the others.
      const task = await db().prisma.followUp.findFirst({ where: { caseId, action: 'STAFF_TASK', status: 'SCHEDULED' }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });
      if (!task?.assigneeId) continue;
      const dissatisfied = !escalatedPacks.has(task.policyId);
      clock.set(task.dueAt);
      await runJob(app, 'activate-due-follow-ups');
      await runJob(app, 'dispatch-outbox');
      const pushed = await db().prisma.followUp.findUniqueOrThrow({ where: { id: task.id } });
      expect(pushed.status, `${name}: ${task.step}`).toBe('ACTIVE');
      const assignee = await db().prisma.staff.findUniqueOrThrow({ where: { id: task.assigneeId } });
      const { card } = await deliveredCard(db().prisma, task.id, pushed.activations);
      const tap = await tapCard(app, { wecomUserId: assignee.wecomUserId, key: buttonKey(card, dissatisfied ? 'dissatisfied' : 'satisfied') });
      expect(tap.result?.status).toBe('PROCESSED');
      if (dissatisfied) escalatedPacks.add(task.policyId);
    }
    // Each escalation is resolved (after every case was handled, so that no job pushes its second
    // follow-up before the replan).
    for (const escalation of await db().prisma.escalation.findMany({ where: { status: 'OPEN' } })) {
      const owner = await db().prisma.staff.findUniqueOrThrow({ where: { id: escalation.ownerId } });
      const resolved = await resolveEscalation(app.deps, { escalationId: escalation.id, level: escalation.level, wecomUserId: owner.wecomUserId, inboundEventId: null, note: '已联系客户并致歉，已整改。' });
      expect(resolved.status).toBe('resolved');
    }
    const seconds = await db().prisma.followUp.findMany({ where: { step: { startsWith: 'esc2_' }, status: 'SCHEDULED' } });
    // Enough escalations to mean something: several packs have a resolved one waiting for its second call.
    expect(new Set(seconds.map((f) => f.policyId)).size).toBeGreaterThanOrEqual(10);
    expect(seconds.map((f) => f.policyId)).toContain('P4');

    const before = await snapshot();
    // A recorded first call already replanned its case once (P1's half-year call counts from it).
    const replannedBefore = await db().prisma.auditLog.count({ where: { action: 'case.replanned' } });
    const policies = [...new Set(examples.map((e) => app.deps.policies.forCaseType(e.body.type)!.id))];
    expect(policies).toHaveLength(14);
    for (const policyId of policies) {
      const dry = await replanPolicy(app.deps, { policyId, apply: false });
      expect({ policyId, added: dry.added, moved: dry.moved, cancelled: dry.cancelled, cases: dry.cases }).toEqual({ policyId, added: 0, moved: 0, cancelled: 0, cases: [] });
      const applied = await replanPolicy(app.deps, { policyId, apply: true });
      expect({ policyId, added: applied.added, moved: applied.moved, cancelled: applied.cancelled }).toEqual({ policyId, added: 0, moved: 0, cancelled: 0 });
    }
    expect(await snapshot()).toEqual(before);
    expect(await db().prisma.auditLog.count({ where: { action: 'case.replanned' } })).toBe(replannedBefore);

    // The source system posts the same cases again: nothing the pack did not plan is cancelled.
    for (const { body } of examples) await submit(app, body);
    expect(await snapshot()).toEqual(before);
  });
});
