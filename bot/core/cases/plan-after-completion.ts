import type { CoreDeps } from '../deps.js';
import { planFollowUps } from '../policies/plan-follow-ups.js';
import { claimQuotaSlots } from '../policies/sampling-quota.js';
import { findStep } from '../policies/find-step.js';
import { planContext } from './submit-case.js';
import type { PolicyDefinition } from '../policies/types.js';

/**
 * Plans the steps a completed follow-up unlocks: those anchored on `completed:<key>` (P1: the second
 * call half a year after the first call was actually made). Called after a follow-up is recorded DONE;
 * adds only steps the case does not have yet (one follow-up per case and step key), so calling it twice,
 * or after a case update already added them, adds nothing. Returns the number of follow-ups added.
 */
export async function planStepsAfterCompletion(deps: CoreDeps, caseId: string): Promise<number> {
  const current = await deps.cases.findCaseById(caseId);
  if (!current || current.closedAt) return 0;
  const policy = deps.policies.byId(current.policyId);
  if (!policy || !anchorsOnCompletion(policy)) return 0;
  const known = await deps.cases.listFollowUpsOfCase(caseId);
  const org = await deps.org.loadOrgSnapshot();
  const plan = planFollowUps(policy, current, org, await planContext(deps, policy, current.occurredAt, known, current.createdAt));
  const knownSteps = new Set(known.map((f) => f.step));
  const add = plan.planned.filter((p) => !knownSteps.has(p.step) && findStep(policy, p.step)?.anchor.kind === 'completed');
  if (add.length === 0) return 0;
  const now = deps.clock.now();
  const { added } = await deps.cases.updateCase({
    caseId,
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
    addFollowUps: (await claimQuotaSlots(deps.cases, add)).map((p) => ({ ...p, id: deps.ids.next() })),
    cancelOpenFollowUps: false,
    audit: {
      at: now,
      actorType: 'SYSTEM',
      actorId: 'plan-after-completion',
      action: 'case.replanned',
      entityType: 'Case',
      entityId: caseId,
      details: { at: now.toISOString(), added: add.map((p) => p.step) },
    },
  });
  return added;
}

/**
 * {@link planStepsAfterCompletion} for the case of a follow-up that was just completed some other way
 * than on a task card (a customer's survey answer); nothing when the follow-up is unknown.
 */
export async function planStepsAfterFollowUp(deps: CoreDeps, followUpId: string): Promise<number> {
  // Most packs anchor nothing on a completion: no query for them.
  if (!deps.policies.all().some(anchorsOnCompletion)) return 0;
  const ctx = await deps.followUps.findFollowUpContext(followUpId);
  if (!ctx || ctx.followUp.status !== 'DONE' || !anchorsOnCompletion(deps.policies.byId(ctx.followUp.policyId))) return 0;
  return planStepsAfterCompletion(deps, ctx.case.id);
}

/** Whether a pack has a step anchored on another step's completion. */
export function anchorsOnCompletion(policy: PolicyDefinition | undefined): boolean {
  return policy?.steps.some((s) => s.anchor.kind === 'completed') ?? false;
}
