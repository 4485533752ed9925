import type { CoreDeps } from '../deps.js';
import type { QuotaTopUpCandidate } from '../ports/cases.js';
import type { SamplingQuota } from './types.js';
import { quotaMark, stableDraw, type QuotaMark, type SamplingDecision } from './sampling.js';
import { addLocalDays, fromLocal, startOfLocalDay, toLocal } from '../time.js';

/** Days before the end of a period from which a quota with a `min` is topped up: Friday 00:00 for a week. */
export const DEFAULT_TOP_UP_DAYS_BEFORE = 3;

/** The period of a quota containing `now`: [start, end) in the organisation's timezone. */
export function quotaPeriod(per: SamplingQuota['per'], now: Date, timeZone: string): { start: Date; end: Date } {
  const l = toLocal(now, timeZone);
  if (per === 'month') {
    const start = fromLocal({ ...l, day: 1, hour: 0, minute: 0, second: 0 }, timeZone);
    const next = new Date(Date.UTC(l.year, l.month, 1));
    const end = fromLocal({ ...l, year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: 1, hour: 0, minute: 0, second: 0 }, timeZone);
    return { start, end };
  }
  // Weeks start on Monday (周一), as in quotaMark.
  const weekday = new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay();
  const start = startOfLocalDay(addLocalDays(now, -((weekday + 6) % 7), timeZone), timeZone);
  return { start, end: addLocalDays(start, 7, timeZone) };
}

/** Whether the top-up of a quota with a `min` has begun at `now`: within its last `topUpDaysBefore` days. */
export function topUpOpen(quota: SamplingQuota, now: Date, timeZone: string): boolean {
  if (quota.min === undefined) return false;
  const { end } = quotaPeriod(quota.per, now, timeZone);
  return now >= addLocalDays(end, -(quota.topUpDaysBefore ?? DEFAULT_TOP_UP_DAYS_BEFORE), timeZone);
}

/**
 * The order in which follow-ups the draw passed over are offered a quota's remaining places: at random
 * but deterministically, by a hash of (quota key, case type, external id) — every replica, and every run,
 * offers them in the same order, so a second run after a crash picks the same ones.
 */
export function topUpOrder<T extends Pick<QuotaTopUpCandidate, 'caseType' | 'externalId' | 'followUpId'>>(key: string, candidates: readonly T[]): T[] {
  return candidates
    .map((c) => ({ c, draw: stableDraw(`${key}|top-up|${c.caseType}|${c.externalId}`) }))
    .sort((a, b) => a.draw - b.draw || (a.c.followUpId < b.c.followUpId ? -1 : a.c.followUpId > b.c.followUpId ? 1 : 0))
    .map((x) => x.c);
}

/**
 * A quota minimum (002 制度12「每周将安排2~3次」: `quota: { min: 2, max: 3, per: week }`). From
 * `topUpDaysBefore` days before the period ends, for every quota key of the period that holds fewer than
 * `min` places, follow-ups of that step the draw passed over (SKIPPED, no place, not opted out, deadline
 * still ahead) become SCHEDULED in {@link topUpOrder}, each taking the next place through the same unique
 * `quotaSlot` as planning — two replicas topping up at once cannot both take a place, so neither `min` is
 * exceeded by the top-up nor `max` by planning.
 */
export async function topUpQuotas(deps: Pick<CoreDeps, 'cases' | 'policies' | 'clock' | 'timeZone'>): Promise<{ quotasBelowMin: number; toppedUp: number }> {
  const now = deps.clock.now();
  let quotasBelowMin = 0;
  let toppedUp = 0;
  for (const policy of deps.policies.all()) {
    for (const step of policy.steps) {
      const quota = (step.sampling ?? policy.sampling)?.quota;
      if (!quota || quota.min === undefined || !topUpOpen(quota, now, deps.timeZone)) continue;
      const { start, end } = quotaPeriod(quota.per, now, deps.timeZone);
      const candidates = await deps.cases.listQuotaTopUpCandidates({ policyId: policy.id, step: step.key, from: start, to: end, now });
      const byKey = new Map<string, { mark: QuotaMark; candidates: QuotaTopUpCandidate[] }>();
      for (const c of candidates) {
        const mark = quotaMark(quota, { policyId: policy.id, step: step.key, departmentId: c.departmentId, assigneeId: c.assigneeId, earliestAt: c.earliestAt, timeZone: deps.timeZone });
        const group = byKey.get(mark.key) ?? { mark, candidates: [] };
        group.candidates.push(c);
        byKey.set(mark.key, group);
      }
      for (const { mark, candidates: group } of byKey.values()) {
        const ordered = topUpOrder(mark.key, group);
        let held = await deps.cases.countQuotaSlots(mark.key);
        if (held < quota.min) quotasBelowMin++;
        while (held < quota.min && ordered.length > 0) {
          const c = ordered[0]!;
          const previous = JSON.parse(c.sampling) as SamplingDecision;
          const sampling: SamplingDecision = {
            ...previous,
            kept: true,
            reason: `${previous.reason}; topped up to the quota's minimum of ${quota.min} (${mark.label}): place ${held + 1} of ${mark.max}`,
            quota: mark,
          };
          const slot = `${mark.key}#${held + 1}`;
          const outcome = await deps.cases.takeQuotaSlot(c.followUpId, slot, JSON.stringify(sampling), {
            at: now,
            actorType: 'SYSTEM',
            actorId: null,
            action: 'follow_up.quota_topped_up',
            entityType: 'FollowUp',
            entityId: c.followUpId,
            details: { quotaSlot: slot, min: quota.min, max: mark.max },
          });
          if (outcome === 'taken') {
            toppedUp++;
            held++;
            ordered.shift();
          } else if (outcome === 'gone') {
            ordered.shift();
          } else {
            // Another replica took that place: count again.
            held = await deps.cases.countQuotaSlots(mark.key);
          }
        }
      }
    }
  }
  return { quotasBelowMin, toppedUp };
}
