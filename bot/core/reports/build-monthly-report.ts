import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../model.js';
import { isDueInPeriod, summariseFollowUps, type DigestFigures } from '../digests/build-digest.js';
import { addMonths, monthOf, type ReportMonth } from './report-schedule.js';

/**
 * The monthly report (seeds 000 第二篇 第十一条 / 001 第二十条: monthly statistics per unit; 002 第八条 and
 * P9: per-staff satisfaction bands > 90 %, < 70 %, < 50 %). Pure: plain rows in, figures out.
 *
 * A follow-up belongs to the month in which its **deadline** falls (local time), exactly as a digest week
 * does, and every figure has the digest's definition (`summariseFollowUps`):
 *
 * - due = every follow-up with its deadline in the month, except SKIPPED (left out by sampling);
 * - on-time rate = closed on time ÷ (due − cancelled), closed on time = DONE or UNREACHABLE with
 *   completedAt ≤ deadlineAt;
 * - contact rate = done ÷ (done + unreachable);
 * - satisfaction rate = satisfied ÷ (satisfied + neutral + dissatisfied) over done follow-ups carrying
 *   a satisfaction outcome.
 *
 * Departments are the case's department (each department its own cases; the total row is the whole
 * scope). Staff rows cover the staff tasks assigned to each person. The satisfaction band of a staff
 * member: `ABOVE_90` when the rate is > 90 %, `BELOW_50` when < 50 %, `BELOW_70` when < 70 % (and ≥ 50 %),
 * `MIDDLE` from 70 % to 90 % inclusive, and null without any rated follow-up.
 */

export type SatisfactionBand = 'ABOVE_90' | 'MIDDLE' | 'BELOW_70' | 'BELOW_50';

/** The band of a satisfaction rate; see the module comment. */
export function satisfactionBand(rate: number | null): SatisfactionBand | null {
  if (rate === null) return null;
  if (rate > 0.9) return 'ABOVE_90';
  if (rate < 0.5) return 'BELOW_50';
  if (rate < 0.7) return 'BELOW_70';
  return 'MIDDLE';
}

/** One follow-up as the report sees it. */
export interface ReportFollowUpRow {
  id: string;
  status: FollowUpStatus;
  outcome: FollowUpOutcome | null;
  action: FollowUpAction;
  policyId: string;
  policyName: string;
  /** The step title (出院电话回访 …). */
  stepTitle: string;
  assigneeId: string | null;
  assigneeName: string | null;
  /** The case's department; null for a case without one. */
  departmentId: string | null;
  deadlineAt: Date;
  completedAt: Date | null;
}

export interface ReportDepartment {
  id: string;
  code: string;
  name: string;
  /** Names from the scope's root down, joined by "/" (仁和医院/心内科病区). */
  path: string;
}

export interface ReportStaff {
  id: string;
  name: string;
  wecomUserId: string;
  departmentName: string;
}

export interface MonthlyReportInput {
  month: ReportMonth;
  timeZone: string;
  /** Name of the scope (the root department, or the organisation). */
  scopeName: string;
  /** The root department's code, or null for the whole organisation. */
  scopeCode: string | null;
  generatedAt: Date;
  /** Departments in scope, root first (path order). */
  departments: readonly ReportDepartment[];
  /** Staff to list even with nothing due (members of the scope), plus anyone assigned a row. */
  staff: readonly ReportStaff[];
  /** Follow-ups with the deadline in the month (others are ignored). */
  followUps: readonly ReportFollowUpRow[];
  /** Done follow-ups of the trend months (deadline in the `trendMonths` months ending with `month`). */
  trendRows: readonly Pick<ReportFollowUpRow, 'status' | 'outcome' | 'action' | 'deadlineAt' | 'completedAt'>[];
  /** How many months the satisfaction trend shows, ending with `month` [12]. */
  trendMonths?: number;
  /** The reported period `[from, to)`. */
  period: { from: Date; to: Date };
}

/** A department's figures; the row of cases without a (known) department has code '' and name and path null. */
export interface DepartmentReportRow extends DigestFigures {
  code: string;
  name: string | null;
  path: string | null;
}

export interface StaffReportRow extends DigestFigures {
  staffId: string;
  name: string;
  departmentName: string;
  band: SatisfactionBand | null;
}

export interface TypeReportRow extends DigestFigures {
  policyId: string;
  policyName: string;
  stepTitle: string;
  action: FollowUpAction;
}

export interface TrendPoint {
  month: ReportMonth;
  satisfied: number;
  rated: number;
  rate: number | null;
}

