import type { AssigneeRule, Offset, PolicyDefinition, PolicyEscalation } from '../policies/types.js';
import type { Satisfaction } from '../model.js';

/** Why an escalation was opened. */
export type EscalationReason = 'DISSATISFIED' | 'COMPLAINT' | 'UNREACHABLE' | 'OVERDUE' | 'REPEATED_COMPLAINT' | 'MEDICAL_CONCERN';

export const ESCALATION_REASONS: readonly EscalationReason[] = ['DISSATISFIED', 'COMPLAINT', 'UNREACHABLE', 'OVERDUE', 'REPEATED_COMPLAINT', 'MEDICAL_CONCERN'];

/** How serious: decides the level an escalation starts at. */
export type Severity = 'normal' | 'high' | 'critical';

/**
 * Words that make a free-text answer a complaint (投诉 …) whatever its score. Deliberately short and
 * specific: a customer writing 「没有投诉」 is rare enough that a false alarm costs less than a missed one.
 */
export const DEFAULT_COMPLAINT_WORDS: readonly string[] = [
  '投诉',
  '举报',
  '曝光',
  '媒体',
  '记者',
  '12345',
  '12315',
  '市长热线',
  '差评',
  '态度差',
  '态度恶劣',
  '欺骗',
  '骗人',
  '赔偿',
  '起诉',
  '律师',
];

/** Every escalation setting of a policy, with the defaults applied. */
export interface EscalationRules {
  /** The ladder: level n is the n-th distinct eligible person found walking these rules. */
  chain: readonly AssigneeRule[];
  /** Time the owner of the first level has. */
  deadline: Offset;
  /** Time each further level has after a climb. */
  climbAfter: Offset;
  /** A normalised score (0..1) at or below this escalates; 不满意 always does. */
  dissatisfiedAtOrBelow: number;
  complaintWords: readonly string[];
  /** Which triggers the policy uses. */
  triggers: Readonly<Record<EscalationReason, boolean>>;
  severity: Readonly<Record<EscalationReason, Severity>>;
  /** The level each severity starts at (clamped to the chain's length). */
  startLevel: Readonly<Record<Severity, number>>;
  /** Same customer and same subject `sameSubject` times within `within` → REPEATED_COMPLAINT. */
  repeated: { within: Offset; sameSubject: number; sameRepair: number; subjectAttribute: string; repairCaseTypes: readonly string[]; complaintCaseTypes: readonly string[] };
  /** The second follow-up (二次回访) scheduled when an escalation is resolved. */
  secondFollowUp: { after: Offset; deadline: Offset; assignee: readonly AssigneeRule[] };
}

const DEFAULT_TRIGGERS: Record<EscalationReason, boolean> = {
  DISSATISFIED: true,
  COMPLAINT: true,
  UNREACHABLE: true,
  OVERDUE: true,
  REPEATED_COMPLAINT: true,
  MEDICAL_CONCERN: false,
};

const DEFAULT_SEVERITY: Record<EscalationReason, Severity> = {
  DISSATISFIED: 'normal',
  COMPLAINT: 'high',
  UNREACHABLE: 'normal',
  OVERDUE: 'normal',
  REPEATED_COMPLAINT: 'high',
  MEDICAL_CONCERN: 'critical',
};

const DEFAULT_START_LEVEL: Record<Severity, number> = { normal: 1, high: 1, critical: 2 };

/**
 * The escalation rules of a policy: the pack's `escalation:` block over the defaults. Only
 * `dissatisfiedTo` and `deadline` are required in a pack; the chain defaults to them followed by the
 * department head and the manager, so an escalation always has somewhere to climb.
 */
export function escalationRules(policy: PolicyDefinition | undefined): EscalationRules {
  const e: Partial<PolicyEscalation> = policy?.escalation ?? {};
  const dissatisfiedTo = e.dissatisfiedTo ?? ['supervisor', 'department_head'];
  const chain = dedupe<AssigneeRule>(e.chain ?? [...dissatisfiedTo, 'department_head', 'manager']);
  const deadline = e.deadline ?? { amount: 2, unit: 'working_days' };
  const triggers = { ...DEFAULT_TRIGGERS, ...(e.triggers ?? {}) };
  return {
    chain,
    deadline,
    climbAfter: e.climbAfter ?? deadline,
    dissatisfiedAtOrBelow: e.dissatisfiedAtOrBelow ?? 0.25,
    complaintWords: e.complaintWords ?? DEFAULT_COMPLAINT_WORDS,
    triggers,
    severity: { ...DEFAULT_SEVERITY, ...(e.severity ?? {}) },
    startLevel: { ...DEFAULT_START_LEVEL, ...(e.startLevel ?? {}) },
    repeated: {
      within: e.repeated?.within ?? { amount: 30, unit: 'days' },
      sameSubject: e.repeated?.sameSubject ?? 2,
      sameRepair: e.repeated?.sameRepair ?? 3,
      subjectAttribute: e.repeated?.subjectAttribute ?? 'subject',
      repairCaseTypes: e.repeated?.repairCaseTypes ?? (policy?.caseTypes.filter((t) => /repair|maintenance/.test(t)) ?? []),
      complaintCaseTypes: e.repeated?.complaintCaseTypes ?? (policy?.caseTypes.filter((t) => /complaint/.test(t)) ?? []),
    },
    secondFollowUp: {
      after: e.secondFollowUp?.after ?? { amount: 1, unit: 'working_days' },
      deadline: e.secondFollowUp?.deadline ?? { amount: 3, unit: 'working_days' },
      assignee: e.secondFollowUp?.assignee ?? ['responsible', 'supervisor', 'department_head'],
    },
  };
}

/** The complaint word found in `text` (case- and width-insensitive), or null. */
export function findComplaintWord(text: string | null | undefined, rules: Pick<EscalationRules, 'complaintWords'>): string | null {
  if (!text) return null;
  const normalised = text.normalize('NFKC').toLowerCase();
  for (const word of rules.complaintWords) if (normalised.includes(word.normalize('NFKC').toLowerCase())) return word;
  return null;
}

/** Whether an answer counts as dissatisfied for escalation: 不满意, or a score at or below the threshold. */
export function isDissatisfiedAnswer(
  answer: { score: number | null; satisfaction: Satisfaction | null },
  rules: Pick<EscalationRules, 'dissatisfiedAtOrBelow'>,
): boolean {
  if (answer.satisfaction === 'DISSATISFIED') return true;
  return answer.score !== null && answer.score <= rules.dissatisfiedAtOrBelow + 1e-9;
}

function dedupe<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
