/**
 * Records from rows read by fixed SQL (bot/db/fixed-sql.ts), where the driver adapters give columns as the
 * database holds them: a DateTime as a `Date` or ISO text (PostgreSQL's with `+00:00`), a Boolean as
 * `true`/`false` (PostgreSQL) or `1`/`0` (SQLite). Each column list names exactly what its record takes.
 */
import type { CustomerRecord, SurveyRecord } from '../core/records.js';

/** A DateTime column's value, or null. */
export function sqlDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(value as string | number | Date);
}

/** A Boolean column's value. */
export function sqlBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === '1' || value === 'true';
}

/** The columns {@link customerFromSql} reads, for a `SELECT` from "Customer". */
export const CUSTOMER_COLUMNS = ['id', 'externalId', 'name', 'salutation', 'phoneE164', 'phoneMasked', 'wechatOpenId', 'consentSurvey', 'consentMarketing', 'optedOutAt', 'deceasedAt', 'phoneInvalidAt', 'wecomExternalId', 'wecomFollowUserId']
  .map((c) => `"${c}"`)
  .join(', ');

/** As `toCustomerRecord` (bot/db/rows.ts) gives it from a query-API row. */
export function customerFromSql(row: Record<string, unknown>): CustomerRecord {
  const text = (name: string) => (row[name] === null || row[name] === undefined ? null : String(row[name]));
  return {
    id: String(row.id),
    externalId: text('externalId'),
    name: String(row.name),
    salutation: text('salutation'),
    phoneE164: text('phoneE164'),
    phoneMasked: text('phoneMasked'),
    wechatOpenId: text('wechatOpenId'),
    consentSurvey: sqlBoolean(row.consentSurvey),
    consentMarketing: sqlBoolean(row.consentMarketing),
    optedOutAt: sqlDate(row.optedOutAt),
    deceasedAt: sqlDate(row.deceasedAt),
    phoneInvalidAt: sqlDate(row.phoneInvalidAt),
    wecomExternalId: text('wecomExternalId'),
    wecomFollowUserId: text('wecomFollowUserId'),
  };
}

/** The columns {@link surveyFromSql} reads, for a `SELECT` from "SurveyInstance". */
export const SURVEY_COLUMNS = '"id", "followUpId", "customerId", "surveyKey", "status", "expiresAt"';

/** As `toSurveyRecord` (bot/db/rows.ts) gives it from a query-API row. */
export function surveyFromSql(row: Record<string, unknown>): SurveyRecord {
  return {
    id: String(row.id),
    followUpId: row.followUpId === null || row.followUpId === undefined ? null : String(row.followUpId),
    customerId: String(row.customerId),
    surveyKey: String(row.surveyKey),
    status: String(row.status) as SurveyRecord['status'],
    expiresAt: sqlDate(row.expiresAt)!,
  };
}
