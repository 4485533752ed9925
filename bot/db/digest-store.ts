import type { PrismaClient } from './client.js';
import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { PolicyRegistry } from '../core/ports/policies.js';
import { findStep } from '../core/policies/find-step.js';
import type { DigestRecipient, DigestStore } from '../core/ports/digests.js';
import { listManagerRecipients, ManagerMessageOutbox } from './manager-messages.js';
import type { StoreContext } from './store-context.js';
import {
  BECOMING_OVERDUE_HOURS,
  DIGEST_EVIDENCE_LIMIT,
  summariseTallies,
  type DigestEscalationRow,
  type DigestFollowUpRow,
  type DigestFollowUpTally,
  type DigestInput,
  type FollowUpTally,
} from '../core/digests/build-digest.js';
import { fixedSql } from './fixed-sql.js';
import { caseDepartmentIn, CLOSED_ON_TIME_SQL, tallyOfRow, type TallyRow } from './follow-up-tallies.js';

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
 * - follow-ups due in the period (deadline in range, any status but SKIPPED), counted; follow-ups
 *   still OVERDUE from before it (backlog), counted; open staff tasks whose deadline lies within 72 h of
 *   `asOf`, as rows;
 * - escalations open now (OPEN/ACKNOWLEDGED), by the `(status, deadlineAt)` index;
 * - the previous period's satisfaction rate (the period of the same length just before `from`).
 *
 * Follow-ups belong to the subtree through their case's department. Each follow-up query is a range
 * on `deadlineAt` under an explicit status list, so it is served by the `(status, deadlineAt)` index,
 * and the department condition by the `(departmentId, occurredAt)` index of `Case`; the cost follows
 * the period's rows, not the table size. Customers appear masked (王女士·尾号0001) only.
 */
export async function loadDigestInput(db: Pick<StoreContext, 'prisma' | 'capabilities'>, scope: DigestScope, options: DigestDataOptions): Promise<DigestInput> {
  return (await loadDigestInputs(db, [scope], options))[0]!;
}

const customerSelect = { name: true, salutation: true, phoneMasked: true } as const;

/**
 * `loadDigestInput` for many scopes at once, with the same queries run once for the union of their
 * subtrees instead of once per scope: the follow-ups due, the overdue backlog and the previous period's
 * outcomes are counted in the database per department (`GROUP BY`), and each department's counts go to every
 * scope whose subtree holds it (a ward's to the ward head, the hospital director, …); only the open staff
 * tasks near their deadline and the open escalations, which the digest lists, are read as rows. The result,
 * in the scopes' order, equals what `loadDigestInput` returns for each (the weekly digest of a thousand
 * managers is a handful of statements, not seven per manager), and its size follows the departments, not the
 * follow-ups of the week.
 */
