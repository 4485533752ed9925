import type { PrismaClient } from './client.js';
import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { NewOutboxMessage, OutboxStore, PolicyRegistry } from '../core/ports.js';
import { findStep } from '../core/policies/find-step.js';
import { MANAGER_ROLES, type DigestRecipient, type DigestStore } from '../core/digests/send-weekly-digests.js';
import { isUniqueViolation } from './prisma-store.js';
import {
  BECOMING_OVERDUE_HOURS,
  summariseFollowUps,
  type DigestEscalationRow,
  type DigestFollowUpRow,
  type DigestInput,
} from '../core/digests/build-digest.js';

/** Every status a due follow-up can have (all but SKIPPED): lets the queries lead with the status index. */
const DUE_STATUSES: readonly FollowUpStatus[] = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED'];
const OPEN_ESCALATION_STATUSES = ['OPEN', 'ACKNOWLEDGED'];

export interface DigestDataOptions {
  /** Period start (inclusive). */
  from: Date;
  /** Period end (exclusive). */
  to: Date;
  /** The instant the digest describes; statuses are read as they are now, so pass the build time. */
  asOf: Date;
  /** Business timezone, copied into the digest for rendering. */
  timeZone: string;
  /** Step titles (出院电话回访 …) by policy id and step key; the key is shown when absent. */
  stepTitle?: (policyId: string, step: string) => string | undefined;
}

/** The manager whose subtree a digest covers. */
export interface DigestScope {
  managerName: string;
  /** The department the manager heads; the digest covers it and every department below it. */
  rootDepartmentId: string;
}

/**
 * The department a staff member heads, as a digest scope; null when they head none (a digest goes
 * only to department heads). `Department.headId` is unique, so there is at most one.
 */
export async function findDigestScope(prisma: PrismaClient, wecomUserId: string): Promise<DigestScope | null> {
  const staff = await prisma.staff.findUnique({ where: { wecomUserId }, select: { name: true, headOf: { select: { id: true } } } });
  if (!staff?.headOf) return null;
  return { managerName: staff.name, rootDepartmentId: staff.headOf.id };
}

/**
 * Loads what `buildDigest` needs for the department subtree under `scope.rootDepartmentId`
 * (`Department.path` prefix) and the period `[from, to)`:
 *
 * - follow-ups due in the period (deadline in range, any status but SKIPPED), follow-ups still
 *   OVERDUE from before it (backlog), and open staff tasks whose deadline lies within 72 h of `asOf`;
 * - escalations open now (OPEN/ACKNOWLEDGED), by the `(status, deadlineAt)` index;
 * - the previous period's satisfaction rate (the period of the same length just before `from`).
 *
 * Follow-ups belong to the subtree through their case's department. Each follow-up query is a range
 * on `deadlineAt` under an explicit status list, so it is served by the `(status, deadlineAt)` index,
 * and the department condition by the `(departmentId, occurredAt)` index of `Case`; the cost follows
 * the period's rows, not the table size. Customers appear masked (王女士·尾号0001) only.
 */
export async function loadDigestInput(prisma: PrismaClient, scope: DigestScope, options: DigestDataOptions): Promise<DigestInput> {
  const { from, to, asOf } = options;
  const root = await prisma.department.findUniqueOrThrow({ where: { id: scope.rootDepartmentId }, select: { path: true } });
  // The department table is small (one row per ward / service centre); the prefix match uses the path index where the collation allows.
  const departments = await prisma.department.findMany({ where: { path: { startsWith: root.path } }, select: { id: true, name: true }, orderBy: { path: 'asc' } });
  const inSubtree = { departmentId: { in: departments.map((d) => d.id) } };

  const followUpSelect = {
    id: true,
    status: true,
    outcome: true,
    action: true,
    dueAt: true,
    deadlineAt: true,
    completedAt: true,
    policyId: true,
    step: true,
    assignee: { select: { name: true } },
    case: { select: { department: { select: { name: true } }, customer: { select: customerSelect } } },
  } as const;
  const previousFrom = new Date(from.getTime() - (to.getTime() - from.getTime()));
  const horizon = new Date(asOf.getTime() + BECOMING_OVERDUE_HOURS * 3_600_000);

  const [due, backlog, upcoming, previous, escalations] = await Promise.all([
    prisma.followUp.findMany({
      where: { status: { in: [...DUE_STATUSES] }, deadlineAt: { gte: from, lt: to }, case: inSubtree },
      select: followUpSelect,
    }),
    prisma.followUp.findMany({
      where: { status: 'OVERDUE', deadlineAt: { lt: from }, case: inSubtree },
      select: followUpSelect,
    }),
    prisma.followUp.findMany({
      where: { status: { in: ['SCHEDULED', 'ACTIVE'] }, action: 'STAFF_TASK', deadlineAt: { gte: asOf, lt: horizon }, case: inSubtree },
      select: followUpSelect,
    }),
    // Only done follow-ups carry a satisfaction value.
    prisma.followUp.findMany({
      where: { status: 'DONE', deadlineAt: { gte: previousFrom, lt: from }, case: inSubtree },
      select: { status: true, outcome: true, action: true, deadlineAt: true, completedAt: true },
    }),
    prisma.escalation.findMany({
      where: { status: { in: OPEN_ESCALATION_STATUSES }, case: inSubtree },
      select: { id: true, reason: true, level: true, createdAt: true, deadlineAt: true, owner: { select: { name: true } }, case: { select: { customer: { select: customerSelect } } } },
    }),
  ]);

  const seen = new Set<string>();
  const followUps: DigestFollowUpRow[] = [];
  for (const f of [...due, ...backlog, ...upcoming]) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    followUps.push({
      id: f.id,
      status: f.status as FollowUpStatus,
      outcome: f.outcome as FollowUpOutcome | null,
      action: f.action as FollowUpAction,
      assigneeName: f.assignee?.name ?? null,
      departmentName: f.case.department?.name ?? '—',
      dueAt: f.dueAt,
      deadlineAt: f.deadlineAt,
      completedAt: f.completedAt,
      title: options.stepTitle?.(f.policyId, f.step) ?? f.step,
      customer: customerLabel(f.case.customer),
    });
  }
  const openEscalations: DigestEscalationRow[] = escalations.map((e) => ({
    id: e.id,
    customer: customerLabel(e.case.customer),
    reason: e.reason,
    ownerName: e.owner.name,
    level: e.level,
    createdAt: e.createdAt,
    deadlineAt: e.deadlineAt,
  }));
  const previousFigures = summariseFollowUps(
    previous.map((p) => ({ status: p.status as FollowUpStatus, outcome: p.outcome as FollowUpOutcome | null, action: p.action as FollowUpAction, deadlineAt: p.deadlineAt, completedAt: p.completedAt })),
  );
  return {
    manager: { name: scope.managerName },
    period: { from, to, timeZone: options.timeZone },
    asOf,
    departments: departments.map((d) => d.name),
    followUps,
    openEscalations,
    previousSatisfactionRate: previousFigures.satisfactionRate,
  };
}

