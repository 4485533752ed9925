import type { CaseStore } from '../ports/cases.js';
import type { PlannedFollowUp } from './plan-follow-ups.js';
import type { SamplingDecision } from './sampling.js';

// Claims sampling-quota places in the database for planned follow-ups; the quota keys and the scheme
// are explained at `quotaMark` in sampling.ts.

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
