import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { ConsoleScope } from '../core/console/access.js';
import type {
  AuditFilter,
  AuditRow,
  CaseDetail,
  CaseListFilter,
  CaseRow,
  ConsoleViews,
  CustomerListFilter,
  CustomerRow,
  DashboardFigures,
  EscalationListFilter,
  EscalationRow,
  FollowUpListFilter,
  FollowUpRow,
  JobRunRow,
  Page,
  SatisfactionFigures,
  SatisfactionFilter,
  SatisfactionGroupRow,
  TimelineEntry,
} from '../core/ports/console-views.js';
import type { StoreContext } from './store-context.js';
import { parseJson } from './rows.js';
import { fixedSql } from './fixed-sql.js';
import { jsonRows, jsonRowsParam } from './json-rows.js';
import { caseDepartmentIn } from './follow-up-tallies.js';

const OPEN_FOLLOW_UP = ['SCHEDULED', 'ACTIVE', 'OVERDUE'];
const OPEN_ESCALATION = ['OPEN', 'ACKNOWLEDGED'];
const SATISFACTION_OUTCOMES = ['SATISFIED', 'NEUTRAL', 'DISSATISFIED'];

/** Where-clauses of each table for a scope: the rows a console page may show. */
function followUpScope(scope: ConsoleScope): Prisma.FollowUpWhereInput {
  if (scope.kind === 'all') return {};
  if (scope.kind === 'own') return { assigneeId: scope.staffId };
  return { case: { departmentId: { in: [...scope.departmentIds] } } };
}

function caseScope(scope: ConsoleScope): Prisma.CaseWhereInput {
  if (scope.kind === 'all') return {};
  if (scope.kind === 'own') {
    return { OR: [{ responsibleStaffId: scope.staffId }, { followUps: { some: { assigneeId: scope.staffId } } }, { escalations: { some: { ownerId: scope.staffId } } }] };
  }
  return { departmentId: { in: [...scope.departmentIds] } };
}

function escalationScope(scope: ConsoleScope): Prisma.EscalationWhereInput {
  if (scope.kind === 'all') return {};
  if (scope.kind === 'own') return { ownerId: scope.staffId };
  return { case: { departmentId: { in: [...scope.departmentIds] } } };
}

function customerScope(scope: ConsoleScope): Prisma.CustomerWhereInput {
  if (scope.kind === 'all') return {};
  return { cases: { some: caseScope(scope) } };
}

/** Customer name, the last digits of the phone (3–4 digits), or the case number. */
function customerSearch(q: string | undefined): Prisma.CustomerWhereInput | null {
  const text = q?.trim();
  if (!text) return null;
  const or: Prisma.CustomerWhereInput[] = [{ name: { contains: text } }, { salutation: { contains: text } }, { externalId: text }];
  if (/^\d{3,4}$/.test(text)) or.push({ phoneMasked: { endsWith: text } });
  or.push({ cases: { some: { externalId: text } } });
  return { OR: or };
}

function page<T>(items: T[], total: number, p: { page: number; pageSize: number }): Page<T> {
  return { items, total, page: p.page, pageSize: p.pageSize };
}

const followUpInclude = {
  case: { select: { externalId: true, department: { select: { name: true } } } },
  customer: { select: { id: true, name: true, phoneMasked: true } },
  assignee: { select: { name: true } },
} as const;

type FollowUpWithRelations = Prisma.FollowUpGetPayload<{ include: typeof followUpInclude }>;

function toFollowUpRow(f: FollowUpWithRelations): FollowUpRow {
  return {
    id: f.id,
    caseId: f.caseId,
    caseExternalId: f.case.externalId,
    policyId: f.policyId,
    step: f.step,
    action: f.action,
    channel: f.channel,
    status: f.status,
    outcome: f.outcome,
    dueAt: f.dueAt,
    deadlineAt: f.deadlineAt,
    completedAt: f.completedAt,
    attempts: f.attempts,
    assigneeId: f.assigneeId,
    assigneeName: f.assignee?.name ?? null,
    departmentName: f.case.department?.name ?? null,
    customerId: f.customer.id,
    customerName: f.customer.name,
    customerPhone: f.customer.phoneMasked,
    version: f.version,
  };
}

const escalationInclude = {
  case: { select: { externalId: true, customer: { select: { name: true, phoneMasked: true } } } },
  owner: { select: { name: true } },
} as const;

