import type { CoreDeps } from '../deps.js';
import { planFollowUps } from '../policies/plan-follow-ups.js';
import { claimQuotaSlots } from '../policies/sampling-quota.js';
import { diffPlan, type FollowUpMove } from '../policies/diff-plan.js';
import { planContext } from './submit-case.js';

export interface ReplanCaseReport {
  caseId: string;
  externalId: string;
  add: { step: string; dueAt: Date; deadlineAt: Date }[];
  move: FollowUpMove[];
  cancel: { step: string }[];
}

export interface ReplanReport {
  policyId: string;
  applied: boolean;
  casesExamined: number;
  casesChanged: number;
  added: number;
  moved: number;
  cancelled: number;
  /** Per-case changes (all of them; the CLI prints the first few). */
  cases: ReplanCaseReport[];
}

/**
 * Re-plans every open case of a policy that still has scheduled follow-ups, with the policy as it is
 * loaded now, and reports what would be added, moved or cancelled. With `apply`, makes those changes
 * (each case in one transaction, compare-and-set per follow-up; pushed or answered follow-ups are never
 * touched). Without it, writes nothing: the dry run of a policy change.
 */
export async function replanPolicy(deps: CoreDeps, options: { policyId: string; apply: boolean; batchSize?: number }): Promise<ReplanReport> {
  const policy = deps.policies.byId(options.policyId);
  if (!policy) throw new Error(`No policy pack with id "${options.policyId}"`);
  const org = await deps.org.loadOrgSnapshot();
  const report: ReplanReport = { policyId: policy.id, applied: options.apply, casesExamined: 0, casesChanged: 0, added: 0, moved: 0, cancelled: 0, cases: [] };
  let after: string | null = null;
  for (;;) {
    const ids = await deps.cases.listCasesToReplan(policy.id, after, options.batchSize ?? 200);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    for (const id of ids) {
      const current = await deps.cases.findCaseById(id);
      if (!current) continue;
      report.casesExamined++;
      const known = await deps.cases.listFollowUpsOfCase(id);
      const plan = planFollowUps(policy, current, org, await planContext(deps, policy, current.occurredAt, known, current.createdAt));
      const diff = diffPlan(plan.planned, known);
      if (diff.add.length + diff.move.length + diff.cancel.length === 0) continue;
      report.casesChanged++;
      report.cases.push({
        caseId: id,
        externalId: current.externalId,
        add: diff.add.map((p) => ({ step: p.step, dueAt: p.dueAt, deadlineAt: p.deadlineAt })),
        move: diff.move,
        cancel: diff.cancel.map((c) => ({ step: c.step })),
      });
      if (!options.apply) {
        report.added += diff.add.length;
        report.moved += diff.move.length;
        report.cancelled += diff.cancel.length;
        continue;
      }
      const now = deps.clock.now();
      const result = await deps.cases.updateCase({
        caseId: id,
        case: {
          type: current.type,
          externalId: current.externalId,
          occurredAt: current.occurredAt,
          closedAt: current.closedAt,
          departmentId: current.departmentId,
          responsibleStaffId: current.responsibleStaffId,
          attributes: { ...current.attributes },
          milestones: { ...current.milestones },
        },
        addFollowUps: (await claimQuotaSlots(deps.cases, diff.add)).map((p) => ({ ...p, id: deps.ids.next() })),
        moveFollowUps: diff.move,
        cancelFollowUps: diff.cancel,
        cancelOpenFollowUps: false,
        audit: { at: now, actorType: 'SYSTEM', actorId: null, action: 'case.replanned', entityType: 'Case', entityId: id, details: { policyId: policy.id } },
      });
      report.added += result.added;
      report.moved += result.moved;
      report.cancelled += result.cancelled;
    }
  }
  return report;
}
