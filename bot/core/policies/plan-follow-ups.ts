import type { CaseFacts, OrgSnapshot, StaffMember } from '../model.js';
import { addLocalDays, atLocalTime } from '../time.js';
import type { Anchor, AssigneeRule, Offset, PolicyDefinition, PolicyStep, StepCondition } from './types.js';

/** One follow-up a policy asks for, with its times resolved and its assignee chosen. */
export interface PlannedFollowUp {
  step: string;
  sequence: number;
  title: string;
  action: PolicyStep['action'];
  channel: PolicyStep['channel'];
  earliestAt: Date;
  /** When the follow-up becomes actionable (task pushed / survey sent). Equals `earliestAt` for now. */
  dueAt: Date;
  deadlineAt: Date;
  assigneeId: string | null;
  /** Which rule chose the assignee (`responsible`, `supervisor`, …), or why none could be chosen. */
  assigneeRule: string | null;
  maxAttempts: number;
  instructions: string;
  surveyKey: string | null;
  /** Sampling decision with its reason (every foundation policy follows up 100 %). */
  sampling: { kept: boolean; reason: string };
}

export interface PlanResult {
  planned: PlannedFollowUp[];
  /** Steps whose anchor milestone has not happened yet; re-planning after a case update adds them. */
  waiting: { step: string; milestone: string }[];
}

/**
 * Plans a case's follow-ups under a policy. Pure and deterministic: the same facts, organisation and
 * timezone give the same plan, so re-posting a case plans the same steps (persisted once per case+step).
 */
export function planFollowUps(policy: PolicyDefinition, facts: CaseFacts, org: OrgSnapshot, timeZone: string): PlanResult {
  const planned: PlannedFollowUp[] = [];
  const waiting: PlanResult['waiting'] = [];
  policy.steps.forEach((step, index) => {
    if (step.when && !matches(step.when, facts.attributes)) return;
    if (step.unless && matches(step.unless, facts.attributes)) return;
    const anchorAt = resolveAnchor(step.anchor, facts);
    if (!anchorAt) {
      waiting.push({ step: step.key, milestone: step.anchor.kind === 'milestone' ? step.anchor.name : 'event' });
      return;
    }
    const earliestAt = applyOffset(anchorAt, step.earliest, timeZone, step.earliestAtLocalTime);
    const deadlineAt = applyOffset(anchorAt, step.deadline, timeZone, step.deadlineAtLocalTime);
    const assignee = step.action === 'STAFF_TASK' ? resolveAssignee(step, facts, org) : { id: null, rule: null };
    planned.push({
      step: step.key,
      sequence: index + 1,
      title: step.title,
      action: step.action,
      channel: step.channel,
      earliestAt,
      dueAt: earliestAt,
      deadlineAt: deadlineAt < earliestAt ? earliestAt : deadlineAt,
      assigneeId: assignee.id,
      assigneeRule: assignee.rule,
      maxAttempts: step.maxAttempts,
      instructions: step.instructions,
      surveyKey: step.surveyKey ?? null,
      sampling: { kept: true, reason: 'policy follows up every case (100 %)' },
    });
  });
  return { planned, waiting };
}

/** Adds an offset to an instant; day offsets keep local wall-clock time unless a local time is given. */
export function applyOffset(from: Date, offset: Offset, timeZone: string, atLocal?: string): Date {
  if (offset.unit === 'hours') return new Date(from.getTime() + offset.amount * 3_600_000);
  const shifted = addLocalDays(from, offset.amount, timeZone);
  return atLocal ? atLocalTime(shifted, atLocal, timeZone) : shifted;
}

function resolveAnchor(anchor: Anchor, facts: CaseFacts): Date | null {
  if (anchor.kind === 'event') return facts.occurredAt;
  return facts.milestones[anchor.name] ?? null;
}

export function matches(condition: StepCondition, attributes: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(condition).every(([key, values]) => values.some((v) => attributes[key] === v));
}

/** The person a complaint is about; never assigned to follow it up. */
export function excludedStaffId(facts: CaseFacts): string | null {
  const subject = facts.attributes.subjectStaffId;
  return typeof subject === 'string' && subject ? subject : null;
}

function resolveAssignee(step: PolicyStep, facts: CaseFacts, org: OrgSnapshot): { id: string | null; rule: string | null } {
  const rules: AssigneeRule[] = [];
  for (const entry of step.assignee ?? ['responsible']) {
    if (typeof entry === 'string') rules.push(entry);
    else if (matches(entry.when, facts.attributes)) rules.push(...entry.rules);
  }
  const excluded = excludedStaffId(facts);
  for (const rule of rules) {
    const candidate = resolveRule(rule, facts, org, excluded);
    if (candidate) return { id: candidate.id, rule };
  }
  return { id: null, rule: `unassigned: no active staff for ${rules.join(' → ') || 'responsible'}` };
}

/** Resolves one assignee rule to an eligible staff member, or null. Exported for escalation routing. */
export function resolveRule(
  rule: AssigneeRule,
  facts: Pick<CaseFacts, 'id' | 'departmentId' | 'responsibleStaffId'>,
  org: OrgSnapshot,
  excluded: string | null,
): StaffMember | null {
  const eligible = (id: string | null | undefined): StaffMember | null => {
    if (!id || id === excluded) return null;
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
      const parent = departmentId ? org.departments.get(departmentId)?.parentId ?? null : null;
      return headUpwards(parent, org, eligible);
    }
    default: {
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

function headUpwards(
  departmentId: string | null,
  org: OrgSnapshot,
  eligible: (id: string | null | undefined) => StaffMember | null,
): StaffMember | null {
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