type EscalationWithRelations = Prisma.EscalationGetPayload<{ include: typeof escalationInclude }>;

/** `ConsoleViews` over Prisma. Every query starts from the scope's where-clause. */
export class PrismaConsoleViews implements ConsoleViews {
  constructor(private readonly db: StoreContext) {}

  private get prisma() {
    return this.db.prisma;
  }

  async dashboard(scope: ConsoleScope, at: { dayStart: Date; dayEnd: Date; monthStart: Date; lastMonthStart: Date; now: Date }): Promise<DashboardFigures> {
    const fu = followUpScope(scope);
    const dayAgo = new Date(at.now.getTime() - 86_400_000);
    const satisfactionIn = async (from: Date, to: Date) => {
      const rows = await this.prisma.followUp.groupBy({
        by: ['outcome'],
        where: { ...fu, status: 'DONE', outcome: { in: SATISFACTION_OUTCOMES }, completedAt: { gte: from, lt: to } },
        _count: { _all: true },
      });
      const n = (o: string) => rows.find((r) => r.outcome === o)?._count._all ?? 0;
      return { answered: n('SATISFIED') + n('NEUTRAL') + n('DISSATISFIED'), satisfied: n('SATISFIED'), dissatisfied: n('DISSATISFIED') };
    };
    const [dueToday, overdue, activeTasks, openEscalations, breachedEscalations, thisMonth, lastMonth, dead, waiting] = await Promise.all([
      this.prisma.followUp.count({ where: { ...fu, status: { in: ['SCHEDULED', 'ACTIVE'] }, dueAt: { gte: at.dayStart, lt: at.dayEnd } } }),
      this.prisma.followUp.count({ where: { ...fu, status: 'OVERDUE' } }),
      this.prisma.followUp.count({ where: { ...fu, status: 'ACTIVE' } }),
      this.prisma.escalation.count({ where: { ...escalationScope(scope), status: { in: OPEN_ESCALATION } } }),
      this.prisma.escalation.count({ where: { ...escalationScope(scope), status: { in: OPEN_ESCALATION }, breachedAt: { not: null } } }),
      satisfactionIn(at.monthStart, at.dayEnd),
      satisfactionIn(at.lastMonthStart, at.monthStart),
      // Channel health is the service's, whatever the scope: the (status, nextAttemptAt) and (channel, sentAt) indexes bound them.
      this.prisma.outboxMessage.groupBy({ by: ['channel'], where: { status: 'DEAD', updatedAt: { gte: dayAgo } }, _count: { _all: true } }),
      this.prisma.outboxMessage.groupBy({ by: ['channel'], where: { status: 'PENDING', attempts: { gt: 0 }, lastErrorCode: { not: null } }, _count: { _all: true } }),
    ]);
    const channels = [...new Set([...dead.map((d) => d.channel), ...waiting.map((w) => w.channel)])].sort();
    const byChannel = channels.map((channel) => ({
      channel,
      dead: dead.find((d) => d.channel === channel)?._count._all ?? 0,
      blocked: waiting.find((w) => w.channel === channel)?._count._all ?? 0,
    }));
    return {
      dueToday,
      overdue,
      activeTasks,
      openEscalations,
      breachedEscalations,
      satisfaction: { thisMonth, lastMonth },
      channelHealth: { deadLastDay: byChannel.reduce((s, c) => s + c.dead, 0), blocked: byChannel.reduce((s, c) => s + c.blocked, 0), byChannel },
    };
  }

  async listFollowUps(scope: ConsoleScope, filter: FollowUpListFilter): Promise<Page<FollowUpRow>> {
    const search = customerSearch(filter.q);
    const where: Prisma.FollowUpWhereInput = {
      AND: [
        followUpScope(scope),
        filter.status?.length ? { status: { in: filter.status } } : {},
        filter.departmentId ? { case: { departmentId: filter.departmentId } } : {},
        filter.assigneeId ? { assigneeId: filter.assigneeId } : {},
        filter.policyId ? { policyId: filter.policyId } : {},
        filter.dueFrom || filter.dueTo ? { dueAt: { ...(filter.dueFrom ? { gte: filter.dueFrom } : {}), ...(filter.dueTo ? { lt: filter.dueTo } : {}) } } : {},
        search ? { OR: [{ customer: search }, { case: { externalId: filter.q!.trim() } }] } : {},
      ],
    };
    const direction = filter.direction ?? 'asc';
    const orderBy: Prisma.FollowUpOrderByWithRelationInput[] =
      filter.sort === 'customer'
        ? [{ customer: { name: direction } }, { id: 'asc' }]
        : filter.sort === 'status'
          ? [{ status: direction }, { dueAt: 'asc' }, { id: 'asc' }]
          : [{ [filter.sort ?? 'dueAt']: direction }, { id: 'asc' }];
    const [rows, total] = await Promise.all([
      this.prisma.followUp.findMany({ where, orderBy, skip: (filter.page - 1) * filter.pageSize, take: filter.pageSize, include: followUpInclude }),
      this.prisma.followUp.count({ where }),
    ]);
    return page(rows.map(toFollowUpRow), total, filter);
  }

