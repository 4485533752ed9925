import type { PrismaClient } from './client.js';
import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { PolicyRegistry } from '../core/ports/policies.js';
import { findStep } from '../core/policies/find-step.js';
import { buildMonthlyReport, type MonthlyReport, type MonthlyReportInput, type ReportDepartment } from '../core/reports/build-monthly-report.js';
import { addMonths, monthRange, type ReportMonth } from '../core/reports/report-schedule.js';
import type { ReportStore } from '../core/ports/reports.js';
import type { DigestRecipient } from '../core/ports/digests.js';
import { listManagerRecipients, ManagerMessageOutbox } from './manager-messages.js';
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
 * Loads what `buildMonthlyReport` needs: the departments and active staff of the scope, the follow-ups
 * whose deadline falls in the month (any status but SKIPPED) and the done follow-ups of the trend months.
 * Each follow-up query is a `deadlineAt` range under an explicit status list (the `(status, deadlineAt)`
 * index); the scope condition goes through the case's department.
 */
export async function loadMonthlyReportInput(prisma: PrismaClient, options: ReportDataOptions): Promise<MonthlyReportInput> {
  const { from, to } = monthRange(options.month, options.timeZone);
  const trendMonths = options.trendMonths ?? 12;
  const trendFrom = monthRange(addMonths(options.month, 1 - trendMonths), options.timeZone).from;

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
  const caseScope = root ? { case: { departmentId: { in: inScope.map((d) => d.id) } } } : {};

  const [staff, followUps, trend] = await Promise.all([
    prisma.staff.findMany({
      where: { active: true, departmentId: { in: inScope.map((d) => d.id) } },
      select: { id: true, name: true, wecomUserId: true, department: { select: { name: true } } },
    }),
    prisma.followUp.findMany({
      where: { status: { in: [...DUE_STATUSES] }, deadlineAt: { gte: from, lt: to }, ...caseScope },
      select: {
        id: true,
        status: true,
        outcome: true,
        action: true,
        policyId: true,
        step: true,
        deadlineAt: true,
        completedAt: true,
        assignee: { select: { id: true, name: true } },
        case: { select: { departmentId: true } },
      },
    }),
    // Only done follow-ups carry a satisfaction value.
    prisma.followUp.findMany({
      where: { status: 'DONE', deadlineAt: { gte: trendFrom, lt: to }, ...caseScope },
      select: { status: true, outcome: true, action: true, deadlineAt: true, completedAt: true },
    }),
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
    followUps: followUps.map((f) => {
      const policy = options.policies.byId(f.policyId);
      return {
        id: f.id,
        status: f.status as FollowUpStatus,
        outcome: f.outcome as FollowUpOutcome | null,
        action: f.action as FollowUpAction,
        policyId: f.policyId,
        policyName: policy?.name ?? f.policyId,
        stepTitle: findStep(policy, f.step)?.title ?? f.step,
        assigneeId: f.assignee?.id ?? null,
        assigneeName: f.assignee?.name ?? null,
        departmentId: f.case.departmentId,
        deadlineAt: f.deadlineAt,
        completedAt: f.completedAt,
      };
    }),
    trendRows: trend.map((t) => ({
      status: t.status as FollowUpStatus,
      outcome: t.outcome as FollowUpOutcome | null,
      action: t.action as FollowUpAction,
      deadlineAt: t.deadlineAt,
      completedAt: t.completedAt,
    })),
    trendMonths,
  };
}

/** Loads and builds the report in one step. */
export async function loadMonthlyReport(prisma: PrismaClient, options: ReportDataOptions): Promise<MonthlyReport> {
  return buildMonthlyReport(await loadMonthlyReportInput(prisma, options));
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
    return loadMonthlyReport(this.db.prisma, { month, rootDepartmentId: scope.rootDepartmentId, timeZone: this.timeZone, generatedAt, policies: this.policies });
  }

}
