import { escalateRepeatedComplaint } from '../escalation/escalate-follow-up.js';
import { DomainError } from '../errors.js';
import type { CaseFacts, OrgSnapshot } from '../model.js';
import type { NewAuditEntry } from '../records.js';
import { planFollowUps, type PlanContext } from '../policies/plan-follow-ups.js';
import { diffPlan } from '../policies/diff-plan.js';
import { claimQuotaSlots } from '../policies/sampling-quota.js';
import { findUnmatchedAttributes } from '../policies/unmatched-attributes.js';
import type { PolicyDefinition } from '../policies/types.js';
import { addLocalMonths } from '../policies/offsets.js';
import { toLocal, fromLocal } from '../time.js';
import { OPEN_STATUSES } from '../follow-ups/status.js';
import type { CoreDeps } from '../deps.js';
import type { CaseInput } from '../ports/cases.js';
import type { CustomerInput } from '../ports/customers.js';
import type { FollowUpRecord } from '../records.js';

export interface SubmitCaseInput {
  case: CaseInput;
  customer: CustomerInput;
  /** Who submitted it (API key name, `import`, `demo`), for the audit log. */
  submittedBy: string;
}

export interface SubmitCaseResult {
  caseId: string;
  created: boolean;
  /** Follow-ups added by this submission (0 for a replay of an identical case). */
  followUpsAdded: number;
  /** Set when the new case escalated at once (the same complaint or repair again). */
  escalated?: 'REPEATED_COMPLAINT';
  /**
   * Set when no step of the policy applies to a new case (nothing planned, nothing waiting): the
   * attributes whose values no step names (e.g. `diagnosis` outside 002 制度21's table), names only
   * (values may be health details); empty when the steps' `unless` conditions excluded it.
   */
  noStepApplies?: string[];
}

/**
 * Creates or updates a case and schedules its follow-ups under the policy for its type.
 *
 * Idempotent on (type, externalId): posting the same case again changes nothing; posting it with a new
 * milestone (e.g. `handled`) or a closure updates it, adds the follow-ups that milestone unlocks, and
 * a closure cancels the open ones. Concurrent first posts create exactly one case.
 */
export async function submitCase(deps: CoreDeps, input: SubmitCaseInput): Promise<SubmitCaseResult> {
  const org = await deps.org.loadOrgSnapshot();
  const policy = checkCase(deps, org, input);

  let existing = await deps.cases.findCase(input.case.type, input.case.externalId);
  const now = deps.clock.now();
  // A sampling quota's last place taken by another replica at the same moment: plan again (the quota
  // is then full, or a later place is free). A few rounds at most; each loses only to a place taken.
  for (let round = 0; !existing && round < QUOTA_ROUNDS; round++) {
    const customer = await deps.customers.upsertCustomer(input.customer);
    const id = deps.ids.next();
    const facts: CaseFacts = { id, ...input.case };
    const plan = planFollowUps(policy, facts, org, await planContext(deps, policy, input.case.occurredAt));
    const followUps = (await claimQuotaSlots(deps.cases, plan.planned)).map((p) => ({ ...p, id: deps.ids.next() }));
    const result = await deps.cases.createCase({
      id,
      policyId: policy.id,
      customerId: customer.id,
      case: input.case,
      followUps,
      audit: caseCreatedAudit(input, id, followUps.length, now),
    });
    if (result.created) {
      // The same complaint or repair again within the policy's window escalates at once (one per case).
      const repeated = await escalateRepeatedComplaint(deps, { ...facts, policyId: policy.id, customerId: customer.id, status: input.case.closedAt ? 'CLOSED' : 'OPEN', createdAt: now }, customer);
      const noStep = noStepAppliesOf(policy, plan, facts);
      return { caseId: id, created: true, followUpsAdded: followUps.length, ...(repeated.escalated ? { escalated: 'REPEATED_COMPLAINT' as const } : {}), ...noStep };
    }
    // Lost a race with a concurrent identical post (fall through to the update path), or a quota place.
    existing = await deps.cases.findCase(input.case.type, input.case.externalId);
  }

  const current = existing;
  if (!current) throw new Error('Case vanished after a unique-key conflict');
  // A resubmission carries the customer as the source system knows them now (phone, consent, deceased).
  await deps.customers.upsertCustomer(input.customer);
  const known = await deps.cases.listFollowUpsOfCase(current.id);
  const facts: CaseFacts = { id: current.id, ...input.case };
  const plan = planFollowUps(policy, facts, org, await planContext(deps, policy, input.case.occurredAt, known, current.createdAt));
  const closing = input.case.closedAt !== null && current.closedAt === null;
  // A case update re-plans: a new milestone adds steps, a changed event time or attribute moves or
  // cancels what is still scheduled; what was already pushed or answered is left alone.
  const diff = closing ? { add: [], move: [], cancel: [], untouched: 0 } : diffPlan(plan.planned, known);
  const addFollowUps = (await claimQuotaSlots(deps.cases, diff.add)).map((p) => ({ ...p, id: deps.ids.next() }));
  const changed =
    addFollowUps.length > 0 ||
    diff.move.length > 0 ||
    diff.cancel.length > 0 ||
    closing ||
    JSON.stringify(current.attributes) !== JSON.stringify(input.case.attributes) ||
    JSON.stringify(current.milestones) !== JSON.stringify(input.case.milestones) ||
    current.occurredAt.getTime() !== input.case.occurredAt.getTime() ||
    current.responsibleStaffId !== input.case.responsibleStaffId;
  let added = 0;
  if (changed) {
    ({ added } = await deps.cases.updateCase({
      caseId: current.id,
      case: input.case,
      addFollowUps,
      moveFollowUps: diff.move,
      cancelFollowUps: diff.cancel,
      cancelOpenFollowUps: closing && known.some((f) => OPEN_STATUSES.includes(f.status)),
      audit: {
        at: now,
        actorType: 'API',
        actorId: input.submittedBy,
        action: closing ? 'case.closed' : 'case.updated',
        entityType: 'Case',
        entityId: current.id,
        details: { at: now.toISOString() },
      },
    }));
  }
  return { caseId: current.id, created: false, followUpsAdded: added };
}