  async openFollowUpsByIds(scope: ConsoleScope, ids: readonly string[]): Promise<FollowUpRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.prisma.followUp.findMany({ where: { AND: [followUpScope(scope), { id: { in: [...ids] }, status: { in: OPEN_FOLLOW_UP } }] }, include: followUpInclude, orderBy: { dueAt: 'asc' } });
    return rows.map(toFollowUpRow);
  }

  async openFollowUpsOfAssignee(scope: ConsoleScope, staffId: string): Promise<FollowUpRow[]> {
    const rows = await this.prisma.followUp.findMany({ where: { AND: [followUpScope(scope), { assigneeId: staffId, status: { in: OPEN_FOLLOW_UP } }] }, include: followUpInclude, orderBy: { dueAt: 'asc' } });
    return rows.map(toFollowUpRow);
  }

  async listCases(scope: ConsoleScope, filter: CaseListFilter): Promise<Page<CaseRow>> {
    const q = filter.q?.trim();
    const search = customerSearch(q);
    const where: Prisma.CaseWhereInput = {
      AND: [
        caseScope(scope),
        filter.policyId ? { policyId: filter.policyId } : {},
        filter.departmentId ? { departmentId: filter.departmentId } : {},
        filter.status ? { status: filter.status } : {},
        search ? { OR: [{ externalId: q! }, { customer: search }] } : {},
      ],
    };
    const direction = filter.direction ?? 'desc';
    const [rows, total] = await Promise.all([
      this.prisma.case.findMany({
        where,
        orderBy: [{ [filter.sort ?? 'occurredAt']: direction }, { id: 'asc' }],
        skip: (filter.page - 1) * filter.pageSize,
        take: filter.pageSize,
        include: caseInclude,
      }),
      this.prisma.case.count({ where }),
    ]);
    return page(rows.map(toCaseRow), total, filter);
  }

  async caseDetail(scope: ConsoleScope, caseId: string): Promise<CaseDetail | null> {
    const row = await this.prisma.case.findFirst({ where: { AND: [caseScope(scope), { id: caseId }] }, include: caseInclude });
    if (!row) return null;
    const [followUps, escalations] = await Promise.all([
      this.prisma.followUp.findMany({ where: { caseId }, include: followUpInclude, orderBy: [{ sequence: 'asc' }, { id: 'asc' }] }),
      this.prisma.escalation.findMany({ where: { caseId }, include: escalationInclude, orderBy: { createdAt: 'asc' } }),
    ]);
    const followUpIds = followUps.map((f) => f.id);
    const escalationIds = escalations.map((e) => e.id);
    const [messages, surveys, audit] = await Promise.all([
      followUpIds.length ? this.prisma.outboxMessage.findMany({ where: { followUpId: { in: followUpIds } }, orderBy: { createdAt: 'asc' } }) : [],
      followUpIds.length ? this.prisma.surveyInstance.findMany({ where: { followUpId: { in: followUpIds } }, include: { responses: { orderBy: { receivedAt: 'asc' } } } }) : [],
      this.prisma.auditLog.findMany({
        where: { OR: [{ entityType: 'Case', entityId: caseId }, { entityType: 'FollowUp', entityId: { in: followUpIds } }, { entityType: 'Escalation', entityId: { in: escalationIds } }] },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
        take: 500,
      }),
    ]);
    const staffNames = new Map((await this.prisma.staff.findMany({ where: { id: { in: [...new Set(audit.map((a) => a.actorId).filter((id): id is string => !!id))] } }, select: { id: true, name: true } })).map((s) => [s.id, s.name]));
    const stepOf = new Map(followUps.map((f) => [f.id, f.step]));
    const timeline: TimelineEntry[] = [{ at: row.occurredAt, kind: 'case', title: 'case.occurred', detail: row.type, who: row.customer.name }];
    for (const f of followUps) timeline.push({ at: f.dueAt, kind: 'follow_up', title: `follow_up.${f.status.toLowerCase()}`, detail: f.step, who: f.assignee?.name ?? null });
    for (const m of messages) {
      timeline.push({ at: m.createdAt, kind: 'message', title: `message.${m.status.toLowerCase()}`, detail: `${m.channel} ${m.kind}${stepOf.get(m.followUpId ?? '') ? ` · ${stepOf.get(m.followUpId ?? '')}` : ''}${m.lastErrorCode ? ` · ${m.lastErrorCode}` : ''}`, who: null });
      if (m.deliveredAt || m.deliveryStatus) timeline.push({ at: m.deliveredAt ?? m.updatedAt, kind: 'delivery', title: `delivery.${(m.deliveryStatus ?? 'unknown').toLowerCase()}`, detail: `${m.channel}${m.deliveryError ? ` · ${m.deliveryError}` : ''}`, who: null });
    }
    for (const s of surveys) {
      for (const r of s.responses) {
        timeline.push({ at: r.receivedAt, kind: r.channel === 'form' || r.channel === 'staff' ? 'form' : 'reply', title: `reply.${(r.satisfaction ?? 'text').toLowerCase()}`, detail: r.rawText, who: r.channel });
      }
    }
    for (const e of escalations) timeline.push({ at: e.createdAt, kind: 'escalation', title: `escalation.${e.reason.toLowerCase()}`, detail: e.summary, who: e.owner.name });
    for (const a of audit) {
      const details = parseJson<Record<string, unknown>>(a.details, {});
      timeline.push({ at: a.at, kind: 'audit', title: a.action, detail: typeof details.note === 'string' ? details.note : null, who: a.actorId ? (staffNames.get(a.actorId) ?? null) : null });
    }
    timeline.sort((x, y) => x.at.getTime() - y.at.getTime());
    return {
      case: { ...toCaseRow(row), attributes: parseJson<Record<string, unknown>>(row.attributes, {}), closedAt: row.closedAt, createdAt: row.createdAt },
      followUps: followUps.map(toFollowUpRow),
      escalations: escalations.map((e) => toEscalationRow(e, followUps.find((f) => f.id === e.secondFollowUpId)?.status ?? null)),
      timeline,
    };
  }

  async listEscalations(scope: ConsoleScope, filter: EscalationListFilter): Promise<Page<EscalationRow>> {
    const q = filter.q?.trim();
    const search = customerSearch(q);
    const where: Prisma.EscalationWhereInput = {
      AND: [
        escalationScope(scope),
        filter.status?.length ? { status: { in: filter.status } } : {},
        filter.ownerId ? { ownerId: filter.ownerId } : {},
        filter.reason ? { reason: filter.reason } : {},
        filter.departmentId ? { case: { departmentId: filter.departmentId } } : {},
        search ? { case: { OR: [{ externalId: q! }, { customer: search }] } } : {},
      ],
    };
    const [rows, total] = await Promise.all([
      this.prisma.escalation.findMany({
        where,
        orderBy: [{ [filter.sort ?? 'deadlineAt']: filter.direction ?? 'asc' }, { id: 'asc' }],
        skip: (filter.page - 1) * filter.pageSize,
        take: filter.pageSize,
        include: escalationInclude,
      }),
      this.prisma.escalation.count({ where }),
    ]);
    const seconds = await this.secondFollowUpStatuses(rows);
    return page(rows.map((e) => toEscalationRow(e, seconds.get(e.secondFollowUpId ?? '') ?? null)), total, filter);
  }

  async escalation(scope: ConsoleScope, id: string): Promise<EscalationRow | null> {
    const row = await this.prisma.escalation.findFirst({ where: { AND: [escalationScope(scope), { id }] }, include: escalationInclude });
    if (!row) return null;
    const seconds = await this.secondFollowUpStatuses([row]);
    return toEscalationRow(row, seconds.get(row.secondFollowUpId ?? '') ?? null);
  }

  private async secondFollowUpStatuses(rows: { secondFollowUpId: string | null }[]): Promise<Map<string, string>> {
    const ids = rows.map((r) => r.secondFollowUpId).filter((id): id is string => !!id);
    if (ids.length === 0) return new Map();
    return new Map((await this.prisma.followUp.findMany({ where: { id: { in: ids } }, select: { id: true, status: true } })).map((f) => [f.id, f.status]));
  }

  async listCustomers(scope: ConsoleScope, filter: CustomerListFilter): Promise<Page<CustomerRow>> {
    const search = customerSearch(filter.q);
    const where: Prisma.CustomerWhereInput = {
      AND: [customerScope(scope), search ?? {}, filter.optedOut === undefined ? {} : filter.optedOut ? { optedOutAt: { not: null } } : { optedOutAt: null }],
    };
    const [rows, total] = await Promise.all([
      this.prisma.customer.findMany({ where, orderBy: [{ name: 'asc' }, { id: 'asc' }], skip: (filter.page - 1) * filter.pageSize, take: filter.pageSize, include: { _count: { select: { cases: true } } } }),
      this.prisma.customer.count({ where }),
    ]);
    return page(rows.map(toCustomerRow), total, filter);
  }

  async customer(scope: ConsoleScope, id: string): Promise<CustomerRow | null> {
    const row = await this.prisma.customer.findFirst({ where: { AND: [customerScope(scope), { id }] }, include: { _count: { select: { cases: true } } } });
    return row ? toCustomerRow(row) : null;
  }

  async customerPhone(scope: ConsoleScope, id: string): Promise<string | null> {
    const row = await this.prisma.customer.findFirst({ where: { AND: [customerScope(scope), { id }] }, select: { phoneE164: true } });
    return row?.phoneE164 ?? null;
  }

  /**
   * Counted in the database: one row per department, staff member, policy and outcome, however many follow-ups
   * the period holds. Only the NPS answers (of the latest 5,000 survey responses) and the dissatisfied calls'
   * notes are read as rows.
   */
  async satisfaction(scope: ConsoleScope, filter: SatisfactionFilter): Promise<SatisfactionFigures> {
    const rated = { ...followUpScope(scope), status: 'DONE', outcome: { in: SATISFACTION_OUTCOMES }, completedAt: { gte: filter.from, lt: filter.to } } satisfies Prisma.FollowUpWhereInput;
    const where = this.scopeSql(scope);
    const [counts, responses, notes] = await Promise.all([
      fixedSql(this.db).query<{ departmentId: string | null; departmentName: string | null; assigneeId: string | null; assigneeName: string | null; policyId: string; outcome: string; count: number }>(
        `SELECT c."departmentId", d."name" AS "departmentName", f."assigneeId", s."name" AS "assigneeName", f."policyId", f."outcome", CAST(COUNT(*) AS INTEGER) AS "count" ` +
          `FROM "FollowUp" AS f JOIN "Case" AS c ON c."id" = f."caseId" LEFT JOIN "Department" AS d ON d."id" = c."departmentId" LEFT JOIN "Staff" AS s ON s."id" = f."assigneeId" ` +
          `WHERE f."status" = 'DONE' AND f."outcome" IN (?, ?, ?) AND f."completedAt" >= ? AND f."completedAt" < ?${where.text} ` +
          `GROUP BY c."departmentId", d."name", f."assigneeId", s."name", f."policyId", f."outcome"`,
        [...SATISFACTION_OUTCOMES, filter.from, filter.to, ...where.params],
      ),
      this.prisma.surveyResponse.findMany({
        where: { receivedAt: { gte: filter.from, lt: filter.to }, survey: { followUp: followUpScope(scope) } },
        select: { rawText: true, answers: true, satisfaction: true, receivedAt: true, survey: { select: { surveyKey: true, followUpId: true } } },
        orderBy: { receivedAt: 'desc' },
        take: 5000,
      }),
      this.prisma.followUp.findMany({
        where: { ...rated, outcome: 'DISSATISFIED', AND: [{ outcomeNote: { not: null } }, { outcomeNote: { not: '' } }] },
        select: { outcomeNote: true, completedAt: true, outcome: true },
      }),
    ]);
    const nps = filter.npsQuestions ?? [];
    const npsOf = new Map<string, number>();
    for (const r of responses) {
      const question = nps.find((q) => q.surveyKey === r.survey.surveyKey);
      const value = question ? Number(parseJson<Record<string, unknown>>(r.answers, {})[question.questionKey]) : Number.NaN;
      if (r.survey.followUpId && Number.isInteger(value) && value >= 0 && value <= 10) npsOf.set(r.survey.followUpId, value);
    }
    // The rated follow-ups among those with an NPS answer, at most 5,000.
    const scored = npsOf.size
      ? await this.prisma.followUp.findMany({
          where: { ...rated, id: { in: [...npsOf.keys()] } },
          select: { id: true, policyId: true, assigneeId: true, assignee: { select: { name: true } }, case: { select: { departmentId: true, department: { select: { name: true } } } } },
        })
      : [];
    type Keys = { departmentId: string | null; departmentName: string | null; assigneeId: string | null; assigneeName: string | null; policyId: string };
    const group = (keyOf: (r: Keys) => [string, string]) => {
      const groups = new Map<string, SatisfactionGroupRow>();
      const groupOf = (r: Keys) => {
        const [key, label] = keyOf(r);
        const g = groups.get(key) ?? { key, label, answered: 0, satisfied: 0, neutral: 0, dissatisfied: 0, npsAnswers: 0, promoters: 0, detractors: 0 };
        groups.set(key, g);
        return g;
      };
      for (const r of counts) {
        const g = groupOf(r);
        const n = Number(r.count);
        g.answered += n;
        if (r.outcome === 'SATISFIED') g.satisfied += n;
        else if (r.outcome === 'NEUTRAL') g.neutral += n;
        else g.dissatisfied += n;
      }
      for (const r of scored) {
        const g = groupOf({ departmentId: r.case.departmentId, departmentName: r.case.department?.name ?? null, assigneeId: r.assigneeId, assigneeName: r.assignee?.name ?? null, policyId: r.policyId });
        const score = npsOf.get(r.id)!;
        g.npsAnswers++;
        if (score >= 9) g.promoters++;
        else if (score <= 6) g.detractors++;
      }
      return [...groups.values()].sort((a, b) => b.answered - a.answered || a.label.localeCompare(b.label, 'zh-Hans-CN'));
    };
    const comments = [
      ...responses.filter((r) => r.rawText && r.rawText.trim()).map((r) => ({ at: r.receivedAt, text: r.rawText!, satisfaction: r.satisfaction })),
      ...notes.filter((r) => r.completedAt).map((r) => ({ at: r.completedAt!, text: r.outcomeNote!, satisfaction: r.outcome })),
    ].sort((a, b) => b.at.getTime() - a.at.getTime());
    return {
      byDepartment: group((r) => [r.departmentId ?? '-', r.departmentName ?? '（未指定科室）']),
      byStaff: group((r) => [r.assigneeId ?? '-', r.assigneeName ?? '（问卷，无人员）']),
      byPolicy: group((r) => [r.policyId, r.policyId]),
      comments,
    };
  }

  /** Counted in the database, per month and outcome. */
  async satisfactionTrend(scope: ConsoleScope, months: readonly { key: string; from: Date; to: Date }[]): Promise<{ key: string; answered: number; satisfied: number }[]> {
    if (months.length === 0) return [];
    const caps = this.db.capabilities;
    const where = this.scopeSql(scope);
    const rows = await fixedSql(this.db).query<{ key: string; outcome: string; count: number }>(
      `SELECT m."key", f."outcome", CAST(COUNT(*) AS INTEGER) AS "count" ` +
        `FROM "FollowUp" AS f JOIN "Case" AS c ON c."id" = f."caseId" ` +
        `JOIN ${jsonRows(caps, 'm', { key: 'text', from: 'date', to: 'date' })} ON f."completedAt" >= m."from" AND f."completedAt" < m."to" ` +
        `WHERE f."status" = 'DONE' AND f."outcome" IN (?, ?, ?) AND f."completedAt" >= ? AND f."completedAt" < ?${where.text} ` +
        `GROUP BY m."key", f."outcome"`,
      [jsonRowsParam(caps, months.map((m) => [m.key, m.from, m.to])), ...SATISFACTION_OUTCOMES, months[0]!.from, months[months.length - 1]!.to, ...where.params],
    );
    return months.map((m) => {
      const inMonth = rows.filter((r) => r.key === m.key);
      const sum = (list: typeof rows) => list.reduce((n, r) => n + Number(r.count), 0);
      return { key: m.key, answered: sum(inMonth), satisfied: sum(inMonth.filter((r) => r.outcome === 'SATISFIED')) };
    });
  }

  /** `followUpScope` as a condition of fixed SQL over `"FollowUp" AS f JOIN "Case" AS c`, with its parameters. */
  private scopeSql(scope: ConsoleScope): { text: string; params: unknown[] } {
    if (scope.kind === 'all') return { text: '', params: [] };
    if (scope.kind === 'own') return { text: ' AND f."assigneeId" = ?', params: [scope.staffId] };
    const inDepartments = caseDepartmentIn(this.db.capabilities, scope.departmentIds);
    return { text: ` AND ${inDepartments.text}`, params: inDepartments.params };
  }

  async listAudit(filter: AuditFilter): Promise<Page<AuditRow>> {
    const where: Prisma.AuditLogWhereInput = {
      ...(filter.actorId ? { actorId: filter.actorId } : {}),
      ...(filter.action ? { action: { startsWith: filter.action } } : {}),
      ...(filter.entityType ? { entityType: filter.entityType } : {}),
      ...(filter.entityId ? { entityId: filter.entityId } : {}),
      ...(filter.from || filter.to ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
    };
    const [rows, total] = await Promise.all([
      this.prisma.auditLog.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], skip: (filter.page - 1) * filter.pageSize, take: filter.pageSize }),
      this.prisma.auditLog.count({ where }),
    ]);
    const actorIds = [...new Set(rows.map((r) => r.actorId).filter((id): id is string => !!id))];
    const [staff, users] = await Promise.all([
      this.prisma.staff.findMany({ where: { id: { in: actorIds } }, select: { id: true, name: true } }),
      this.prisma.consoleUser.findMany({ where: { id: { in: actorIds } }, select: { id: true, name: true } }),
    ]);
    const names = new Map([...staff, ...users].map((s) => [s.id, s.name]));
    return page(
      rows.map((r) => ({ id: r.id, at: r.at, actorType: r.actorType, actorId: r.actorId, actorName: r.actorId ? (names.get(r.actorId) ?? null) : null, action: r.action, entityType: r.entityType, entityId: r.entityId, details: parseJson<Record<string, unknown>>(r.details, {}) })),
      total,
      filter,
    );
  }

  async jobRuns(): Promise<JobRunRow[]> {
    return this.prisma.jobRun.findMany({ orderBy: { job: 'asc' } });
  }
}

