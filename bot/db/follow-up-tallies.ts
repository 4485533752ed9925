/**
 * What the digest, the monthly report and the console count in the database (`GROUP BY`) over
 * `"FollowUp" AS f JOIN "Case" AS c`: the on-time flag as SQL, the condition on the case's department, and
 * a counted row read back as a `FollowUpTally` (bot/core/digests/build-digest.ts).
 */
import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { FollowUpTally } from '../core/digests/build-digest.js';
import type { DbCapabilities } from './client.js';
import { jsonRows, jsonRowsParam } from './json-rows.js';

/** 1 when the follow-up was closed by its deadline (`completedAt` set and ≤ `deadlineAt`), else 0. */
export const CLOSED_ON_TIME_SQL = `CASE WHEN f."completedAt" IS NOT NULL AND f."completedAt" <= f."deadlineAt" THEN 1 ELSE 0 END`;

/** `c."departmentId" IN (…)` over the given departments, bound as one JSON parameter whatever their number. */
export function caseDepartmentIn(capabilities: DbCapabilities, departmentIds: readonly string[]): { text: string; params: unknown[] } {
  return {
    text: `c."departmentId" IN (SELECT "id" FROM ${jsonRows(capabilities, 'd', { id: 'text' })})`,
    params: [jsonRowsParam(capabilities, departmentIds.map((id) => [id]))],
  };
}

/** A counted row with the columns `status`, `outcome`, `action`, `closedOnTime` (0/1) and `count`. */
export interface TallyRow extends Record<string, unknown> {
  status: string;
  outcome: string | null;
  action: string;
  closedOnTime: number;
  count: number;
}

/** The tally of a counted row (the drivers may hand back counts as strings or bigints). */
export function tallyOfRow(row: TallyRow): FollowUpTally {
  return {
    status: row.status as FollowUpStatus,
    outcome: row.outcome as FollowUpOutcome | null,
    action: row.action as FollowUpAction,
    closedOnTime: Number(row.closedOnTime) === 1,
    count: Number(row.count),
  };
}
