import type { FollowUpRecord } from '../records.js';
import type { PlannedFollowUp } from './plan-follow-ups.js';
import { isPlannedByPolicy } from './find-step.js';

/** A scheduled follow-up whose planned times or assignee changed. */
export interface FollowUpMove {
  id: string;
  version: number;
  step: string;
  from: { earliestAt: Date; dueAt: Date; deadlineAt: Date; assigneeId: string | null };
  to: { earliestAt: Date; dueAt: Date; deadlineAt: Date; assigneeId: string | null; assigneeRule: string | null };
}

/** What re-planning a case changes. Only follow-ups still SCHEDULED are moved or cancelled. */
export interface PlanDiff {
  add: PlannedFollowUp[];
  move: FollowUpMove[];
  cancel: { id: string; version: number; step: string }[];
  /** Follow-ups already pushed, answered or closed: left as they are. */
  untouched: number;
}

/**
 * Compares a fresh plan with a case's existing follow-ups (matched by step key). Pure: the basis of
 * case updates (a new milestone adds, a changed event date moves, a changed condition cancels) and of
 * the policy-change dry run. Only follow-ups the pack planned take part: a second follow-up (二次回访)
 * scheduled by a resolved escalation is not the pack's, so it is never moved or cancelled here.
 */
export function diffPlan(planned: readonly PlannedFollowUp[], all: readonly FollowUpRecord[]): PlanDiff {
  const existing = all.filter((f) => isPlannedByPolicy(f.step));
  const byStep = new Map(existing.map((f) => [f.step, f]));
  const plannedSteps = new Set(planned.map((p) => p.step));
  const diff: PlanDiff = { add: [], move: [], cancel: [], untouched: 0 };
  for (const p of planned) {
    const f = byStep.get(p.step);
    if (!f) {
      diff.add.push(p);
      continue;
    }
    if (f.status !== 'SCHEDULED') continue;
    // A follow-up rescheduled after a failed call keeps its own due time; only its window moves. One
    // held back by the activation rules (one open per case, contact cap) keeps its later due time too:
    // moving it back would only have it held back again.
    const rescheduled = f.attempts > 0 || f.activations > 0;
    const held = f.deferrals > 0 && f.dueAt.getTime() > p.dueAt.getTime();
    const to = { earliestAt: p.earliestAt, dueAt: rescheduled || held ? f.dueAt : p.dueAt, deadlineAt: p.deadlineAt, assigneeId: p.assigneeId, assigneeRule: p.assigneeRule };
    const changed =
      f.earliestAt.getTime() !== to.earliestAt.getTime() ||
      f.dueAt.getTime() !== to.dueAt.getTime() ||
      f.deadlineAt.getTime() !== to.deadlineAt.getTime() ||
      f.assigneeId !== to.assigneeId;
    if (changed) {
      diff.move.push({ id: f.id, version: f.version, step: f.step, from: { earliestAt: f.earliestAt, dueAt: f.dueAt, deadlineAt: f.deadlineAt, assigneeId: f.assigneeId }, to });
    }
  }
  for (const f of existing) {
    if (plannedSteps.has(f.step)) continue;
    if (f.status === 'SCHEDULED') diff.cancel.push({ id: f.id, version: f.version, step: f.step });
  }
  diff.untouched = existing.filter((f) => f.status !== 'SCHEDULED').length;
  return diff;
}
