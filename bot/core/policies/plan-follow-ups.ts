import type { CaseFacts, OrgSnapshot, StaffMember } from '../model.js';
import type { Anchor, AssigneeRule, AttributeLength, ContactRules, Offset, PolicyDefinition, PolicyStep, RecurrenceEnd } from './types.js';
import { applyOffset, offsetInBaseUnit, type TimeContext } from './offsets.js';
import { dueWithinDeadline, keepMandatoryRules } from './contact-window.js';
import { conditionMatches, decideSampling, quotaMark, type SamplingContext, type SamplingDecision } from './sampling.js';

export { applyOffset } from './offsets.js';

/** One follow-up a policy asks for, with its times resolved and its assignee chosen. */
export interface PlannedFollowUp {
  step: string;
  sequence: number;
  title: string;
  action: PolicyStep['action'];
  channel: PolicyStep['channel'];
  /** The earliest time the policy allows. */
  earliestAt: Date;
  /**
   * When it becomes actionable: `earliestAt` moved into the policy's contact window, or `earliestAt`
   * itself when no window is left before the deadline (never after `deadlineAt`).
   */
  dueAt: Date;
  deadlineAt: Date;
  assigneeId: string | null;
  /** Which rule chose the assignee (`responsible`, `supervisor`, …), or why none could be chosen. */
  assigneeRule: string | null;
  maxAttempts: number;
  instructions: string;
  surveyKey: string | null;
  /** Sampling decision with its reason; a follow-up sampled out is stored SKIPPED. */
  sampling: SamplingDecision;
  /** The sampling-quota place it holds (`<key>#<n>`), once claimed (bot/core/policies/sampling-quota.ts). */
  quotaSlot?: string | null;
}

export interface PlanResult {
  planned: PlannedFollowUp[];
  /** Steps whose anchor has not happened yet; re-planning after a case update adds them. */
  waiting: { step: string; anchor: string }[];
}

/** Everything planning needs besides the policy, the case and the organisation. */
export interface PlanContext extends TimeContext, SamplingContext {
  /**
   * When the case's follow-ups were actually completed, by step key (answered, not merely pushed);
   * steps anchored on `completed:<key>` wait until their step is in here.
   */
  completedSteps?: ReadonlyMap<string, Date>;
}

/**
 * Plans a case's follow-ups under a policy. Pure and deterministic: the same facts, organisation,
 * calendar and context give the same plan, so re-posting a case plans the same steps (persisted once
 * per case and step key) and a policy change can be previewed by re-planning.
 */
export function planFollowUps(policy: PolicyDefinition, facts: CaseFacts, org: OrgSnapshot, context: PlanContext | string): PlanResult {
  const ctx: PlanContext = typeof context === 'string' ? { timeZone: context } : context;
  const planned: PlannedFollowUp[] = [];
  const waiting: PlanResult['waiting'] = [];
  const stepDue = new Map<string, Date>();
  const caseSampling = decideSampling(policy.sampling, policy.id, facts, ctx);
  // Conditions see the case's attributes plus its type as `caseType`, so a pack with several case
  // types selects steps by type without the source system having to repeat it in the attributes.
  const conditionFacts = { ...facts.attributes, caseType: facts.type };
  let sequence = 0;
  policy.steps.forEach((step) => {
    if (step.when && !conditionMatches(step.when, conditionFacts)) return;
    if (step.unless && conditionMatches(step.unless, conditionFacts)) return;
    const anchorAt = resolveAnchor(step.anchor, facts, stepDue, ctx.completedSteps);
    if (!anchorAt) {
      waiting.push({ step: step.key, anchor: describeAnchor(step.anchor) });
      return;
    }
    const sampling = step.sampling ? decideSampling(step.sampling, `${policy.id}:${step.key}`, facts, ctx) : caseSampling;
    const assignee = step.action === 'STAFF_TASK' ? resolveAssignee(step, facts, org) : { id: null, rule: null };
    // A recurrence that ends at an event (「直到其来访」): nothing after the milestone once the case has it.
    const endsAt = step.repeat?.until ? (facts.milestones[step.repeat.until.name] ?? null) : null;
    for (const occurrence of occurrences(step, anchorAt, facts.attributes, ctx)) {
      let earliestAt = applyOffset(occurrence.at, step.earliest, ctx, step.earliestAtLocalTime);
      // Counting back from a later anchor (a reminder before use) never reaches before the case itself.
      if (isBackwards(step.earliest) && earliestAt < facts.occurredAt) earliestAt = facts.occurredAt;
      if (endsAt && earliestAt > endsAt) break;
      let deadlineAt = applyOffset(occurrence.at, step.deadline, ctx, step.deadlineAtLocalTime);
      if (deadlineAt < earliestAt) deadlineAt = earliestAt;
      const rules = step.contact ?? policy.contact;
      let dueAt = dueWithinDeadline(earliestAt, deadlineAt, rules, ctx);
      if (rules?.mandatory) ({ dueAt, deadlineAt } = keepMandatoryRules(earliestAt, deadlineAt, rules, ctx));
      sequence += 1;
      const rule = step.sampling ?? policy.sampling;
      // Mandatory categories are always kept and take no place of a quota.
      const mandatory = rule?.mandatory?.some((c) => conditionMatches(c, conditionFacts)) ?? false;
      const quota = rule?.quota;
      const mark = quota && sampling.kept && !mandatory ? quotaMark(quota, { policyId: policy.id, step: step.key, departmentId: facts.departmentId, assigneeId: assignee.id, earliestAt, timeZone: ctx.timeZone }) : null;
      // The place itself is claimed in the database when the follow-up is stored (sampling-quota.ts).
      const decision = mark ? { ...sampling, reason: `${sampling.reason}; within a quota of ${mark.max} (${mark.label})`, quota: mark } : sampling;
      planned.push({
        step: occurrence.key,
        sequence,
        title: occurrence.index ? `${step.title}（第${occurrence.index}次）` : step.title,
        action: step.action,
        channel: step.channel,
        earliestAt,
        dueAt,
        deadlineAt,
        assigneeId: assignee.id,
        assigneeRule: assignee.rule,
        maxAttempts: step.maxAttempts,
        instructions: step.instructions,
        surveyKey: step.surveyKey ?? null,
        sampling: decision,
      });
      if (!occurrence.index) stepDue.set(step.key, earliestAt);
    }
  });
  return { planned, waiting };
}