const caseInclude = {
  customer: { select: { id: true, name: true, phoneMasked: true } },
  department: { select: { name: true } },
  responsibleStaff: { select: { name: true } },
  _count: { select: { followUps: { where: { status: { in: OPEN_FOLLOW_UP } } } } },
} as const;

type CaseWithRelations = Prisma.CaseGetPayload<{ include: typeof caseInclude }>;

function toCaseRow(c: CaseWithRelations): CaseRow {
  return {
    id: c.id,
    type: c.type,
    externalId: c.externalId,
    policyId: c.policyId,
    status: c.status,
    occurredAt: c.occurredAt,
    departmentName: c.department?.name ?? null,
    responsibleName: c.responsibleStaff?.name ?? null,
    customerId: c.customer.id,
    customerName: c.customer.name,
    customerPhone: c.customer.phoneMasked,
    openFollowUps: c._count.followUps,
  };
}

function toEscalationRow(e: EscalationWithRelations, secondFollowUpStatus: string | null): EscalationRow {
  return {
    id: e.id,
    caseId: e.caseId,
    caseExternalId: e.case.externalId,
    followUpId: e.followUpId,
    reason: e.reason,
    severity: e.severity,
    level: e.level,
    status: e.status,
    ownerId: e.ownerId,
    ownerName: e.owner.name,
    summary: e.summary,
    deadlineAt: e.deadlineAt,
    createdAt: e.createdAt,
    note: e.note,
    breachedAt: e.breachedAt,
    secondFollowUpId: e.secondFollowUpId,
    secondFollowUpStatus,
    customerName: e.case.customer.name,
    customerPhone: e.case.customer.phoneMasked,
    version: e.version,
  };
}

function toCustomerRow(c: Prisma.CustomerGetPayload<{ include: { _count: { select: { cases: true } } } }>): CustomerRow {
  return {
    id: c.id,
    externalId: c.externalId,
    name: c.name,
    salutation: c.salutation,
    phone: c.phoneMasked,
    hasWechat: c.wechatOpenId !== null,
    consentSurvey: c.consentSurvey,
    consentMarketing: c.consentMarketing,
    optedOutAt: c.optedOutAt,
    optOutSource: c.optOutSource,
    phoneInvalidAt: c.phoneInvalidAt,
    deceasedAt: c.deceasedAt,
    cases: c._count.cases,
  };
}
