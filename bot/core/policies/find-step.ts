import type { PolicyDefinition, PolicyStep } from './types.js';

/** Step keys of second follow-ups (二次回访) scheduled by resolved escalations: `esc2_<escalationId>`. */
const SECOND_FOLLOW_UP = /^esc2_[0-9A-Za-z]+$/;

/**
 * The step a second follow-up behaves as: a staff call to the customer after an escalation was
 * resolved, assigned like other staff tasks (responsible person, then supervisor, department head).
 * A built-in policy step: its title and instructions are policy data like the packs' steps, shared by
 * every pack (they name the task on its card, in reminders, digests and reports).
 */
export const SECOND_FOLLOW_UP_STEP: PolicyStep = {
  key: 'esc2',
  title: '二次回访',
  action: 'STAFF_TASK',
  channel: 'wecom',
  anchor: { kind: 'event' },
  earliest: { amount: 0, unit: 'hours' },
  deadline: { amount: 3, unit: 'working_days' },
  assignee: ['responsible', 'supervisor', 'department_head'],
  maxAttempts: 3,
  retryAfter: { amount: 1, unit: 'working_days' },
  instructions: '问题已处理，请再次联系客户，确认处理结果是否满意。',
};

/**
 * Whether a follow-up was planned by its policy pack, read from its step key (the follow-up's record of
 * its origin): a pack's step keys and their occurrences (`<key>_<n>`) are the pack's; `esc2_<id>` is a
 * second follow-up scheduled by an escalation's resolution, which no pack plans (the loader reserves
 * the key `esc2`). Re-planning a case — a case update, `huifang policy replan` — compares, moves and
 * cancels only the pack's follow-ups (README "Changing a policy").
 */
export function isPlannedByPolicy(followUpStep: string): boolean {
  return !SECOND_FOLLOW_UP.test(followUpStep);
}

/**
 * The policy step a follow-up belongs to: its step key exactly, or `<key>_<n>` for occurrence n of
 * a recurring step. Exact keys win, so `phone_serious` never resolves to a recurring `phone`. A second
 * follow-up after an escalation (`esc2_<id>`) resolves to the built-in 二次回访 step.
 */
export function findStep(policy: PolicyDefinition | undefined, followUpStep: string): PolicyStep | undefined {
  if (!policy) return undefined;
  const exact = policy.steps.find((s) => s.key === followUpStep);
  if (exact) return exact;
  if (SECOND_FOLLOW_UP.test(followUpStep)) return SECOND_FOLLOW_UP_STEP;
  const m = /^(.*)_(\d+)$/.exec(followUpStep);
  return m ? policy.steps.find((s) => s.key === m[1] && s.repeat !== undefined) : undefined;
}
