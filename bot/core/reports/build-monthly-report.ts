import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../model.js';
import { groupBy, isDueInPeriod, summariseTallies, tallyOf, type DigestFigures, type FollowUpTally } from '../digests/build-digest.js';
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
 *
 * The input is tallies, not follow-ups: the follow-ups that count alike in every table (same department,
 * assignee, policy step, action, status, outcome and on-time flag) counted together, so that the stores can
 * aggregate in the database and a month of a million follow-ups reaches the process as a few hundred rows.
 * `tallyReportRows` and `tallyTrendRows` make them from single rows.
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

/**
 * Follow-ups due in the month that count alike in every table of the report, and how many there are. A
 * follow-up's step enters only through its title: two steps of one policy with one title are one type.
 */
export interface ReportFollowUpTally
  extends FollowUpTally,
    Pick<ReportFollowUpRow, 'policyId' | 'policyName' | 'stepTitle' | 'assigneeId' | 'assigneeName' | 'departmentId'> {}

/** Done follow-ups of one trend month with one outcome (the month of the deadline, local time). */
export interface TrendTally {
  month: ReportMonth;
  outcome: FollowUpOutcome | null;
  count: number;
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
  /** The follow-ups due in the month (deadline in the period, not SKIPPED), tallied. */
  followUps: readonly ReportFollowUpTally[];
  /** Done follow-ups of the trend months (deadline in the `trendMonths` months ending with `month`), tallied. */
  trend: readonly TrendTally[];
  /** How many months the satisfaction trend shows, ending with `month` [12]. */
  trendMonths?: number;
  /** The reported period `[from, to)`. */
  period: { from: Date; to: Date };
}

/**
 * Tallies single follow-up rows as `MonthlyReportInput.followUps` wants them: each id once, only those due in
 * `[from, to)`.
 */
export function tallyReportRows(rows: readonly ReportFollowUpRow[], period: { from: Date; to: Date }): ReportFollowUpTally[] {
  const tallies = new Map<string, ReportFollowUpTally>();
  for (const r of new Map(rows.map((row) => [row.id, row])).values()) {
    if (!isDueInPeriod(r, period.from, period.to)) continue;
    const t = tallyOf(r);
    const key = [r.departmentId, r.assigneeId, r.assigneeName, r.policyId, r.policyName, r.stepTitle, t.action, t.status, t.outcome, t.closedOnTime].join('\u0000');
    const known = tallies.get(key);
    if (known) known.count++;
    else
      tallies.set(key, {
        ...t,
        policyId: r.policyId,
        policyName: r.policyName,
        stepTitle: r.stepTitle,
        assigneeId: r.assigneeId,
        assigneeName: r.assigneeName,
        departmentId: r.departmentId,
      });
  }
  return [...tallies.values()];
}

/** Tallies done follow-up rows per local month of the deadline and outcome, as `MonthlyReportInput.trend` wants them. */
export function tallyTrendRows(rows: readonly Pick<ReportFollowUpRow, 'status' | 'outcome' | 'deadlineAt'>[], timeZone: string): TrendTally[] {
  const tallies = new Map<string, TrendTally>();
  for (const r of rows) {
    if (r.status !== 'DONE') continue;
    const month = monthOf(r.deadlineAt, timeZone);
    const key = `${month}\u0000${r.outcome}`;
    const known = tallies.get(key);
    if (known) known.count++;
    else tallies.set(key, { month, outcome: r.outcome, count: 1 });
  }
  return [...tallies.values()];
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
  const due = input.followUps.filter((t) => t.status !== 'SKIPPED');

  const byDepartmentId = groupBy(due, (t) => t.departmentId);
  const byDepartment: DepartmentReportRow[] = input.departments.map((d) => ({
    code: d.code,
    name: d.name,
    path: d.path,
    ...summariseTallies(byDepartmentId.get(d.id) ?? []),
  }));
  const known = new Set(input.departments.map((d) => d.id));
  const orphans = due.filter((t) => t.departmentId === null || !known.has(t.departmentId));
  if (orphans.length > 0) byDepartment.push({ code: '', name: null, path: null, ...summariseTallies(orphans) });

  const tasks = groupBy(
    due.filter((t) => t.action === 'STAFF_TASK'),
    (t) => t.assigneeId,
  );
  const staff = new Map<string, { name: string; departmentName: string }>();
  for (const s of input.staff) staff.set(s.id, { name: s.name, departmentName: s.departmentName });
  for (const [assigneeId, list] of tasks) if (assigneeId && !staff.has(assigneeId)) staff.set(assigneeId, { name: list[0]!.assigneeName ?? assigneeId, departmentName: '' });
  const byStaff: StaffReportRow[] = [...staff.entries()]
    .map(([staffId, s]) => {
      const figures = summariseTallies(tasks.get(staffId) ?? []);
      return { staffId, name: s.name, departmentName: s.departmentName, ...figures, band: satisfactionBand(figures.satisfactionRate) };
    })
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN') || a.staffId.localeCompare(b.staffId));

  const types = groupBy(due, (t) => `${t.policyId}\u0000${t.stepTitle}\u0000${t.action}`);
  const byType: TypeReportRow[] = [...types.values()]
    .map((list) => ({ policyId: list[0]!.policyId, policyName: list[0]!.policyName, stepTitle: list[0]!.stepTitle, action: list[0]!.action, ...summariseTallies(list) }))
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
    totals: summariseTallies(due),
    byDepartment,
    byStaff,
    byType,
    trend: satisfactionTrend(input.trend, input.month, input.trendMonths ?? 12),
    bands,
  };
}

/** Satisfaction rate per month, for the `count` months ending with `last`, from tallies of done follow-ups. */
export function satisfactionTrend(tallies: readonly TrendTally[], last: ReportMonth, count: number): TrendPoint[] {
  const months = Array.from({ length: count }, (_, i) => addMonths(last, i - count + 1));
  const groups = new Map<string, FollowUpTally[]>(months.map((m) => [m, []]));
  for (const t of tallies) groups.get(t.month)?.push({ status: 'DONE', outcome: t.outcome, action: 'CUSTOMER_SURVEY', closedOnTime: false, count: t.count });
  return months.map((month) => {
    const f = summariseTallies(groups.get(month)!);
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