export async function loadDigestInputs(db: Pick<StoreContext, 'prisma' | 'capabilities'>, scopes: readonly DigestScope[], options: DigestDataOptions): Promise<DigestInput[]> {
  if (scopes.length === 0) return [];
  const { prisma, capabilities } = db;
  const sql = fixedSql(db);
  const { from, to, asOf } = options;
  const all = await prisma.department.findMany({ select: { id: true, name: true, path: true }, orderBy: { path: 'asc' } });
  const byId = new Map(all.map((d) => [d.id, d]));
  // Which scopes (by index) cover each department.
  const coveredBy = new Map<string, number[]>();
  const subtrees = scopes.map((scope, index) => {
    const root = byId.get(scope.rootDepartmentId);
    if (!root) throw new Error(`No department ${scope.rootDepartmentId} for the digest of ${scope.managerName}`);
    const departments = all.filter((d) => d.path.startsWith(root.path));
    for (const d of departments) coveredBy.set(d.id, [...(coveredBy.get(d.id) ?? []), index]);
    return departments;
  });
  const covered = [...coveredBy.keys()];
  const { text: inCovered, params: coveredParams } = caseDepartmentIn(capabilities, covered);
  const previousFrom = new Date(from.getTime() - (to.getTime() - from.getTime()));
  const horizon = new Date(asOf.getTime() + BECOMING_OVERDUE_HOURS * 3_600_000);

  const [due, backlog, upcoming, previous, escalations] = await Promise.all([
    sql.query<TallyRow & { departmentId: string; assigneeName: string | null }>(
      `SELECT c."departmentId", s."name" AS "assigneeName", f."action", f."status", f."outcome", ${CLOSED_ON_TIME_SQL} AS "closedOnTime", CAST(COUNT(*) AS INTEGER) AS "count" ` +
        `FROM "FollowUp" AS f JOIN "Case" AS c ON c."id" = f."caseId" LEFT JOIN "Staff" AS s ON s."id" = f."assigneeId" ` +
        `WHERE f."status" IN (${DUE_STATUSES.map(() => '?').join(', ')}) AND f."deadlineAt" >= ? AND f."deadlineAt" < ? AND ${inCovered} ` +
        `GROUP BY c."departmentId", s."name", f."action", f."status", f."outcome", ${CLOSED_ON_TIME_SQL}`,
      [...DUE_STATUSES, from, to, ...coveredParams],
    ),
    sql.query<{ departmentId: string; count: number }>(
      `SELECT c."departmentId", CAST(COUNT(*) AS INTEGER) AS "count" FROM "FollowUp" AS f JOIN "Case" AS c ON c."id" = f."caseId" ` +
        `WHERE f."status" = 'OVERDUE' AND f."deadlineAt" < ? AND ${inCovered} GROUP BY c."departmentId"`,
      [from, ...coveredParams],
    ),
    prisma.followUp.findMany({
      where: { status: { in: ['SCHEDULED', 'ACTIVE'] }, action: 'STAFF_TASK', deadlineAt: { gte: asOf, lt: horizon }, case: { departmentId: { not: null } } },
      select: {
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
        case: { select: { departmentId: true, department: { select: { name: true } }, customer: { select: customerSelect } } },
      },
    }),
    // Only done follow-ups carry a satisfaction value.
    sql.query<{ departmentId: string; outcome: string | null; count: number }>(
      `SELECT c."departmentId", f."outcome", CAST(COUNT(*) AS INTEGER) AS "count" FROM "FollowUp" AS f JOIN "Case" AS c ON c."id" = f."caseId" ` +
        `WHERE f."status" = 'DONE' AND f."deadlineAt" >= ? AND f."deadlineAt" < ? AND ${inCovered} GROUP BY c."departmentId", f."outcome"`,
      [previousFrom, from, ...coveredParams],
    ),
    prisma.escalation.findMany({
      where: { status: { in: OPEN_ESCALATION_STATUSES }, case: { departmentId: { not: null } } },
      select: {
        id: true,
        reason: true,
        level: true,
        createdAt: true,
        deadlineAt: true,
        owner: { select: { name: true } },
        case: { select: { departmentId: true, customer: { select: customerSelect } } },
        // The reports of the incident, for the escalation's line (served by the (escalationId, at) index).
        evidence: { select: { source: true, at: true, note: true }, orderBy: [{ at: 'asc' }, { id: 'asc' }], take: DIGEST_EVIDENCE_LIMIT },
        _count: { select: { evidence: true } },
      },
    }),
  ]);
  const scopesOf = (departmentId: string | null) => (departmentId === null ? [] : (coveredBy.get(departmentId) ?? []));

  const dueTallies = scopes.map(() => [] as DigestFollowUpTally[]);
  for (const t of due) {
    const tally: DigestFollowUpTally = {
      ...tallyOfRow(t),
      assigneeName: t.assigneeName,
      departmentName: byId.get(t.departmentId)?.name ?? '—',
    };
    for (const i of scopesOf(t.departmentId)) dueTallies[i]!.push(tally);
  }
  const overdueBacklog = scopes.map(() => 0);
  for (const b of backlog) for (const i of scopesOf(b.departmentId)) overdueBacklog[i]! += Number(b.count);
  const upcomingRows = scopes.map(() => [] as DigestFollowUpRow[]);
  for (const f of upcoming) {
    const row: DigestFollowUpRow = {
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
    };
    for (const i of scopesOf(f.case.departmentId)) upcomingRows[i]!.push(row);
  }
  const openEscalations = scopes.map(() => [] as DigestEscalationRow[]);
  for (const e of escalations) {
    const row: DigestEscalationRow = {
      id: e.id,
      customer: customerLabel(e.case.customer),
      reason: e.reason,
      ownerName: e.owner.name,
      level: e.level,
      createdAt: e.createdAt,
      deadlineAt: e.deadlineAt,
      evidence: e.evidence,
      evidenceCount: e._count.evidence,
    };
    for (const i of scopesOf(e.case.departmentId)) openEscalations[i]!.push(row);
  }
  const previousTallies = scopes.map(() => [] as FollowUpTally[]);
  for (const p of previous) {
    const tally: FollowUpTally = { status: 'DONE', outcome: p.outcome as FollowUpOutcome | null, action: 'CUSTOMER_SURVEY', closedOnTime: false, count: Number(p.count) };
    for (const i of scopesOf(p.departmentId)) previousTallies[i]!.push(tally);
  }
  return scopes.map((scope, i) => ({
    manager: { name: scope.managerName },
    period: { from, to, timeZone: options.timeZone },
    asOf,
    departments: subtrees[i]!.map((d) => d.name),
    due: dueTallies[i]!,
    overdueBacklog: overdueBacklog[i]!,
    upcoming: upcomingRows[i]!,
    openEscalations: openEscalations[i]!,
    previousSatisfactionRate: summariseTallies(previousTallies[i]!).satisfactionRate,
  }));
}

/** `王女士·尾号0001`: the salutation (or the family name) and the last four digits — never the full number. */
function customerLabel(c: { name: string; salutation: string | null; phoneMasked: string | null }): string {
  const who = c.salutation ?? `${c.name.slice(0, 1)}**`;
  const digits = c.phoneMasked?.replace(/\D/g, '').slice(-4);
  return digits ? `${who}·尾号${digits}` : who;
}

/** Title of a follow-up's policy step (出院电话回访 …), or undefined when the pack no longer has it. */
export function stepTitleFrom(policies: PolicyRegistry): (policyId: string, step: string) => string | undefined {
  return (policyId, step) => findStep(policies.byId(policyId), step)?.title;
}

/** `DigestStore` over Prisma. */
export class PrismaDigestStore extends ManagerMessageOutbox implements DigestStore {
  constructor(
    db: StoreContext,
    private readonly policies: PolicyRegistry,
  ) {
    super(db);
  }

  listDigestRecipients(): Promise<DigestRecipient[]> {
    return listManagerRecipients(this.db.prisma);
  }

  loadDigestInput(recipient: DigestRecipient, options: { from: Date; to: Date; asOf: Date; timeZone: string }): Promise<DigestInput> {
    return loadDigestInput(
      this.db,
      { managerName: recipient.name, rootDepartmentId: recipient.rootDepartmentId },
      { ...options, stepTitle: stepTitleFrom(this.policies) },
    );
  }

  loadDigestInputs(recipients: readonly DigestRecipient[], options: { from: Date; to: Date; asOf: Date; timeZone: string }): Promise<DigestInput[]> {
    return loadDigestInputs(
      this.db,
      recipients.map((r) => ({ managerName: r.name, rootDepartmentId: r.rootDepartmentId })),
      { ...options, stepTitle: stepTitleFrom(this.policies) },
    );
  }

}
