import type { PrismaClient } from './client.js';
import type { FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { PolicyRegistry } from '../core/ports/policies.js';
import { findStep } from '../core/policies/find-step.js';
import { buildMonthlyReport, type MonthlyReport, type MonthlyReportInput, type ReportDepartment } from '../core/reports/build-monthly-report.js';
import { addMonths, monthRange, type ReportMonth } from '../core/reports/report-schedule.js';
import type { ReportStore } from '../core/ports/reports.js';
import type { DigestRecipient } from '../core/ports/digests.js';
import { listManagerRecipients, ManagerMessageOutbox } from './manager-messages.js';
import { fixedSql } from './fixed-sql.js';
import { jsonRows, jsonRowsParam } from './json-rows.js';
import { caseDepartmentIn, CLOSED_ON_TIME_SQL, tallyOfRow, type TallyRow } from './follow-up-tallies.js';
import type { StoreContext } from './store-context.js';

/** Every status a due follow-up can have (all but SKIPPED), so the queries lead with the status index. */
const DUE_STATUSES: readonly FollowUpStatus[] = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED'];

export interface ReportDataOptions {
  month: ReportMonth;
  /** The subtree's root department; null for the whole organisation (cases without a department included). */
  rootDepartmentId: string | null;
  timeZone: string;
  generatedAt: Date;
  policies: PolicyRegistry;
  /** Months in the satisfaction trend, ending with `month` [12]. */
  trendMonths?: number;
}

/** A department by its code, or null. */
export async function findDepartmentByCode(prisma: PrismaClient, code: string): Promise<{ id: string; name: string } | null> {
  return prisma.department.findUnique({ where: { code }, select: { id: true, name: true } });
}

/**
 * Loads what `buildMonthlyReport` needs: the departments and active staff of the scope, the follow-ups whose
 * deadline falls in the month (any status but SKIPPED) and the done follow-ups of the trend months, both
 * counted in the database (`GROUP BY`): the process receives one row per department, assignee, policy step,
 * action, status, outcome and on-time flag, however many follow-ups the month holds. Each count reads a
 * `deadlineAt` range under an explicit status list (the `(status, deadlineAt)` index); the scope condition
 * goes through the case's department.
 */
export async function loadMonthlyReportInput(db: Pick<StoreContext, 'prisma' | 'capabilities'>, options: ReportDataOptions): Promise<MonthlyReportInput> {
  const { prisma, capabilities } = db;
  const sql = fixedSql(db);
  const { from, to } = monthRange(options.month, options.timeZone);
  const trendMonths = options.trendMonths ?? 12;
  const months = Array.from({ length: trendMonths }, (_, i) => addMonths(options.month, i + 1 - trendMonths));
  const trendFrom = monthRange(months[0]!, options.timeZone).from;

  const all = await prisma.department.findMany({ select: { id: true, code: true, name: true, path: true }, orderBy: { path: 'asc' } });
  const root = options.rootDepartmentId ? all.find((d) => d.id === options.rootDepartmentId) : undefined;
  if (options.rootDepartmentId && !root) throw new Error(`department ${options.rootDepartmentId} does not exist`);
  const inScope = root ? all.filter((d) => d.path.startsWith(root.path)) : all;
  const names = new Map(all.map((d) => [d.id, d.name]));
  const rootDepth = root ? root.path.split('/').filter(Boolean).length - 1 : 0;
  const departments: ReportDepartment[] = inScope.map((d) => ({
    id: d.id,
    code: d.code,
    name: d.name,
    path: d.path
      .split('/')
      .filter(Boolean)
      .slice(rootDepth)
      .map((id) => names.get(id) ?? id)
      .join('/'),
  }));
  const inDepartments = root ? caseDepartmentIn(capabilities, inScope.map((d) => d.id)) : null;
  const scope = inDepartments ? ` AND ${inDepartments.text}` : '';
  const scopeParams = inDepartments?.params ?? [];
  const monthParam = jsonRowsParam(
    capabilities,
    months.map((m) => {
      const range = monthRange(m, options.timeZone);
      return [m, range.from, range.to];
    }),
  );

  const [staff, followUps, trend] = await Promise.all([
    prisma.staff.findMany({
      where: { active: true, departmentId: { in: inScope.map((d) => d.id) } },
      select: { id: true, name: true, wecomUserId: true, department: { select: { name: true } } },
    }),
    sql.query<FollowUpTallyRow>(
      `SELECT f."status", f."outcome", f."action", f."policyId", f."step", f."assigneeId", s."name" AS "assigneeName", c."departmentId", ` +
        `${CLOSED_ON_TIME_SQL} AS "closedOnTime", CAST(COUNT(*) AS INTEGER) AS "count" ` +
        `FROM "FollowUp" AS f JOIN "Case" AS c ON c."id" = f."caseId" LEFT JOIN "Staff" AS s ON s."id" = f."assigneeId" ` +
        `WHERE f."status" IN (${DUE_STATUSES.map(() => '?').join(', ')}) AND f."deadlineAt" >= ? AND f."deadlineAt" < ?${scope} ` +
        `GROUP BY f."status", f."outcome", f."action", f."policyId", f."step", f."assigneeId", s."name", c."departmentId", ${CLOSED_ON_TIME_SQL}`,
      [...DUE_STATUSES, from, to, ...scopeParams],
    ),
    // Only done follow-ups carry a satisfaction value; each falls in the trend month of its deadline.
    sql.query<{ month: string; outcome: string | null; count: number }>(
      `SELECT m."month", f."outcome", CAST(COUNT(*) AS INTEGER) AS "count" ` +
        `FROM "FollowUp" AS f JOIN "Case" AS c ON c."id" = f."caseId" ` +
        `JOIN ${jsonRows(capabilities, 'm', { month: 'text', from: 'date', to: 'date' })} ON f."deadlineAt" >= m."from" AND f."deadlineAt" < m."to" ` +
        `WHERE f."status" = 'DONE' AND f."deadlineAt" >= ? AND f."deadlineAt" < ?${scope} ` +
        `GROUP BY m."month", f."outcome"`,
      [monthParam, trendFrom, to, ...scopeParams],
    ),
  ]);

  return {
    month: options.month,
    timeZone: options.timeZone,
    scopeName: root?.name ?? '全部科室',
    scopeCode: root?.code ?? null,
    generatedAt: options.generatedAt,
    period: { from, to },
    departments,
    staff: staff.map((s) => ({ id: s.id, name: s.name, wecomUserId: s.wecomUserId, departmentName: s.department.name })),
    followUps: followUps.map((t) => {
      const policy = options.policies.byId(t.policyId);
      return {
        ...tallyOfRow(t),
        policyId: t.policyId,
        policyName: policy?.name ?? t.policyId,
        stepTitle: findStep(policy, t.step)?.title ?? t.step,
        assigneeId: t.assigneeId,
        assigneeName: t.assigneeId ? t.assigneeName : null,
        departmentId: t.departmentId,
      };
    }),
    trend: trend.map((t) => ({ month: t.month as ReportMonth, outcome: t.outcome as FollowUpOutcome | null, count: Number(t.count) })),
    trendMonths,
  };
}

/** One row of the month's `GROUP BY`. */
interface FollowUpTallyRow extends TallyRow {
  policyId: string;
  step: string;
  assigneeId: string | null;
  assigneeName: string | null;
  departmentId: string | null;
}

/** Loads and builds the report in one step. */
export async function loadMonthlyReport(db: Pick<StoreContext, 'prisma' | 'capabilities'>, options: ReportDataOptions): Promise<MonthlyReport> {
  return buildMonthlyReport(await loadMonthlyReportInput(db, options));
}

/** `ReportStore` over Prisma. */
export class PrismaReportStore extends ManagerMessageOutbox implements ReportStore {
  constructor(
    db: StoreContext,
    private readonly policies: PolicyRegistry,
    private readonly timeZone: string,
  ) {
    super(db);
  }

  listReportRecipients(): Promise<DigestRecipient[]> {
    return listManagerRecipients(this.db.prisma);
  }

  loadMonthlyReport(scope: { rootDepartmentId: string | null }, month: ReportMonth, generatedAt: Date): Promise<MonthlyReport> {
    return loadMonthlyReport(this.db, { month, rootDepartmentId: scope.rootDepartmentId, timeZone: this.timeZone, generatedAt, policies: this.policies });
  }

}