const customerSelect = { name: true, salutation: true, phoneMasked: true } as const;

/** `王女士·尾号0001`: the salutation (or the family name) and the last four digits — never the full number. */
function customerLabel(c: { name: string; salutation: string | null; phoneMasked: string | null }): string {
  const who = c.salutation ?? `${c.name.slice(0, 1)}**`;
  const digits = c.phoneMasked?.replace(/\D/g, '').slice(-4);
  return digits ? `${who}·尾号${digits}` : who;
}

/**
 * Everyone who receives the weekly digest and the monthly report: active department heads (for the
 * department they head) and active staff holding a role in `MANAGER_ROLES` (for the department they head,
 * else their own department). Ordered by name, then id, so runs are deterministic.
 */
export async function listDigestRecipients(prisma: PrismaClient): Promise<DigestRecipient[]> {
  const [heads, roleHolders] = await Promise.all([
    prisma.department.findMany({
      where: { headId: { not: null }, head: { active: true } },
      select: { id: true, head: { select: { id: true, wecomUserId: true, name: true } } },
    }),
    prisma.staff.findMany({
      where: { active: true, OR: MANAGER_ROLES.map((role) => ({ roles: { contains: role } })) },
      select: { id: true, wecomUserId: true, name: true, roles: true, departmentId: true },
    }),
  ]);
  const byStaff = new Map<string, DigestRecipient>();
  for (const d of heads) {
    if (!d.head) continue;
    byStaff.set(d.head.id, { staffId: d.head.id, wecomUserId: d.head.wecomUserId, name: d.head.name, rootDepartmentId: d.id, basis: 'head' });
  }
  for (const s of roleHolders) {
    // `contains` is a prefilter; the roles field is a comma-separated list of exact names.
    const roles = s.roles.split(',').map((r) => r.trim());
    if (byStaff.has(s.id) || !roles.some((r) => MANAGER_ROLES.includes(r))) continue;
    byStaff.set(s.id, { staffId: s.id, wecomUserId: s.wecomUserId, name: s.name, rootDepartmentId: s.departmentId, basis: 'role' });
  }
  return [...byStaff.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN') || a.staffId.localeCompare(b.staffId));
}

/** Title of a follow-up's policy step (出院电话回访 …), or undefined when the pack no longer has it. */
export function stepTitleFrom(policies: PolicyRegistry): (policyId: string, step: string) => string | undefined {
  return (policyId, step) => findStep(policies.byId(policyId), step)?.title;
}

/**
 * What the digest and report stores share: which manager messages already exist, and enqueueing one
 * exactly once (the outbox key is unique; a replica that inserted it first wins).
 */
export class ManagerMessageOutbox {
  constructor(
    protected readonly prisma: PrismaClient,
    private readonly outbox: Pick<OutboxStore, 'enqueue'>,
  ) {}

  async existingOutboxKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.prisma.outboxMessage.findMany({ where: { idempotencyKey: { in: [...keys] } }, select: { idempotencyKey: true } });
    return new Set(rows.map((r) => r.idempotencyKey));
  }

  async enqueueOnce(message: NewOutboxMessage): Promise<boolean> {
    try {
      return (await this.outbox.enqueue([message])) === 1;
    } catch (error) {
      // Another replica inserted the same key between our check and our insert.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}

/** `DigestStore` over Prisma; outbox rows go through the service's outbox store. */
export class PrismaDigestStore extends ManagerMessageOutbox implements DigestStore {
  constructor(
    prisma: PrismaClient,
    outbox: Pick<OutboxStore, 'enqueue'>,
    private readonly policies: PolicyRegistry,
  ) {
    super(prisma, outbox);
  }

  listDigestRecipients(): Promise<DigestRecipient[]> {
    return listDigestRecipients(this.prisma);
  }

  loadDigestInput(recipient: DigestRecipient, options: { from: Date; to: Date; asOf: Date; timeZone: string }): Promise<DigestInput> {
    return loadDigestInput(
      this.prisma,
      { managerName: recipient.name, rootDepartmentId: recipient.rootDepartmentId },
      { ...options, stepTitle: stepTitleFrom(this.policies) },
    );
  }

}