/** Rounds of planning a new case when another replica takes a sampling quota's place first. */
const QUOTA_ROUNDS = 5;

/**
 * The policy for a submitted case, after checking that the staff and department it names exist;
 * DomainErrors naming the field otherwise. Shared by {@link submitCase} and the batch submission.
 */
export function checkCase(deps: Pick<CoreDeps, 'policies'>, org: OrgSnapshot, input: SubmitCaseInput): PolicyDefinition {
  const policy = deps.policies.forCaseType(input.case.type);
  if (!policy) {
    throw new DomainError('UNKNOWN_CASE_TYPE', `No policy handles case type "${input.case.type}"`, {
      field: 'type',
      known: deps.policies.all().flatMap((p) => p.caseTypes),
    });
  }
  for (const [field, staffId] of [
    ['responsibleStaffId', input.case.responsibleStaffId],
    ['attributes.subjectStaffId', input.case.attributes.subjectStaffId],
  ] as const) {
    if (typeof staffId === 'string' && !org.staff.has(staffId)) {
      throw new DomainError('UNKNOWN_STAFF', `${field}: no staff member with id "${staffId}"`, { field });
    }
  }
  if (input.case.departmentId && !org.departments.has(input.case.departmentId)) {
    throw new DomainError('UNKNOWN_DEPARTMENT', `departmentId: no department "${input.case.departmentId}"`, { field: 'departmentId' });
  }
  return policy;
}

/**
 * The planning context: timezone, calendar, and — only for policies sampled by population tiers — the
 * number of the policy's cases in the calendar month before the case's month, or (tiers on the
 * `current month`) the case's place among its month's cases in order of arrival: the cases stored up to
 * `createdAt` for a stored case, all stored so far plus this one for a new case. `countCases` counts a
 * policy's cases in a period for a new case (the batch submission counts its own planned cases with them).
 */
export async function planContext(
  deps: Pick<CoreDeps, 'timeZone' | 'calendar' | 'cases'>,
  policy: PolicyDefinition,
  occurredAt: Date,
  known: readonly Pick<FollowUpRecord, 'step' | 'status' | 'completedAt'>[] = [],
  createdAt?: Date,
  countCases: (policyId: string, from: Date, to: Date) => Promise<number> = (policyId, from, to) => deps.cases.countCasesOfPolicy(policyId, from, to),
): Promise<PlanContext> {
  const completedSteps = completedStepsOf(known);
  const rules = [policy.sampling, ...policy.steps.map((s) => s.sampling)].filter((r) => r?.tiers !== undefined);
  if (rules.length === 0) return { timeZone: deps.timeZone, calendar: deps.calendar, completedSteps };
  const l = toLocal(occurredAt, deps.timeZone);
  const monthStart = fromLocal({ year: l.year, month: l.month, day: 1, hour: 0, minute: 0, second: 0 }, deps.timeZone);
  const ctx: PlanContext = { timeZone: deps.timeZone, calendar: deps.calendar, completedSteps };
  if (rules.some((r) => r?.population !== 'current month')) {
    const population = await countCases(policy.id, addLocalMonths(monthStart, -1, deps.timeZone), monthStart);
    ctx.previousMonthPopulation = population === 0 ? null : population;
  }
  if (rules.some((r) => r?.population === 'current month')) {
    const nextMonth = addLocalMonths(monthStart, 1, deps.timeZone);
    ctx.currentMonthPopulation = createdAt
      ? Math.max(1, await deps.cases.countCasesOfPolicy(policy.id, monthStart, nextMonth, createdAt))
      : (await countCases(policy.id, monthStart, nextMonth)) + 1;
  }
  return ctx;
}

/** When each of a case's follow-ups was completed (DONE: the customer was reached and it was recorded), by step key. */
export function completedStepsOf(known: readonly Pick<FollowUpRecord, 'step' | 'status' | 'completedAt'>[]): Map<string, Date> {
  return new Map(known.filter((f) => f.status === 'DONE' && f.completedAt).map((f) => [f.step, f.completedAt!]));
}

/** The audit entry of a newly created case. */
export function caseCreatedAudit(input: SubmitCaseInput, caseId: string, followUps: number, now: Date): NewAuditEntry {
  return {
    at: now,
    actorType: 'API',
    actorId: input.submittedBy,
    action: 'case.created',
    entityType: 'Case',
    entityId: caseId,
    details: { type: input.case.type, externalId: input.case.externalId, followUps, at: now.toISOString() },
  };
}

/** `{ noStepApplies }` naming the attributes no step matched, when the plan has nothing for the case. */
export function noStepAppliesOf(policy: PolicyDefinition, plan: ReturnType<typeof planFollowUps>, facts: CaseFacts): { noStepApplies?: string[] } {
  return plan.planned.length === 0 && plan.waiting.length === 0 ? { noStepApplies: findUnmatchedAttributes(policy, facts.attributes).map((u) => u.attribute) } : {};
}
