import type { CaseStore } from '../ports/cases.js';
import { addLocalDays, formatLocalDate, toLocal } from '../time.js';
import type { PlannedFollowUp } from './plan-follow-ups.js';
import type { SamplingDecision } from './sampling.js';
import type { SamplingQuota } from './types.js';

/**
 * Sampling by quota (002 制度12「每周将安排2~3次对客户的电话回访…随机抽查」: `quota: { max: 3, per: week }`).
 *
 * Planning marks each follow-up a quota applies to with the quota's key — pack, step, scope (`*`, the
 * case's department or the assignee) and period (the Monday of its week, or its month, by the follow-up's
 * earliest time in the organisation's timezone). Before the follow-ups are stored, {@link claimQuotaSlots}
 * counts the places already held under that key in the database and gives the follow-up the next one
 * (`<key>#<n>`), or — the quota being full — stores it SKIPPED with the reason. Places are a unique column,
 * so two replicas planning at once cannot both take the last one: the one that loses plans again and
 * finds the quota full. Deterministic: the same cases arriving in the same order get the same places;
 * mandatory categories never take a place and are always kept.
 */
export interface QuotaMark {
  key: string;
  max: number;
  /** The period and scope in words, for the reason: `week from 2026-03-09, all`. */
  label: string;
}

/** The quota key of a follow-up: `<policy>|<step>|<scope>|<period>`. */
export function quotaMark(
  quota: SamplingQuota,
  input: { policyId: string; step: string; departmentId: string | null; assigneeId: string | null; earliestAt: Date; timeZone: string },
): QuotaMark {
  const l = toLocal(input.earliestAt, input.timeZone);
  // Weeks start on Monday (周一); a month is the calendar month.
  const weekday = new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay();
  const period =
    quota.per === 'week'
      ? formatLocalDate(addLocalDays(input.earliestAt, -((weekday + 6) % 7), input.timeZone), input.timeZone)
      : `${l.year}-${String(l.month).padStart(2, '0')}`;
  const scope = quota.by === 'all' ? '*' : quota.by === 'department' ? (input.departmentId ?? '-') : (input.assigneeId ?? '-');
  const scopeWords = quota.by === 'all' ? 'all' : `${quota.by} ${scope}`;
  return {
    key: `${input.policyId}|${input.step}|${scope}|${period}`,
    max: quota.max,
    label: `${quota.per === 'week' ? 'week from' : 'month'} ${period}, ${scopeWords}`,
  };
}

/**
 * Gives each kept follow-up under a quota its place, counting the places already held in the database
 * (and those taken by earlier follow-ups of the same plan); a full quota turns the follow-up SKIPPED with
 * its reason. Returns new objects; follow-ups without a quota pass unchanged.
 */
export async function claimQuotaSlots<T extends PlannedFollowUp>(cases: Pick<CaseStore, 'countQuotaSlots'>, planned: readonly T[]): Promise<T[]> {
  const taken = new Map<string, number>();
  const result: T[] = [];
  for (const p of planned) {
    const mark = p.sampling.quota;
    if (!mark || !p.sampling.kept) {
      result.push(p);
      continue;
    }
    const held = taken.get(mark.key) ?? (await cases.countQuotaSlots(mark.key));
    if (held >= mark.max) {
      taken.set(mark.key, held);
      const sampling: SamplingDecision = { ...p.sampling, kept: false, reason: `${p.sampling.reason}: full, ${held} of ${mark.max} taken` };
      result.push({ ...p, sampling, quotaSlot: null });
      continue;
    }
    taken.set(mark.key, held + 1);
    const sampling: SamplingDecision = { ...p.sampling, reason: `${p.sampling.reason}: place ${held + 1} of ${mark.max}` };
    result.push({ ...p, sampling, quotaSlot: `${mark.key}#${held + 1}` });
  }
  return result;
}
