/**
 * Records from rows read by fixed SQL (bot/db/fixed-sql.ts), where the driver adapters give columns as the
 * database holds them: a DateTime as a `Date` or ISO text (PostgreSQL's with `+00:00`), a Boolean as
 * `true`/`false` (PostgreSQL) or `1`/`0` (SQLite). Each column list names exactly what its record takes.
 */
import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { CaseRecord, CustomerRecord, EscalationRecord, SurveyRecord } from '../core/records.js';
import { toCaseRecord } from './rows.js';

/** A DateTime column's value, or null. */
export function sqlDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : value instanceof Date ? value : new Date(value as string | number);
}

/** A Boolean column's value. */
export function sqlBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === '1' || value === 't' || value === 'true';
}

/** A text column's value. */
export function sqlText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/** A nullable text column's value. */
export function sqlTextOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : sqlText(value);
}

/** Column names quoted for a select list. */
function columnList(columns: readonly string[]): string {
  return columns.map((c) => `"${c}"`).join(', ');
}

/** The columns {@link customerFromSql} reads, for a `SELECT` from "Customer". */
export const CUSTOMER_COLUMNS = columnList(['id', 'externalId', 'name', 'salutation', 'phoneE164', 'phoneMasked', 'wechatOpenId', 'consentSurvey', 'consentMarketing', 'optedOutAt', 'deceasedAt', 'phoneInvalidAt', 'wecomExternalId', 'wecomFollowUserId']);

/** As `toCustomerRecord` (bot/db/rows.ts) gives it from a query-API row. */
export function customerFromSql(row: Record<string, unknown>): CustomerRecord {
  return {
    id: String(row.id),
    externalId: sqlTextOrNull(row.externalId),
    name: String(row.name),
    salutation: sqlTextOrNull(row.salutation),
    phoneE164: sqlTextOrNull(row.phoneE164),
    phoneMasked: sqlTextOrNull(row.phoneMasked),
    wechatOpenId: sqlTextOrNull(row.wechatOpenId),
    consentSurvey: sqlBoolean(row.consentSurvey),
    consentMarketing: sqlBoolean(row.consentMarketing),
    optedOutAt: sqlDate(row.optedOutAt),
    deceasedAt: sqlDate(row.deceasedAt),
    phoneInvalidAt: sqlDate(row.phoneInvalidAt),
    wecomExternalId: sqlTextOrNull(row.wecomExternalId),
    wecomFollowUserId: sqlTextOrNull(row.wecomFollowUserId),
  };
}

/** The columns {@link surveyFromSql} reads, for a `SELECT` from "SurveyInstance". */
export const SURVEY_COLUMNS = '"id", "followUpId", "customerId", "surveyKey", "status", "expiresAt"';

/** As `toSurveyRecord` (bot/db/rows.ts) gives it from a query-API row. */
export function surveyFromSql(row: Record<string, unknown>): SurveyRecord {
  return {
    id: String(row.id),
    followUpId: sqlTextOrNull(row.followUpId),
    customerId: String(row.customerId),
    surveyKey: String(row.surveyKey),
    status: String(row.status) as SurveyRecord['status'],
    expiresAt: sqlDate(row.expiresAt)!,
  };
}

/** Every scalar field of "Case", for a `SELECT` that {@link caseFromSql} reads (the `satisfies` fails to compile when the model changes); also the case columns of bot/db/follow-up-context-sql.ts. */
export const CASE_FIELDS = {
  id: 'text',
  type: 'text',
  externalId: 'text',
  policyId: 'text',
  customerId: 'text',
  departmentId: 'text',
  responsibleStaffId: 'text',
  attributes: 'text',
  milestones: 'text',
  status: 'text',
  occurredAt: 'date',
  closedAt: 'date',
  createdAt: 'date',
  updatedAt: 'date',
} as const satisfies Record<keyof Prisma.CaseGetPayload<object>, 'text' | 'date'>;

/** The columns {@link caseFromSql} reads, for a `SELECT` from "Case". */
export const CASE_COLUMNS = columnList(Object.keys(CASE_FIELDS));

/** As `toCaseRecord` (bot/db/rows.ts) gives it from a query-API row. */
export function caseFromSql(row: Record<string, unknown>): CaseRecord {
  const fields: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(CASE_FIELDS)) {
    const value = row[name];
    fields[name] = value === null || value === undefined ? null : kind === 'date' ? sqlDate(value) : String(value);
  }
  // Every field of the model is set above (the list is checked against the model).
  return toCaseRecord(fields as Prisma.CaseGetPayload<object>);
}

/** The columns {@link escalationFromSql} reads, for a `SELECT` from "Escalation". */
export const ESCALATION_COLUMNS = columnList([
  'id', 'sourceKey', 'caseId', 'followUpId', 'reason', 'severity', 'level', 'ownerId', 'status', 'summary', 'deadlineAt', 'note', 'acknowledgedAt',
  'acknowledgedById', 'resolvedAt', 'resolvedById', 'secondFollowUpId', 'closedAt', 'incidentKey', 'breachedAt', 'version', 'createdAt',
]);

/** As `toEscalationRecord` (bot/db/rows.ts) gives it from a query-API row. */
export function escalationFromSql(row: Record<string, unknown>): EscalationRecord {
  return {
    id: String(row.id),
    sourceKey: String(row.sourceKey),
    caseId: String(row.caseId),
    followUpId: sqlTextOrNull(row.followUpId),
    reason: String(row.reason),
    severity: String(row.severity),
    level: Number(row.level),
    ownerId: String(row.ownerId),
    status: String(row.status) as EscalationRecord['status'],
    summary: String(row.summary),
    deadlineAt: sqlDate(row.deadlineAt)!,
    note: sqlTextOrNull(row.note),
    acknowledgedAt: sqlDate(row.acknowledgedAt),
    acknowledgedById: sqlTextOrNull(row.acknowledgedById),
    resolvedAt: sqlDate(row.resolvedAt),
    resolvedById: sqlTextOrNull(row.resolvedById),
    secondFollowUpId: sqlTextOrNull(row.secondFollowUpId),
    closedAt: sqlDate(row.closedAt),
    incidentKey: sqlTextOrNull(row.incidentKey),
    breachedAt: sqlDate(row.breachedAt),
    version: Number(row.version),
    createdAt: sqlDate(row.createdAt)!,
  };
}
