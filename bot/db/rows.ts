/**
 * Row mappers: Prisma rows to the records the ports speak, and the JSON-in-a-string columns both
 * databases share (the schema stays portable, so no native JSON type).
 */
import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { CaseRecord, CustomerRecord, EscalationRecord, FollowUpContext, FollowUpRecord, SurveyRecord } from '../core/records.js';
import type { CaseStatus, ChannelName, FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';

type FollowUpRow = Prisma.FollowUpGetPayload<object>;
type CaseRow = Prisma.CaseGetPayload<object>;
type CustomerRow = Prisma.CustomerGetPayload<object>;
type EscalationRow = Prisma.EscalationGetPayload<object>;
type SurveyRow = Prisma.SurveyInstanceGetPayload<object>;

/** Prisma's unique-constraint violation, as both adapters report it. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, meta } = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  // Raw statements ($executeRawUnsafe) report it as P2010 with the adapter's error kind.
  return code === 'P2002' || (code === 'P2010' && meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation');
}

/** A value for a JSON text column (`{}` for null or undefined). */
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
    optedOutAt: row.optedOutAt,
    deceasedAt: row.deceasedAt,
    phoneInvalidAt: row.phoneInvalidAt,
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
    occurredAt: row.occurredAt,
    closedAt: row.closedAt,
    departmentId: row.departmentId,
    responsibleStaffId: row.responsibleStaffId,
    attributes: parseJson<Record<string, unknown>>(row.attributes, {}),
    milestones: Object.fromEntries(Object.entries(milestones).map(([k, v]) => [k, new Date(v)])),
    status: row.status as CaseStatus,
    createdAt: row.createdAt,
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
    earliestAt: row.earliestAt,
    dueAt: row.dueAt,
    deadlineAt: row.deadlineAt,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    activations: row.activations,
    deferrals: row.deferrals,
    outcome: row.outcome as FollowUpOutcome | null,
    outcomeNote: row.outcomeNote,
    completedAt: row.completedAt,
    version: row.version,
  };
}

/** A follow-up row read with `include: { case: true, customer: true }`. */
export function toFollowUpContext(row: FollowUpRow & { case: CaseRow; customer: CustomerRow }): FollowUpContext {
  return { followUp: toFollowUpRecord(row), case: toCaseRecord(row.case), customer: toCustomerRecord(row.customer) };
}

export function toSurveyRecord(row: SurveyRow): SurveyRecord {
  return { id: row.id, followUpId: row.followUpId, customerId: row.customerId, surveyKey: row.surveyKey, status: row.status as SurveyRecord['status'], expiresAt: row.expiresAt };
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
    deadlineAt: row.deadlineAt,
    note: row.note,
    acknowledgedAt: row.acknowledgedAt,
    acknowledgedById: row.acknowledgedById,
    resolvedAt: row.resolvedAt,
    resolvedById: row.resolvedById,
    secondFollowUpId: row.secondFollowUpId,
    closedAt: row.closedAt,
    incidentKey: row.incidentKey,
    breachedAt: row.breachedAt,
    version: row.version,
    createdAt: row.createdAt,
  };
}
