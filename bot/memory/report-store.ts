import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { IdGenerator } from '../core/clock.js';
import type { PolicyRegistry } from '../core/ports/policies.js';
import type { ReportStore } from '../core/ports/reports.js';
import type { DigestRecipient } from '../core/ports/digests.js';
import { findStep } from '../core/policies/find-step.js';
import { buildMonthlyReport, tallyReportRows, tallyTrendRows, type MonthlyReport, type ReportDepartment } from '../core/reports/build-monthly-report.js';
import { addMonths, monthRange, type ReportMonth } from '../core/reports/report-schedule.js';
import type { MemoryState } from './memory-state.js';
import { listManagerRecipients, MemoryManagerMessageOutbox } from './manager-messages.js';

/** Every status a due follow-up can have (all but SKIPPED). */
const DUE_STATUSES: readonly string[] = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED'];

/** Months in the satisfaction trend, ending with the report's month. */
const TREND_MONTHS = 12;

/** `ReportStore` in memory: the same tallies as `loadMonthlyReportInput` in bot/db/report-store.ts counts. */
export class MemoryReportStore extends MemoryManagerMessageOutbox implements ReportStore {
  constructor(
    state: MemoryState,
    ids: IdGenerator,
    private readonly policies: PolicyRegistry,
    private readonly timeZone: string,
  ) {
    super(state, ids);
  }

  async listReportRecipients(): Promise<DigestRecipient[]> {
    return this.state.transact(listManagerRecipients);
  }

  async loadMonthlyReport(scope: { rootDepartmentId: string | null }, month: ReportMonth, generatedAt: Date): Promise<MonthlyReport> {
    const { from, to } = monthRange(month, this.timeZone);
    const trendFrom = monthRange(addMonths(month, 1 - TREND_MONTHS), this.timeZone).from;
    const input = this.state.transact((tx) => {
      const all = tx.department.filter(() => true).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const root = scope.rootDepartmentId ? all.find((d) => d.id === scope.rootDepartmentId) : undefined;
      if (scope.rootDepartmentId && !root) throw new Error(`department ${scope.rootDepartmentId} does not exist`);
      const inScope = root ? all.filter((d) => d.path.startsWith(root.path)) : all;
      const scopeIds = new Set(inScope.map((d) => d.id));
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
      const inCaseScope = (caseId: string) => {
        if (!root) return true;
        const departmentId = tx.case.get(caseId)!.departmentId;
        return departmentId !== null && scopeIds.has(departmentId);
      };
      const staff = tx.staff.filter((s) => s.active && scopeIds.has(s.departmentId));
      const followUps = tx.followUp.filter((f) => DUE_STATUSES.includes(f.status) && f.deadlineAt >= from && f.deadlineAt < to && inCaseScope(f.caseId));
      const trend = tx.followUp.filter((f) => f.status === 'DONE' && f.deadlineAt >= trendFrom && f.deadlineAt < to && inCaseScope(f.caseId));
      return {
        month,
        timeZone: this.timeZone,
        scopeName: root?.name ?? '全部科室',
        scopeCode: root?.code ?? null,
        generatedAt,
        period: { from, to },
        departments,
        staff: staff.map((s) => ({ id: s.id, name: s.name, wecomUserId: s.wecomUserId, departmentName: tx.department.get(s.departmentId)!.name })),
        followUps: tallyReportRows(
          followUps.map((f) => {
            const policy = this.policies.byId(f.policyId);
            const assignee = f.assigneeId ? tx.staff.get(f.assigneeId) : undefined;
            return {
              id: f.id,
              status: f.status as FollowUpStatus,
              outcome: f.outcome as FollowUpOutcome | null,
              action: f.action as FollowUpAction,
              policyId: f.policyId,
              policyName: policy?.name ?? f.policyId,
              stepTitle: findStep(policy, f.step)?.title ?? f.step,
              assigneeId: assignee?.id ?? null,
              assigneeName: assignee?.name ?? null,
              departmentId: tx.case.get(f.caseId)!.departmentId,
              deadlineAt: new Date(f.deadlineAt.getTime()),
              completedAt: f.completedAt ? new Date(f.completedAt.getTime()) : null,
            };
          }),
          { from, to },
        ),
        trend: tallyTrendRows(
          trend.map((t) => ({ status: t.status as FollowUpStatus, outcome: t.outcome as FollowUpOutcome | null, deadlineAt: t.deadlineAt })),
          this.timeZone,
        ),
        trendMonths: TREND_MONTHS,
      };
    });
    return buildMonthlyReport(input);
  }
}
