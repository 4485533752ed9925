/**
 * Follow-ups with their case and customer (what `include: { case: true, customer: true }` reads), in one fixed
 * SELECT on the driver adapter (bot/db/fixed-sql.ts): the activation job loads every claimed batch this way, and
 * the query API would compile and deserialise the three-model read for each batch.
 *
 * Column lists name every scalar field of the three models (the `satisfies` clauses fail to compile when the
 * schema gains or loses one), and each value is turned into what Prisma returns: the adapters give DateTime
 * columns as ISO text (`…+00:00`), SQLite gives booleans as 0/1 (bot/db/client.ts).
 */
import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { FollowUpContext } from '../core/records.js';
import type { FixedSqlQueries } from './fixed-sql.js';
import { toFollowUpContext } from './rows.js';
import { CASE_FIELDS } from './sql-rows.js';

type Kind = 'text' | 'int' | 'date' | 'bool';

const FOLLOW_UP = {
  id: 'text',
  caseId: 'text',
  customerId: 'text',
  policyId: 'text',
  step: 'text',
  sequence: 'int',
  action: 'text',
  channel: 'text',
  status: 'text',
  assigneeId: 'text',
  assigneeRule: 'text',
  earliestAt: 'date',
  dueAt: 'date',
  deadlineAt: 'date',
  attempts: 'int',
  maxAttempts: 'int',
  activations: 'int',
  sampling: 'text',
  outcome: 'text',
  outcomeNote: 'text',
  outcomeById: 'text',
  completedAt: 'date',
  activatedAt: 'date',
  remindAt: 'date',
  overdueAt: 'date',
  leaseExpiresAt: 'date',
  version: 'int',
  createdAt: 'date',
  updatedAt: 'date',
  deferrals: 'int',
  quotaSlot: 'text',
} as const satisfies Record<keyof Prisma.FollowUpGetPayload<object>, Kind>;

const CASE: Record<keyof Prisma.CaseGetPayload<object>, Kind> = CASE_FIELDS;

const CUSTOMER = {
  id: 'text',
  externalId: 'text',
  name: 'text',
  salutation: 'text',
  phoneE164: 'text',
  phoneMasked: 'text',
  wechatOpenId: 'text',
  wecomExternalId: 'text',
  wecomFollowUserId: 'text',
  wecomMatchedAt: 'date',
  tags: 'text',
  birthday: 'text',
  consentMarketing: 'bool',
  consentSurvey: 'bool',
  optedOutAt: 'date',
  optOutSource: 'text',
  deceasedAt: 'date',
  phoneInvalidAt: 'date',
  createdAt: 'date',
  updatedAt: 'date',
} as const satisfies Record<keyof Prisma.CustomerGetPayload<object>, Kind>;

const TABLES = [
  { alias: 'f', columns: FOLLOW_UP },
  { alias: 'c', columns: CASE },
  { alias: 'u', columns: CUSTOMER },
] as const;

const SELECT_LIST = TABLES.flatMap(({ alias, columns }) => Object.keys(columns).map((column) => `${alias}."${column}" AS "${alias}_${column}"`)).join(', ');

/** Ids per statement, well under both databases' bound-parameter limits. */
const IDS_PER_STATEMENT = 1_000;

/** The follow-ups `ids` with their case and customer, by due time (then id); ids that do not exist are left out. */
export async function selectFollowUpContexts(sql: FixedSqlQueries, ids: readonly string[]): Promise<FollowUpContext[]> {
  const out: FollowUpContext[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
    const chunk = ids.slice(i, i + IDS_PER_STATEMENT);
    const rows = await sql.query<Record<string, unknown>>(
      `SELECT ${SELECT_LIST} FROM "FollowUp" f JOIN "Case" c ON c."id" = f."caseId" JOIN "Customer" u ON u."id" = f."customerId" ` +
        `WHERE f."id" IN (${chunk.map(() => '?').join(', ')})`,
      [...chunk],
    );
    for (const row of rows) out.push(contextOf(row));
  }
  return byDueTime(out);
}

/**
 * The follow-ups that `withF` names `f` (`WITH … f AS (UPDATE "FollowUp" … RETURNING …)`, every column returned),
 * with their case and customer, by due time (then id): a claim and the read of what it claimed in one statement.
 */
export async function selectFollowUpContextsWith(sql: FixedSqlQueries, withF: string, params: unknown[]): Promise<FollowUpContext[]> {
  const rows = await sql.query<Record<string, unknown>>(
    `${withF} SELECT ${SELECT_LIST} FROM f JOIN "Case" c ON c."id" = f."caseId" JOIN "Customer" u ON u."id" = f."customerId"`,
    params,
  );
  return byDueTime(rows.map(contextOf));
}

/** Per table, each column with its kind and the name it is selected as (`f_dueAt`), worked out once. */
const READS = TABLES.map(({ alias, columns }) => Object.entries(columns).map(([column, kind]) => ({ column, kind, as: `${alias}_${column}` })));

function contextOf(row: Record<string, unknown>): FollowUpContext {
  const [followUp, kase, customer] = READS.map((reads) => {
    const record: Record<string, unknown> = {};
    for (const { column, kind, as } of reads) record[column] = valueOf(row[as], kind);
    return record;
  });
  // Every scalar field of each model is set above (the column lists are checked against the models).
  return toFollowUpContext({ ...(followUp as Prisma.FollowUpGetPayload<object>), case: kase as Prisma.CaseGetPayload<object>, customer: customer as Prisma.CustomerGetPayload<object> });
}

function byDueTime(contexts: FollowUpContext[]): FollowUpContext[] {
  return contexts.sort((a, b) => a.followUp.dueAt.getTime() - b.followUp.dueAt.getTime() || (a.followUp.id < b.followUp.id ? -1 : a.followUp.id > b.followUp.id ? 1 : 0));
}

function valueOf(value: unknown, kind: Kind): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'date':
      return value instanceof Date ? value : new Date(String(value));
    case 'int':
      return Number(value);
    case 'bool':
      return value === true || value === 1 || value === 1n || value === '1' || value === 't' || value === 'true';
    default:
      return String(value);
  }
}
