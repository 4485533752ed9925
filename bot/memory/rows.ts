/**
 * Memory rows to the records the ports speak (the counterpart of bot/db/rows.ts), and the JSON text
 * columns. Every record is a fresh object with its own Dates: a caller cannot change stored state
 * through it.
 */
import type { CaseRecord, CustomerRecord, EscalationRecord, FollowUpContext, FollowUpRecord, SurveyRecord } from '../core/records.js';
import type { CaseStatus, ChannelName, FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { CaseRow, CustomerRow, EscalationRow, FollowUpRow, MemoryTx, SurveyRow } from './memory-state.js';

/** A value for a JSON text column (`{}` for null or undefined), as the Prisma stores write it. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? {});
}

/** A JSON text column's value, or `fallback` when it is empty or not JSON. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const copy = (d: Date | null): Date | null => (d ? new Date(d.getTime()) : null);

export function toCustomerRecord(row: CustomerRow): CustomerRecord {
  return {
    id: row.id,
    externalId: row.externalId,
    name: row.name,
    salutation: row.salutation,
    phoneE164: row.phoneE164,
    phoneMasked: row.phoneMasked,
    wechatOpenId: row.wechatOpenId,
    consentSurvey: row.consentSurvey,
    consentMarketing: row.consentMarketing,
    optedOutAt: copy(row.optedOutAt),
    deceasedAt: copy(row.deceasedAt),
    phoneInvalidAt: copy(row.phoneInvalidAt),
    wecomExternalId: row.wecomExternalId,
    wecomFollowUserId: row.wecomFollowUserId,
  };
}

export function toCaseRecord(row: CaseRow): CaseRecord {
  const milestones = parseJson<Record<string, string>>(row.milestones, {});
  return {
    id: row.id,
    type: row.type,
    externalId: row.externalId,
    policyId: row.policyId,
    customerId: row.customerId,
    occurredAt: new Date(row.occurredAt.getTime()),
    closedAt: copy(row.closedAt),
    departmentId: row.departmentId,
    responsibleStaffId: row.responsibleStaffId,
    attributes: parseJson<Record<string, unknown>>(row.attributes, {}),
    milestones: Object.fromEntries(Object.entries(milestones).map(([k, v]) => [k, new Date(v)])),
    status: row.status as CaseStatus,
    createdAt: new Date(row.createdAt.getTime()),
  };
}

export function toFollowUpRecord(row: FollowUpRow): FollowUpRecord {
  return {
    id: row.id,
    caseId: row.caseId,
    customerId: row.customerId,
    policyId: row.policyId,
    step: row.step,
    sequence: row.sequence,
    action: row.action as FollowUpAction,
    channel: row.channel as ChannelName,
    status: row.status as FollowUpStatus,
    assigneeId: row.assigneeId,
    assigneeRule: row.assigneeRule,
    earliestAt: new Date(row.earliestAt.getTime()),
    dueAt: new Date(row.dueAt.getTime()),
    deadlineAt: new Date(row.deadlineAt.getTime()),
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    activations: row.activations,
    deferrals: row.deferrals,
    outcome: row.outcome as FollowUpOutcome | null,
    outcomeNote: row.outcomeNote,
    completedAt: copy(row.completedAt),
    version: row.version,
  };
}

/** A follow-up with its case and customer (the `include: { case: true, customer: true }` of the Prisma stores). */
export function toFollowUpContext(tx: MemoryTx, row: FollowUpRow): FollowUpContext {
  return { followUp: toFollowUpRecord(row), case: toCaseRecord(tx.case.get(row.caseId)!), customer: toCustomerRecord(tx.customer.get(row.customerId)!) };
}

export function toSurveyRecord(row: SurveyRow): SurveyRecord {
  return { id: row.id, followUpId: row.followUpId, customerId: row.customerId, surveyKey: row.surveyKey, status: row.status as SurveyRecord['status'], expiresAt: new Date(row.expiresAt.getTime()) };
}

export function toEscalationRecord(row: EscalationRow): EscalationRecord {
  return {
    id: row.id,
    sourceKey: row.sourceKey,
    caseId: row.caseId,
    followUpId: row.followUpId,
    reason: row.reason,
    severity: row.severity,
    level: row.level,
    ownerId: row.ownerId,
    status: row.status as EscalationRecord['status'],
    summary: row.summary,
    deadlineAt: new Date(row.deadlineAt.getTime()),
    note: row.note,
    acknowledgedAt: copy(row.acknowledgedAt),
    acknowledgedById: row.acknowledgedById,
    resolvedAt: copy(row.resolvedAt),
    resolvedById: row.resolvedById,
    secondFollowUpId: row.secondFollowUpId,
    closedAt: copy(row.closedAt),
    incidentKey: row.incidentKey,
    breachedAt: copy(row.breachedAt),
    version: row.version,
    createdAt: new Date(row.createdAt.getTime()),
  };
}

/** Ascending comparison of instants, then ids (the Prisma stores' `orderBy: [{ x: 'asc' }, { id: 'asc' }]`). */
export function byTimeThenId<R extends { id: string }>(time: (row: R) => Date | null): (a: R, b: R) => number {
  return (a, b) => {
    const ta = time(a)?.getTime() ?? Number.POSITIVE_INFINITY;
    const tb = time(b)?.getTime() ?? Number.POSITIVE_INFINITY;
    return ta - tb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  };
}

/** Code-point order of two strings (the databases' order of ids, which are ASCII). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