function isBackwards(offset: PolicyStep['earliest']): boolean {
  return offset.amount < 0 || (offset.plus ?? []).some((p) => p.amount < 0);
}

/** More occurrences than any recurrence needs (60 years of monthly calls): a bound on what a case attribute can ask for. */
export const MAX_OCCURRENCES = 720;

/**
 * The step's occurrences: one at the anchor, or one per period of its recurrence. A phase whose end is
 * read from the case (`{ attribute: warrantyMonths, unit: months }`) runs to that many units after the
 * anchor; never more than {@link MAX_OCCURRENCES} in all.
 */
function occurrences(
  step: PolicyStep,
  anchorAt: Date,
  attributes: Readonly<Record<string, unknown>>,
  ctx: TimeContext,
): { key: string; index: number | null; at: Date }[] {
  if (!step.repeat) return [{ key: step.key, index: null, at: anchorAt }];
  const result: { key: string; index: number | null; at: Date }[] = [];
  let position = 0;
  for (const phase of step.repeat.phases) {
    const every = offsetInBaseUnit(phase.every);
    const end = phaseEnd(phase.until, attributes);
    if (every.amount <= 0 || !end) continue;
    const until = offsetInBaseUnit(end);
    while (position + every.amount <= until.amount && result.length < MAX_OCCURRENCES) {
      position += every.amount;
      const unit = every.family === 'months' ? 'months' : every.family;
      result.push({ key: `${step.key}_${result.length + 1}`, index: result.length + 1, at: applyOffset(anchorAt, { amount: position, unit }, ctx) });
    }
  }
  return result;
}

/** Whether a phase's end is read from a case attribute rather than written in the pack. */
export function isAttributeLength(end: RecurrenceEnd): end is AttributeLength {
  return 'attribute' in end;
}

/**
 * A phase's end as an offset: the pack's, or the case attribute's number in the phase's unit (whole
 * units, rounded down; capped by `atMost`), or `otherwise` when the attribute is missing, not a number
 * or not above zero. Null: the phase has no occurrence for this case.
 */
export function phaseEnd(end: RecurrenceEnd, attributes: Readonly<Record<string, unknown>>): Offset | null {
  if (!isAttributeLength(end)) return end;
  const value = attributes[end.attribute];
  const fromCase = typeof value === 'number' && Number.isFinite(value) && value >= 1 ? { amount: Math.floor(value), unit: end.unit } : null;
  const length = fromCase ?? end.otherwise ?? null;
  if (!length || !end.atMost) return length;
  return offsetInBaseUnit(length).amount > offsetInBaseUnit(end.atMost).amount ? end.atMost : length;
}

function resolveAnchor(anchor: Anchor, facts: CaseFacts, stepDue: ReadonlyMap<string, Date>, completed: ReadonlyMap<string, Date> | undefined): Date | null {
  switch (anchor.kind) {
    case 'event':
      return facts.occurredAt;
    case 'milestone':
      return facts.milestones[anchor.name] ?? null;
    case 'step':
      return stepDue.get(anchor.key) ?? null;
    case 'completed':
      return completed?.get(anchor.key) ?? null;
    case 'latest': {
      // Every part must be known: the latest of three events is not known while one is missing.
      const times = anchor.of.map((a) => resolveAnchor(a, facts, stepDue, completed));
      if (times.some((t) => t === null)) return null;
      return new Date(Math.max(...times.map((t) => t!.getTime())));
    }
  }
}

