import { encodeFollowUpCursor, type CaseView, type CaseViews, type FollowUpFilter, type FollowUpView } from '../core/ports/read-models.js';
import type { StoreContext } from './store-context.js';
import { parseJson } from './rows.js';

function followUpView(f: {
  id: string;
  caseId: string;
  policyId: string;
  step: string;
  sequence: number;
  action: string;
  channel: string;
  status: string;
  assigneeId: string | null;
  assigneeRule: string | null;
  earliestAt: Date;
  dueAt: Date;
  deadlineAt: Date;
  attempts: number;
  maxAttempts: number;
  sampling: string;
  outcome: string | null;
  outcomeNote: string | null;
  completedAt: Date | null;
  assignee?: { name: string; wecomUserId: string } | null;
}): FollowUpView {
  return {
    id: f.id,
    caseId: f.caseId,
    policyId: f.policyId,
    step: f.step,
    sequence: f.sequence,
    action: f.action,
    channel: f.channel,
    status: f.status,
    assignee: f.assigneeId ? { id: f.assigneeId, name: f.assignee?.name ?? null, wecomUserId: f.assignee?.wecomUserId ?? null, rule: f.assigneeRule } : null,
    earliestAt: f.earliestAt.toISOString(),
    dueAt: f.dueAt.toISOString(),
    deadlineAt: f.deadlineAt.toISOString(),
    attempts: f.attempts,
    maxAttempts: f.maxAttempts,
    sampling: parseJson(f.sampling, {}),
    outcome: f.outcome,
    outcomeNote: f.outcomeNote,
    completedAt: f.completedAt?.toISOString() ?? null,
  };
}

/** `CaseViews` over Prisma. */
export class PrismaCaseViews implements CaseViews {
  constructor(private readonly db: StoreContext) {}

  async caseView(id: string): Promise<CaseView | null> {
    const c = await this.db.prisma.case.findUnique({
      where: { id },
      include: {
        customer: true,
        department: { select: { code: true, name: true } },
        responsibleStaff: { select: { name: true, wecomUserId: true } },
        followUps: { orderBy: { sequence: 'asc' }, include: { assignee: { select: { name: true, wecomUserId: true } } } },
      },
    });
    if (!c) return null;
    return {
      id: c.id,
      type: c.type,
      externalId: c.externalId,
      policyId: c.policyId,
      status: c.status,
      occurredAt: c.occurredAt.toISOString(),
      closedAt: c.closedAt?.toISOString() ?? null,
      department: c.department,
      responsibleStaff: c.responsibleStaff,
      attributes: parseJson(c.attributes, {}),
      milestones: parseJson(c.milestones, {}),
      customer: {
        id: c.customer.id,
        externalId: c.customer.externalId,
        name: c.customer.name,
        phone: c.customer.phoneMasked,
        optedOut: c.customer.optedOutAt !== null,
      },
      followUps: c.followUps.map(followUpView),
      createdAt: c.createdAt.toISOString(),
    };
  }

  async listFollowUps(filter: FollowUpFilter): Promise<{ items: FollowUpView[]; nextCursor: string | null }> {
    const rows = await this.db.prisma.followUp.findMany({
      where: {
        ...(filter.status ? { status: { in: filter.status } } : {}),
        ...(filter.assigneeId ? { assigneeId: filter.assigneeId } : {}),
        ...(filter.caseId ? { caseId: filter.caseId } : {}),
        ...(filter.policyId ? { policyId: filter.policyId } : {}),
        ...(filter.dueBefore || filter.dueAfter ? { dueAt: { ...(filter.dueBefore ? { lt: filter.dueBefore } : {}), ...(filter.dueAfter ? { gte: filter.dueAfter } : {}) } } : {}),
        ...(filter.cursor ? { OR: [{ dueAt: { gt: filter.cursor.dueAt } }, { dueAt: filter.cursor.dueAt, id: { gt: filter.cursor.id } }] } : {}),
      },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: filter.limit + 1,
      include: { assignee: { select: { name: true, wecomUserId: true } } },
    });
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(followUpView),
      nextCursor: rows.length > filter.limit && last ? encodeFollowUpCursor(last) : null,
    };
  }
}