export interface MonthlyReport {
  month: ReportMonth;
  timeZone: string;
  scopeName: string;
  scopeCode: string | null;
  generatedAt: Date;
  period: { from: Date; to: Date };
  totals: DigestFigures;
  /** Every department in scope (path order), including those with nothing due. */
  byDepartment: DepartmentReportRow[];
  /** Staff with staff tasks due in the month, or members of the scope; by name. */
  byStaff: StaffReportRow[];
  /** Per policy and step, by policy id then step title. */
  byType: TypeReportRow[];
  /** Oldest month first, ending with `month`. */
  trend: TrendPoint[];
  /** Staff names per band. */
  bands: Record<SatisfactionBand, string[]>;
}

/** Builds the report; see the module comment for every definition. */
export function buildMonthlyReport(input: MonthlyReportInput): MonthlyReport {
  const { from, to } = input.period;
  const due = [...new Map(input.followUps.map((r) => [r.id, r])).values()].filter((r) => isDueInPeriod(r, from, to));

  const byDepartment: DepartmentReportRow[] = input.departments.map((d) => ({
    code: d.code,
    name: d.name,
    path: d.path,
    ...summariseFollowUps(due.filter((r) => r.departmentId === d.id)),
  }));
  const known = new Set(input.departments.map((d) => d.id));
  const orphans = due.filter((r) => r.departmentId === null || !known.has(r.departmentId));
  if (orphans.length > 0) byDepartment.push({ code: '', name: null, path: null, ...summariseFollowUps(orphans) });

  const tasks = due.filter((r) => r.action === 'STAFF_TASK');
  const staff = new Map<string, { name: string; departmentName: string }>();
  for (const s of input.staff) staff.set(s.id, { name: s.name, departmentName: s.departmentName });
  for (const r of tasks) if (r.assigneeId && !staff.has(r.assigneeId)) staff.set(r.assigneeId, { name: r.assigneeName ?? r.assigneeId, departmentName: '' });
  const byStaff: StaffReportRow[] = [...staff.entries()]
    .map(([staffId, s]) => {
      const figures = summariseFollowUps(tasks.filter((r) => r.assigneeId === staffId));
      return { staffId, name: s.name, departmentName: s.departmentName, ...figures, band: satisfactionBand(figures.satisfactionRate) };
    })
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN') || a.staffId.localeCompare(b.staffId));

  const types = new Map<string, ReportFollowUpRow[]>();
  for (const r of due) {
    const key = `${r.policyId}\u0000${r.stepTitle}\u0000${r.action}`;
    const list = types.get(key);
    if (list) list.push(r);
    else types.set(key, [r]);
  }
  const byType: TypeReportRow[] = [...types.values()]
    .map((rows) => ({ policyId: rows[0]!.policyId, policyName: rows[0]!.policyName, stepTitle: rows[0]!.stepTitle, action: rows[0]!.action, ...summariseFollowUps(rows) }))
    .sort((a, b) => comparePolicyIds(a.policyId, b.policyId) || a.stepTitle.localeCompare(b.stepTitle, 'zh-Hans-CN') || a.action.localeCompare(b.action));

  const bands: Record<SatisfactionBand, string[]> = { ABOVE_90: [], MIDDLE: [], BELOW_70: [], BELOW_50: [] };
  for (const s of byStaff) if (s.band) bands[s.band].push(s.name);

  return {
    month: input.month,
    timeZone: input.timeZone,
    scopeName: input.scopeName,
    scopeCode: input.scopeCode,
    generatedAt: input.generatedAt,
    period: { from, to },
    totals: summariseFollowUps(due),
    byDepartment,
    byStaff,
    byType,
    trend: satisfactionTrend(input.trendRows, input.month, input.trendMonths ?? 12, input.timeZone),
    bands,
  };
}

/** Satisfaction rate per local month of the deadline, for the `count` months ending with `last`. */
export function satisfactionTrend(
  rows: readonly Pick<ReportFollowUpRow, 'status' | 'outcome' | 'action' | 'deadlineAt' | 'completedAt'>[],
  last: ReportMonth,
  count: number,
  timeZone: string,
): TrendPoint[] {
  const months = Array.from({ length: count }, (_, i) => addMonths(last, i - count + 1));
  const groups = new Map<string, typeof rows[number][]>(months.map((m) => [m, []]));
  for (const r of rows) groups.get(monthOf(r.deadlineAt, timeZone))?.push(r);
  return months.map((month) => {
    const f = summariseFollowUps(groups.get(month)!);
    return { month, satisfied: f.satisfied, rated: f.satisfied + f.neutral + f.dissatisfied, rate: f.satisfactionRate };
  });
}

function comparePolicyIds(a: string, b: string): number {
  const na = /^P(\d+)$/.exec(a);
  const nb = /^P(\d+)$/.exec(b);
  return na && nb ? Number(na[1]) - Number(nb[1]) : a.localeCompare(b);
}

/** A rate as `87.5%`, or `—` without a denominator. */
export function formatRate(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** Download links of one report, each signed. */
export interface ReportLinks {
  xlsx: string;
  staffCsv: string;
  departmentsCsv: string;
  chart: string;
}