/** The anchor as packs write it: `event`, `milestone:<name>`, `step:<key>`, `completed:<key>`, `latestOf(…)`. */
export function describeAnchor(anchor: Anchor): string {
  switch (anchor.kind) {
    case 'event':
      return 'event';
    case 'milestone':
      return `milestone:${anchor.name}`;
    case 'step':
      return `step:${anchor.key}`;
    case 'completed':
      return `completed:${anchor.key}`;
    case 'latest':
      return `latestOf(${anchor.of.map(describeAnchor).join(', ')})`;
  }
}

/** The person a complaint is about; never assigned to follow it up. */
export function excludedStaffId(facts: Pick<CaseFacts, 'attributes'>): string | null {
  const subject = facts.attributes.subjectStaffId;
  return typeof subject === 'string' && subject ? subject : null;
}

/** Resolves a step's assignee rules for a case, skipping the person complained about (and the responsible person when excluded). */
export function resolveAssignee(step: PolicyStep, facts: CaseFacts, org: OrgSnapshot): { id: string | null; rule: string | null } {
  const rules: AssigneeRule[] = [];
  for (const entry of step.assignee ?? ['responsible']) {
    if (typeof entry === 'string') rules.push(entry);
    else if (conditionMatches(entry.when, { ...facts.attributes, caseType: facts.type })) rules.push(...entry.rules);
  }
  const excluded = [excludedStaffId(facts), step.excludeResponsible ? facts.responsibleStaffId : null].filter((x): x is string => !!x);
  for (const rule of rules) {
    const candidate = resolveRule(rule, facts, org, excluded);
    if (candidate) return { id: candidate.id, rule };
  }
  return { id: null, rule: `unassigned: no active staff for ${rules.join(' → ') || 'responsible'}` };
}

/** Resolves one assignee rule to an eligible staff member (active, not excluded), or null. */
export function resolveRule(
  rule: AssigneeRule,
  facts: Pick<CaseFacts, 'id' | 'departmentId' | 'responsibleStaffId'>,
  org: OrgSnapshot,
  excluded: string | null | readonly string[],
): StaffMember | null {
  const excludedIds = new Set(excluded === null ? [] : typeof excluded === 'string' ? [excluded] : excluded);
  const eligible = (id: string | null | undefined): StaffMember | null => {
    if (!id || excludedIds.has(id)) return null;
    const s = org.staff.get(id);
    return s && s.active ? s : null;
  };
  const departmentId = facts.departmentId ?? (facts.responsibleStaffId ? org.staff.get(facts.responsibleStaffId)?.departmentId : undefined) ?? null;
  switch (rule) {
    case 'responsible':
      return eligible(facts.responsibleStaffId);
    case 'supervisor': {
      const responsible = facts.responsibleStaffId ? org.staff.get(facts.responsibleStaffId) : undefined;
      return eligible(responsible?.supervisorId);
    }
    case 'department_head':
      return headUpwards(departmentId, org, eligible);
    case 'manager': {
      const parent = departmentId ? (org.departments.get(departmentId)?.parentId ?? null) : null;
      return headUpwards(parent, org, eligible);
    }
    default: {
      if (rule.startsWith('nearest:')) return nearestWithRole(rule.slice('nearest:'.length), departmentId, facts.id, org, eligible);
      const role = rule.slice('role:'.length);
      // Walk up from the case's department; pick deterministically by case id so re-planning is stable.
      for (let dep = departmentId; dep; dep = org.departments.get(dep)?.parentId ?? null) {
        const members = [...org.staff.values()]
          .filter((s) => s.departmentId === dep && s.roles.includes(role) && eligible(s.id))
          .sort((a, b) => a.id.localeCompare(b.id));
        if (members.length > 0) return members[stableIndex(facts.id, members.length)]!;
      }
      return null;
    }
  }
}

/**
 * `nearest:<role>`: a member with the role in the case's department; failing that, in the rest of the
 * department above (its other sub-departments, at any depth), and so on up to the top. Among the members
 * found at one level, the choice is stable by case id, as for `role:`.
 */
function nearestWithRole(role: string, departmentId: string | null, caseId: string, org: OrgSnapshot, eligible: (id: string | null | undefined) => StaffMember | null): StaffMember | null {
  const staff = [...org.staff.values()].filter((s) => s.roles.includes(role) && eligible(s.id));
  if (staff.length === 0) return null;
  const under = (dep: string, top: string): boolean => {
    for (let d: string | null = dep; d; d = org.departments.get(d)?.parentId ?? null) if (d === top) return true;
    return false;
  };
  for (let dep = departmentId; dep; dep = org.departments.get(dep)?.parentId ?? null) {
    const level = dep;
    const members = staff.filter((s) => s.departmentId !== null && under(s.departmentId, level)).sort((a, b) => a.id.localeCompare(b.id));
    if (members.length > 0) return members[stableIndex(caseId, members.length)]!;
  }
  return null;
}

function headUpwards(departmentId: string | null, org: OrgSnapshot, eligible: (id: string | null | undefined) => StaffMember | null): StaffMember | null {
  for (let dep = departmentId; dep; dep = org.departments.get(dep)?.parentId ?? null) {
    const head = eligible(org.departments.get(dep)?.headId);
    if (head) return head;
  }
  return null;
}

function stableIndex(key: string, size: number): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % size;
}
