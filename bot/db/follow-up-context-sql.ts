/**
 * Follow-ups with their case and customer (the records `include: { case: true, customer: true }` gives through
 * `toFollowUpContext`), in one fixed SELECT on the driver adapter (bot/db/fixed-sql.ts): the activation job loads
 * every claimed batch this way, and the query API would compile and deserialise the three-model read for each batch.
 *
 * Only the columns the records hold are read (the `satisfies` clauses and the checks below fail to compile when a
 * record gains a field or names one its model does not have), as arrays in the order of the select list, and each
 * value is turned into what Prisma returns: the adapters give DateTime columns as ISO text (`…+00:00`), SQLite
 * gives booleans as 0/1 (bot/db/client.ts).
 */
import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { CaseRecord, CustomerRecord, FollowUpContext, FollowUpRecord } from '../core/records.js';
import type { CaseStatus, ChannelName, FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { DbCapabilities } from './client.js';
import type { FixedSqlQueries } from './fixed-sql.js';
import { inTextList } from './json-rows.js';
import { parseJson } from './rows.js';
import { sqlBoolean, sqlDate, sqlText, sqlTextOrNull } from './sql-rows.js';

/** The columns of `alias` read for a record, in the order they are selected. */
type Columns<Record> = readonly (keyof Record & string)[];

/** Compiles only when every field of the record is in the list (and the list names only the model's columns). */
type Complete<Listed, Record, Model> = [Exclude<keyof Record, Listed>] extends [never] ? ([Exclude<Listed, keyof Model>] extends [never] ? true : never) : never;

const FOLLOW_UP = [
  'id', 'caseId', 'customerId', 'policyId', 'step', 'sequence', 'action', 'channel', 'status', 'assigneeId', 'assigneeRule', 'earliestAt',
  'dueAt', 'deadlineAt', 'attempts', 'maxAttempts', 'activations', 'deferrals', 'outcome', 'outcomeNote', 'completedAt', 'version',
] as const satisfies Columns<FollowUpRecord>;
const FOLLOW_UP_COMPLETE: Complete<(typeof FOLLOW_UP)[number], FollowUpRecord, Prisma.FollowUpGetPayload<object>> = true;

const CASE = [
  'id', 'type', 'externalId', 'policyId', 'customerId', 'occurredAt', 'closedAt', 'departmentId', 'responsibleStaffId', 'attributes', 'milestones',
  'status', 'createdAt',
] as const satisfies Columns<CaseRecord>;
const CASE_COMPLETE: Complete<(typeof CASE)[number], CaseRecord, Prisma.CaseGetPayload<object>> = true;

const CUSTOMER = [
  'id', 'externalId', 'name', 'salutation', 'phoneE164', 'phoneMasked', 'wechatOpenId', 'consentSurvey', 'consentMarketing', 'optedOutAt',
  'deceasedAt', 'phoneInvalidAt', 'wecomExternalId', 'wecomFollowUserId',
] as const satisfies Columns<CustomerRecord>;
const CUSTOMER_COMPLETE: Complete<(typeof CUSTOMER)[number], CustomerRecord, Prisma.CustomerGetPayload<object>> = true;
void [FOLLOW_UP_COMPLETE, CASE_COMPLETE, CUSTOMER_COMPLETE];

/** Each column's place in a row of the select list: the follow-up's columns, then the case's, then the customer's. */
function placesOf<const T extends readonly string[]>(columns: T, from: number): { readonly [K in T[number]]: number } {
  return Object.fromEntries(columns.map((column, i) => [column, from + i])) as { [K in T[number]]: number };
}
const F = placesOf(FOLLOW_UP, 0);
const C = placesOf(CASE, FOLLOW_UP.length);
const U = placesOf(CUSTOMER, FOLLOW_UP.length + CASE.length);

// Each column under a name of its own (`f_id`, `c_id` …), so that a runner giving rows as objects keeps them all.
const SELECT_LIST = (
  [
    ['f', FOLLOW_UP],
    ['c', CASE],
    ['u', CUSTOMER],
  ] as const
)
  .flatMap(([alias, columns]) => columns.map((column) => `${alias}."${column}" AS "${alias}_${column}"`))
  .join(', ');

/**
 * Rows of follow-ups read by one statement of {@link selectFollowUpContexts} [100]: a claim of 1,000 read at once made
 * some 4 MB of the driver's row arrays and texts, copied and moved to the old generation by the young collections it
 * set off, where the records kept are a fraction of that.
 */
export const CONTEXT_READ_ROWS = 100;

/** The follow-ups `ids` with their case and customer, by due time (then id); ids that do not exist are left out. */
export async function selectFollowUpContexts(sql: FixedSqlQueries, capabilities: DbCapabilities, ids: readonly string[]): Promise<FollowUpContext[]> {
  const out: FollowUpContext[] = [];
  if (ids.length === 0) return out;
  // On SQLite the ids as one parameter: one statement text whatever the batch size, prepared once per connection; read
  // CONTEXT_READ_ROWS at a time, so that the driver's rows of one read are garbage before the next is made.
  for (let from = 0; from < ids.length; from += CONTEXT_READ_ROWS) {
    for (const part of inTextList(capabilities, 'f."id"', ids.slice(from, from + CONTEXT_READ_ROWS))) {
      const { rows } = await sql.queryRows(
        `SELECT ${SELECT_LIST} FROM "FollowUp" f JOIN "Case" c ON c."id" = f."caseId" JOIN "Customer" u ON u."id" = f."customerId" WHERE ${part.sql}`,
        part.params,
      );
      for (const row of rows) out.push(contextOf(row));
    }
  }
  return byDueTime(out);
}

/**
 * The follow-ups `where` selects (a condition on `f`, the follow-up), with their case and customer, in the order
 * and number that `orderAndLimit` (`ORDER BY … LIMIT ?`) gives.
 */
export async function selectFollowUpContextsWhere(sql: FixedSqlQueries, where: string, orderAndLimit: string, params: unknown[]): Promise<FollowUpContext[]> {
  const { rows } = await sql.queryRows(
    `SELECT ${SELECT_LIST} FROM "FollowUp" f JOIN "Case" c ON c."id" = f."caseId" JOIN "Customer" u ON u."id" = f."customerId" WHERE ${where} ${orderAndLimit}`,
    params,
  );
  return rows.map(contextOf);
}

/**
 * The follow-ups that `withF` names `f` (`WITH … f AS (UPDATE "FollowUp" … RETURNING …)`, every column returned),
 * with their case and customer, by due time (then id): a claim and the read of what it claimed in one statement.
 */
export async function selectFollowUpContextsWith(sql: FixedSqlQueries, withF: string, params: unknown[]): Promise<FollowUpContext[]> {
  const { rows } = await sql.queryRows(`${withF} SELECT ${SELECT_LIST} FROM f JOIN "Case" c ON c."id" = f."caseId" JOIN "Customer" u ON u."id" = f."customerId"`, params);
  return byDueTime(rows.map(contextOf));
}

function contextOf(row: readonly unknown[]): FollowUpContext {
  const followUp: FollowUpRecord = {
    id: sqlText(row[F.id]),
    caseId: sqlText(row[F.caseId]),
    customerId: sqlText(row[F.customerId]),
    policyId: sqlText(row[F.policyId]),
    step: sqlText(row[F.step]),
    sequence: Number(row[F.sequence]),
    action: sqlText(row[F.action]) as FollowUpAction,
    channel: sqlText(row[F.channel]) as ChannelName,
    status: sqlText(row[F.status]) as FollowUpStatus,
    assigneeId: sqlTextOrNull(row[F.assigneeId]),
    assigneeRule: sqlTextOrNull(row[F.assigneeRule]),
    earliestAt: sqlDate(row[F.earliestAt])!,
    dueAt: sqlDate(row[F.dueAt])!,
    deadlineAt: sqlDate(row[F.deadlineAt])!,
    attempts: Number(row[F.attempts]),
    maxAttempts: Number(row[F.maxAttempts]),
    activations: Number(row[F.activations]),
    deferrals: Number(row[F.deferrals]),
    outcome: sqlTextOrNull(row[F.outcome]) as FollowUpOutcome | null,
    outcomeNote: sqlTextOrNull(row[F.outcomeNote]),
    completedAt: sqlDate(row[F.completedAt]),
    version: Number(row[F.version]),
  };
  // As toCaseRecord (bot/db/rows.ts) reads the JSON text columns.
  const milestones = parseJson<Record<string, string>>(sqlTextOrNull(row[C.milestones]), {});
  const kase: CaseRecord = {
    id: sqlText(row[C.id]),
    type: sqlText(row[C.type]),
    externalId: sqlText(row[C.externalId]),
    policyId: sqlText(row[C.policyId]),
    customerId: sqlText(row[C.customerId]),
    occurredAt: sqlDate(row[C.occurredAt])!,
    closedAt: sqlDate(row[C.closedAt]),
    departmentId: sqlTextOrNull(row[C.departmentId]),
    responsibleStaffId: sqlTextOrNull(row[C.responsibleStaffId]),
    attributes: parseJson<Record<string, unknown>>(sqlTextOrNull(row[C.attributes]), {}),
    milestones: Object.fromEntries(Object.entries(milestones).map(([k, v]) => [k, new Date(v)])),
    status: sqlText(row[C.status]) as CaseStatus,
    createdAt: sqlDate(row[C.createdAt])!,
  };
  const customer: CustomerRecord = {
    id: sqlText(row[U.id]),
    externalId: sqlTextOrNull(row[U.externalId]),
    name: sqlText(row[U.name]),
    salutation: sqlTextOrNull(row[U.salutation]),
    phoneE164: sqlTextOrNull(row[U.phoneE164]),
    phoneMasked: sqlTextOrNull(row[U.phoneMasked]),
    wechatOpenId: sqlTextOrNull(row[U.wechatOpenId]),
    consentSurvey: sqlBoolean(row[U.consentSurvey]),
    consentMarketing: sqlBoolean(row[U.consentMarketing]),
    optedOutAt: sqlDate(row[U.optedOutAt]),
    deceasedAt: sqlDate(row[U.deceasedAt]),
    phoneInvalidAt: sqlDate(row[U.phoneInvalidAt]),
    wecomExternalId: sqlTextOrNull(row[U.wecomExternalId]),
    wecomFollowUserId: sqlTextOrNull(row[U.wecomFollowUserId]),
  };
  return { followUp, case: kase, customer };
}

function byDueTime(contexts: FollowUpContext[]): FollowUpContext[] {
  return contexts.sort((a, b) => a.followUp.dueAt.getTime() - b.followUp.dueAt.getTime() || (a.followUp.id < b.followUp.id ? -1 : a.followUp.id > b.followUp.id ? 1 : 0));
}

