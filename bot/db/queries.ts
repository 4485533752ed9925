import type { PrismaClient } from './client.js';
import { parseJson } from './prisma-store.js';

/**
 * Read models for the HTTP API and the sandbox. Customers appear with masked phones only.
 */

export function followUpView(f: {
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
}) {
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

export async function getCaseView(prisma: PrismaClient, id: string) {
  const c = await prisma.case.findUnique({
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

export interface FollowUpFilter {
  status?: string[];
  assigneeId?: string;
  caseId?: string;
  policyId?: string;
  dueBefore?: Date;
  dueAfter?: Date;
  limit: number;
  /** Opaque keyset cursor from a previous page. */
  cursor?: { dueAt: Date; id: string };
}

/** Pages of follow-ups ordered by (dueAt, id), keyset-paginated so deep pages stay cheap. */
export async function listFollowUps(prisma: PrismaClient, filter: FollowUpFilter) {
  const rows = await prisma.followUp.findMany({
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
    nextCursor: rows.length > filter.limit && last ? Buffer.from(`${last.dueAt.toISOString()}|${last.id}`).toString('base64url') : null,
  };
}

export function decodeCursor(cursor: string): { dueAt: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const dueAt = new Date(at ?? '');
  if (!id || Number.isNaN(dueAt.getTime())) return null;
  return { dueAt, id };
}

/** What the sandbox page shows: each staff member's WeCom inbox and each customer's phone. */
export async function getSandboxState(prisma: PrismaClient, options: { perInbox?: number } = {}) {
  const perInbox = options.perInbox ?? 30;
  const [staff, customers, deliveries] = await Promise.all([
    prisma.staff.findMany({ where: { active: true }, include: { department: { select: { name: true } } }, orderBy: { name: 'asc' } }),
    prisma.customer.findMany({ where: { phoneE164: { not: null } }, orderBy: { name: 'asc' }, take: 200 }),
    prisma.sandboxDelivery.findMany({ orderBy: { deliveredAt: 'desc' }, take: 1000 }),
  ]);
  const byAddress = new Map<string, typeof deliveries>();
  for (const d of deliveries) {
    const key = `${d.channel}:${d.address}`;
    const list = byAddress.get(key) ?? [];
    if (list.length < perInbox) list.push(d);
    byAddress.set(key, list);
  }
  const view = (d: (typeof deliveries)[number]) => ({ id: d.id, kind: d.kind, deliveredAt: d.deliveredAt.toISOString(), content: JSON.parse(d.content) as unknown });
  return {
    staff: staff.map((s) => ({
      wecomUserId: s.wecomUserId,
      name: s.name,
      department: s.department.name,
      roles: s.roles,
      messages: (byAddress.get(`wecom:${s.wecomUserId}`) ?? []).map(view),
    })),
    customers: customers.map((c) => ({
      id: c.id,
      name: c.name,
      phone: c.phoneMasked,
      optedOut: c.optedOutAt !== null,
      messages: (byAddress.get(`sms:${c.phoneE164}`) ?? []).map((d) => {
        const v = view(d);
        return { ...v, content: maskSandboxContent(v.content) };
      }),
    })),
  };
}

/** Sandbox pages never show the full phone number the SMS was addressed to. */
function maskSandboxContent(content: unknown): unknown {
  if (content && typeof content === 'object' && 'to' in content) {
    const { to, ...rest } = content as { to: Record<string, unknown> };
    const { phoneE164: _phone, ...toRest } = to;
    return { ...rest, to: toRest };
  }
  return content;
}
