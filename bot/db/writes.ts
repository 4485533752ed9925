/**
 * Writes that several stores make inside their own transactions, so that a state change and what it
 * decides (outbox messages, escalations, audit entries) commit together. Each takes the transaction
 * client; none opens a transaction of its own.
 */
import { checkpointerFor, type SqliteCheckpointer } from './sqlite-checkpointer.js';
import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { IdGenerator } from '../core/clock.js';
import type { FollowUpOutcome } from '../core/model.js';
import type { NewAuditEntry, NewEscalation, NewOutboxMessage } from '../core/records.js';
import type { PlannedFollowUp } from '../core/policies/plan-follow-ups.js';
import { toJson } from './rows.js';
import type { DbProvider } from './client.js';
import { staffOutbox } from '../core/outbox/staff-message.js';
import { renderText } from '../core/templates/render.js';
import type { DbCapabilities } from './client.js';
import type { FixedSqlQueries } from './fixed-sql.js';
import { inTextList, insertJsonObjects, oncePerInstant, storedValues, type JsonRowKind } from './json-rows.js';
import { insertSqliteValues } from './sqlite-values.js';

export type Tx = Prisma.TransactionClient;

/** A transaction of the query API, or one of fixed SQL (`FixedSql.transaction`, bot/db/fixed-sql.ts). */
export type AnyTx = Tx | FixedSqlQueries;

function isFixed(tx: AnyTx): tx is FixedSqlQueries {
  return typeof (tx as Partial<FixedSqlQueries>).execute === 'function';
}

/** The open follow-up statuses: planned, pushed, or past their deadline unanswered. */
const OPEN_FOLLOW_UP = ['SCHEDULED', 'ACTIVE', 'OVERDUE'];

/**
 * Inserts outbox rows, skipping keys that already exist (createMany has no skipDuplicates on SQLite), and resolves
 * with the number inserted. `at` (the deciding use case's clock) becomes `createdAt`; without it, each row's
 * `nextAttemptAt`. An SMS to a customer whose phone the provider reported invalid is recorded already CANCELLED.
 */
export async function insertOutbox(tx: AnyTx, ids: IdGenerator, messages: readonly NewOutboxMessage[], at?: Date, capabilities?: DbCapabilities): Promise<number> {
  if (messages.length === 0) return 0;
  if (isFixed(tx) && !capabilities) throw new Error('insertOutbox in a fixed-SQL transaction needs the capabilities');
  // A fixed insert skips the keys already recorded itself (`ON CONFLICT … DO NOTHING`): no read before it.
  const existing = new Set(
    isFixed(tx) ? [] : (await tx.outboxMessage.findMany({ where: { idempotencyKey: { in: messages.map((m) => m.idempotencyKey) } }, select: { idempotencyKey: true } })).map((r) => r.idempotencyKey),
  );
  const fresh = new Map<string, NewOutboxMessage>();
  for (const m of messages) if (!existing.has(m.idempotencyKey) && !fresh.has(m.idempotencyKey)) fresh.set(m.idempotencyKey, m);
  if (fresh.size === 0) return 0;
  const smsCustomers = [...new Set([...fresh.values()].filter((m) => m.channel === 'sms' && m.recipientType === 'customer').map((m) => m.recipientId))];
  const invalidPhones = new Set(
    smsCustomers.length === 0
      ? []
      : isFixed(tx)
        ? await selectIn(tx, capabilities!, 'SELECT "id" AS v FROM "Customer" WHERE "phoneInvalidAt" IS NOT NULL AND', '"id"', smsCustomers)
        : (await tx.customer.findMany({ where: { id: { in: smsCustomers }, phoneInvalidAt: { not: null } }, select: { id: true } })).map((c) => c.id),
  );
  // With the capabilities, fixed INSERTs (no query compilation per call), which set `updatedAt` themselves:
  // Prisma's @updatedAt is a wall-clock instant too (bot/db/outbox-insert.ts sets it alike).
  const updatedAt = capabilities ? new Date() : undefined;
  // A fixed insert writes the message out itself, once (`json` column, bot/db/json-rows.ts).
  const fixed = capabilities && isFixed(tx) ? { tx, capabilities } : null;
  const rows = [...fresh.values()].map((m) => {
    const row: Omit<Prisma.OutboxMessageCreateManyInput, 'payload'> & { payload: unknown } = {
      id: ids.next(),
      idempotencyKey: m.idempotencyKey,
      createdAt: at ?? m.nextAttemptAt,
      channel: m.channel,
      kind: m.message.kind,
      recipientType: m.recipientType,
      recipientId: m.recipientId,
      payload: fixed ? m.message : JSON.stringify(m.message),
      nextAttemptAt: m.nextAttemptAt,
      followUpId: m.followUpId,
    };
    if (m.channel === 'sms' && m.recipientType === 'customer' && invalidPhones.has(m.recipientId)) {
      row.status = 'CANCELLED';
      row.lastErrorCode = 'PHONE_INVALID';
    }
    if (m.maxAttempts) row.maxAttempts = m.maxAttempts;
    if (m.fallbackOfId) row.fallbackOfId = m.fallbackOfId;
    if (updatedAt) row.updatedAt = updatedAt;
    return row;
  });
  // In a fixed-SQL transaction one statement for every row (bot/db/json-rows.ts); else multi-row inserts, or createMany.
  if (fixed) return insertJsonObjects(fixed.tx, fixed.capabilities, 'OutboxMessage', OUTBOX_COLUMNS, rows, 'ON CONFLICT ("idempotencyKey") DO NOTHING');
  if (capabilities) await insertObjects(tx, capabilities, 'OutboxMessage', rows);
  else await (tx as Tx).outboxMessage.createMany({ data: rows as Prisma.OutboxMessageCreateManyInput[] });
  return fresh.size;
}

/** The columns a fixed outbox insert may set, with their kinds (bot/db/json-rows.ts). */
const OUTBOX_COLUMNS: Readonly<Record<string, JsonRowKind>> = {
  id: 'text',
  idempotencyKey: 'text',
  createdAt: 'date',
  updatedAt: 'date',
  status: 'text',
  lastErrorCode: 'text',
  channel: 'text',
  kind: 'text',
  recipientType: 'text',
  recipientId: 'text',
  // The message, written out by the insert (bot/db/json-rows.ts).
  payload: 'json',
  nextAttemptAt: 'date',
  followUpId: 'text',
  maxAttempts: 'int',
  fallbackOfId: 'text',
};

/**
 * The `v` column of `head` with `<column> IN values` appended ({@link inTextList}: one statement per batch on
 * SQLite, one per 1,000 values on PostgreSQL).
 */
export async function selectIn(sql: FixedSqlQueries, capabilities: DbCapabilities, head: string, column: string, values: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  if (values.length === 0) return out;
  for (const part of inTextList(capabilities, column, values)) {
    const rows = await sql.query<{ v: unknown }>(`${head} ${part.sql}`, part.params);
    for (const r of rows) out.push(String(r.v));
  }
  return out;
}

/** `items` in consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Inserts rows with multi-row `INSERT … VALUES (…), (…)` statements in fixed SQL (no query compilation
 * per call), as many rows per statement as stay well under both databases' bound-parameter limits.
 * `columns` are the table's column names; each row gives their values in that order. Raw SQL keeps no
 * Prisma defaults: set `createdAt`/`updatedAt` and every DateTime column explicitly (bot/db/client.ts).
 * Booleans are bound as 1/0 on SQLite. A unique violation fails the statement (P2002), and the caller's
 * transaction with it.
 */
export async function insertRows(tx: AnyTx, capabilities: DbCapabilities, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
  if (rows.length === 0) return;
  const run = (text: string, params: unknown[]) => (isFixed(tx) ? tx.execute(text, params) : tx.$executeRawUnsafe(text, ...params));
  if (capabilities.provider === 'sqlite') {
    // A `Date` is bound as the text the adapter would make of it (`…T01:30:00.000+00:00`), made once per instant:
    // formatting each cell again was a tenth of the CPU of writing them.
    await insertSqliteValues(run, table, columns, rows, { store: storedValues(capabilities) });
    return;
  }
  const perStatement = Math.max(1, Math.floor(20_000 / columns.length));
  // Fixed SQL numbers `?` itself (bot/db/fixed-sql.ts); the query API takes `$n`.
  const fixed = isFixed(tx);
  const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES `;
  const same = fixed ? `(${columns.map(() => '?').join(', ')})` : null;
  for (let i = 0; i < rows.length; ) {
    const size = Math.min(perStatement, rows.length - i);
    const chunk = rows.slice(i, i + size);
    i += size;
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      const marks: string[] = [];
      for (const value of row) {
        params.push(value);
        if (!same) marks.push(`$${params.length}`);
      }
      tuples.push(same ?? `(${marks.join(', ')})`);
    }
    await run(head + tuples.join(', '), params);
  }
}

/** The type of a column {@link insertColumns} writes: the array type its values are cast to on PostgreSQL. */
export type ColumnType = 'text' | 'integer' | 'boolean' | 'timestamp';

const PG_ARRAY_TYPE: Readonly<Record<ColumnType, string>> = { text: 'text[]', integer: 'int4[]', boolean: 'boolean[]', timestamp: 'timestamp(3)[]' };

/** Rows per `unnest` statement: no parameter limit applies (one parameter per column), this only bounds a statement's size. */
const UNNEST_ROWS = 5_000;

/**
 * Inserts rows as {@link insertRows} does (the same columns, values and errors), in fixed SQL. On
 * PostgreSQL each column's values go as one array parameter, `INSERT … SELECT * FROM unnest($1::text[],
 * $2::timestamp(3)[], …)`: a statement has one parameter per column however many rows it carries, so
 * the server parses and plans a short text instead of a `VALUES` list of thousands of tuples, and the
 * client sends one text per column instead of one bound value per cell. A `Date` goes as its UTC ISO
 * text (a `timestamp` column keeps the wall-clock fields and ignores the `Z`, as the UTC sessions would
 * store it). SQLite has no arrays: there it is `insertRows`.
 */
export async function insertColumns(
  tx: FixedSqlQueries,
  capabilities: DbCapabilities,
  table: string,
  columns: readonly (readonly [name: string, type: ColumnType])[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  if (rows.length === 0) return;
  if (capabilities.provider !== 'postgresql') {
    await insertRows(tx, capabilities, table, columns.map(([name]) => name), rows);
    return;
  }
  const text = `INSERT INTO "${table}" (${columns.map(([name]) => `"${name}"`).join(', ')}) SELECT * FROM unnest(${columns.map(([, type]) => `?::${PG_ARRAY_TYPE[type]}`).join(', ')})`;
  const iso = oncePerInstant((value) => value.toISOString());
  for (let from = 0; from < rows.length; from += UNNEST_ROWS) {
    const to = Math.min(rows.length, from + UNNEST_ROWS);
    const arrays = columns.map(([, type], c) => {
      const values = new Array<unknown>(to - from);
      for (let r = from; r < to; r++) {
        const value = rows[r]![c];
        values[r - from] = value === undefined ? null : type === 'timestamp' && value instanceof Date ? iso(value) : value;
      }
      return values;
    });
    await tx.execute(text, arrays);
  }
}

/** SQLite page cache during a bulk write, in KiB (better-sqlite3 builds SQLite with 16 MiB). */
const BULK_PAGE_CACHE_KIB = 65_536;

/**
 * Runs `fn` (the writes of one fixed-SQL transaction) with SQLite's page cache widened to 64 MiB, then
 * sets it back. Thousands of rows inserted into tables with several indexes touch far more index pages
 * than the default 16 MiB holds: without this the pages are evicted and read again from the file for
 * every statement, and spilled to the journal before the commit. Setting it back frees the pages, so
 * the service's memory does not keep what one batch needed. PostgreSQL: `fn` as it is.
 */
export async function withBulkPageCache<T>(tx: FixedSqlQueries, capabilities: DbCapabilities, fn: () => Promise<T>): Promise<T> {
  if (capabilities.provider !== 'sqlite') return fn();
  const [row] = await tx.query<{ cache_size: unknown }>('PRAGMA cache_size', []);
  const before = Number(row?.cache_size);
  await tx.execute(`PRAGMA cache_size = -${BULK_PAGE_CACHE_KIB}`, []);
  try {
    return await fn();
  } finally {
    await tx.execute(`PRAGMA cache_size = ${Number.isInteger(before) ? before : -16_000}`, []);
  }
}

/** WAL pages after which a commit checkpoints while bulk writes run: 64 MiB of 4 KiB pages, as the bulk page cache. */
const BULK_WAL_AUTOCHECKPOINT_PAGES = 16_384;

/**
 * Bulk writes in progress per client (one SQLite connection each), the threshold to set back, the setting of it,
 * and the client's checkpointing thread (null for a database in memory, which has no WAL).
 */
const bulkWalWriters = new WeakMap<object, { writers: number; before: number | null; ready: Promise<void>; checkpointer: SqliteCheckpointer | null | undefined }>();

/**
 * Runs `fn` (one or more bulk write transactions of `client`) with SQLite's WAL checkpoints moved off the
 * writing connection: a thread of its own checkpoints every 100 ms meanwhile (bot/db/sqlite-checkpointer.ts),
 * and the connection's automatic checkpoint, moved from every 1,000 WAL pages to every
 * {@link BULK_WAL_AUTOCHECKPOINT_PAGES}, is only a backstop. The threshold is set back once the last concurrent
 * bulk write is done, and the thread stops shortly after. A chunk of a case batch, or a batch of activations,
 * writes more than 1,000 pages, so each commit had copied the WAL into the database and synced both files on the
 * process's thread, where every statement runs: a tenth of a 100,000-row activation. Durability does not change:
 * Huifang's SQLite connections keep the default `synchronous = FULL`, under which every COMMIT syncs the WAL, so
 * a committed chunk survives a crash or a power loss whether or not it has been checkpointed. Call it outside
 * the transaction: the threshold is read at COMMIT. PostgreSQL: `fn` as it is.
 */
export async function withBulkWalCheckpoints<T>(client: object, sql: FixedSqlQueries, capabilities: DbCapabilities, fn: () => Promise<T>): Promise<T> {
  if (capabilities.provider !== 'sqlite') return fn();
  let state = bulkWalWriters.get(client);
  if (!state) bulkWalWriters.set(client, (state = { writers: 0, before: null, ready: Promise.resolve(), checkpointer: undefined }));
  const s = state;
  if (s.writers++ === 0) {
    s.ready = (async () => {
      // Read once per client: the threshold it had before any bulk write, whatever the order writes end in.
      if (s.before === null) {
        const [row] = await sql.query<{ wal_autocheckpoint: unknown }>('PRAGMA wal_autocheckpoint', []);
        const before = Number(row?.wal_autocheckpoint);
        s.before = Number.isInteger(before) ? before : 1_000;
      }
      if (s.checkpointer === undefined) {
        const [main] = (await sql.query<{ name: string; file: string | null }>('PRAGMA database_list', [])).filter((d) => d.name === 'main');
        s.checkpointer = main?.file ? checkpointerFor(client, main.file) : null;
      }
      await sql.query(`PRAGMA wal_autocheckpoint = ${BULK_WAL_AUTOCHECKPOINT_PAGES}`, []);
    })();
  }
  let acquired = false;
  try {
    // A write that joins one already running waits until the threshold is moved.
    await s.ready;
    s.checkpointer?.acquire();
    acquired = true;
    return await fn();
  } finally {
    if (acquired) s.checkpointer?.release();
    if (--s.writers === 0) await sql.query(`PRAGMA wal_autocheckpoint = ${s.before ?? 1_000}`, []);
  }
}

/**
 * {@link insertRows} for rows given as objects, as Prisma's `createMany` takes them: an `undefined`
 * field is left out, so that the column's database default applies (rows are grouped by the fields
 * they set, one statement per group and chunk). Set `updatedAt` yourself where the model has one.
 */
export async function insertObjects(tx: AnyTx, capabilities: DbCapabilities, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const groups = new Map<string, { columns: string[]; rows: unknown[][] }>();
  for (const row of rows) {
    const columns = Object.keys(row).filter((k) => row[k] !== undefined);
    const signature = columns.join('\u0000');
    let group = groups.get(signature);
    if (!group) groups.set(signature, (group = { columns, rows: [] }));
    group.rows.push(columns.map((c) => row[c]));
  }
  for (const group of groups.values()) await insertRows(tx, capabilities, table, group.columns, group.rows);
}

/** The `AuditLog` row of an entry (for `createMany`). */
export function auditData(ids: IdGenerator, entry: NewAuditEntry) {
  return {
    id: ids.next(),
    at: entry.at,
    actorType: entry.actorType,
    actorId: entry.actorId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    details: toJson(entry.details),
  };
}

/** Adds audit entries. */
export async function insertAudit(tx: Tx, ids: IdGenerator, entries: readonly NewAuditEntry[]): Promise<void> {
  if (entries.length === 1) await tx.auditLog.create({ data: auditData(ids, entries[0]!) });
  else if (entries.length > 1) await tx.auditLog.createMany({ data: entries.map((entry) => auditData(ids, entry)) });
}

/**
 * Opens an escalation with its first piece of evidence, or (`addTo`) adds the trigger to the open
 * escalation of its incident (raising it when planned so), unless its source key was seen (a replay
 * writes nothing). When an escalation of the same incident was opened since the trigger was planned
 * (another replica, a moment before), the trigger is merged into it as evidence: on PostgreSQL a
 * transaction-scoped advisory lock on the incident key makes the second writer wait for the first and
 * then see its row; SQLite has one writer at a time. The unique incident key stays the last guard.
 */
export async function insertEscalation(tx: Tx, ids: IdGenerator, escalation: NewEscalation | null, at: Date, provider: DbProvider = 'sqlite'): Promise<EscalationWrite> {
  if (!escalation) return false;
  const { id, severity, evidence, addTo, mergeCardText: _mergeCardText, raise: _raise, ...rest } = escalation;
  if (await tx.escalationEvidence.findUnique({ where: { sourceKey: evidence.sourceKey }, select: { id: true } })) return false;
  if (addTo) {
    await tx.escalationEvidence.create({ data: { ...evidence, id: ids.next(), escalationId: addTo } });
    if (escalation.raise) {
      // A graver report of the incident: the level and severity its trigger alone would have opened at,
      // compare-and-set on the level read when it was planned (a climb in between wins; the evidence stays).
      const r = escalation.raise;
      await tx.escalation.updateMany({
        where: { id: addTo, level: r.fromLevel, status: { in: ['OPEN', 'ACKNOWLEDGED'] } },
        data: { severity: r.severity, level: r.level, ownerId: r.ownerId, deadlineAt: r.deadlineAt, ...(r.level > r.fromLevel ? { status: 'OPEN' } : {}), version: { increment: 1 }, updatedAt: at },
      });
    }
    return 'added';
  }
  const existing = await tx.escalation.findUnique({ where: { sourceKey: escalation.sourceKey }, select: { id: true } });
  if (existing) return false;
  if (escalation.incidentKey) {
    // Two reports of one incident committing at once (two replicas): the second waits for the first
    // here, then finds its escalation and becomes its evidence instead of failing on the unique key.
    if (provider === 'postgresql') await tx.$queryRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1))::text AS locked', `incident:${escalation.incidentKey}`);
    const open = await tx.escalation.findUnique({ where: { incidentKey: escalation.incidentKey }, select: { id: true } });
    if (open) {
      await tx.escalationEvidence.create({ data: { ...evidence, id: ids.next(), escalationId: open.id } });
      return { mergedInto: open.id };
    }
  }
  const escalationId = id ?? ids.next();
  await tx.escalation.create({ data: { ...rest, id: escalationId, severity: severity ?? 'normal', createdAt: at, updatedAt: at } });
  await tx.escalationEvidence.create({ data: { ...evidence, id: ids.next(), escalationId } });
  return 'opened';
}

/** What {@link insertEscalation} did: opened it, added evidence as planned, merged it into an escalation of the same incident opened meanwhile, or nothing (a replay). */
export type EscalationWrite = false | 'opened' | 'added' | { mergedInto: string };

/**
 * Inserts a planned escalation with the outbox messages and audit entries of the same decision. When it
 * was merged into an escalation of the same incident opened meanwhile, its own card is not sent and its
 * `escalation.opened` entries become `escalation.evidence_added` on that escalation, whose owner's card
 * is updated instead (as planned for evidence, bot/core/escalation/open-escalation.ts).
 */
export async function insertEscalationWith(
  tx: Tx,
  ids: IdGenerator,
  provider: DbProvider,
  escalation: NewEscalation | null,
  outbox: readonly NewOutboxMessage[],
  audit: readonly NewAuditEntry[],
  at: Date,
  options: { onlyIfWritten?: boolean } = {},
): Promise<EscalationWrite> {
  const written = await insertEscalation(tx, ids, escalation, at, provider);
  if (written === false && options.onlyIfWritten) return false;
  if (!escalation || typeof written !== 'object') {
    await insertOutbox(tx, ids, outbox, at);
    await insertAudit(tx, ids, audit);
    return written;
  }
  const planned = escalation.id!;
  const into = await tx.escalation.findUniqueOrThrow({ where: { id: written.mergedInto }, select: { id: true, level: true, ownerId: true, owner: { select: { id: true, wecomUserId: true } } } });
  const count = await tx.escalationEvidence.count({ where: { escalationId: into.id } });
  const notices = outbox.filter((m) => !m.idempotencyKey.startsWith(`esc:${planned}:`));
  if (escalation.mergeCardText) {
    notices.push(
      staffOutbox(
        into.owner,
        `esc:${into.id}:evidence:${escalation.sourceKey}`,
        { kind: 'card_update', taskId: `esc_${into.id}_${into.level}`, responseCode: null, replaceName: renderText(escalation.mergeCardText, { count }), cardKey: `esc:${into.id}:card:${into.level}` },
        at,
        escalation.followUpId,
      ),
    );
  }
  const entries = audit.map((a): NewAuditEntry => {
    if (a.action !== 'escalation.opened') return a;
    if (a.entityType === 'Escalation' && a.entityId === planned) {
      return { ...a, action: 'escalation.evidence_added', entityId: into.id, details: { reason: escalation.reason, source: escalation.evidence.source, sourceKey: escalation.sourceKey, followUpId: escalation.followUpId, count, merged: true } };
    }
    return a.details?.escalationId === planned ? { ...a, action: 'escalation.evidence_added', details: { escalationId: into.id, reason: escalation.reason } } : a;
  });
  await insertOutbox(tx, ids, notices, at);
  await insertAudit(tx, ids, entries);
  return written;
}

/** The `FollowUp` row of a planned follow-up: SCHEDULED, or SKIPPED when sampling left it out. */
export function followUpData(f: PlannedFollowUp & { id: string }, caseId: string, customerId: string, policyId: string, createdAt: Date) {
  return {
    id: f.id,
    createdAt,
    caseId,
    customerId,
    policyId,
    step: f.step,
    sequence: f.sequence,
    action: f.action,
    channel: f.channel,
    status: f.sampling.kept ? 'SCHEDULED' : 'SKIPPED',
    assigneeId: f.assigneeId,
    assigneeRule: f.assigneeRule,
    earliestAt: f.earliestAt,
    dueAt: f.dueAt,
    deadlineAt: f.deadlineAt,
    maxAttempts: f.maxAttempts,
    sampling: toJson(f.sampling),
    quotaSlot: f.quotaSlot ?? null,
  };
}

/**
 * Cancels open follow-ups matching `where`, and with them what they had set in motion: their open
 * surveys expire (a late answer is no longer accepted) and their unsent outbox messages are cancelled.
 */
export async function cancelOpenFollowUps(tx: Tx, where: Prisma.FollowUpWhereInput, reason: string, at: Date): Promise<number> {
  const open = await tx.followUp.findMany({ where: { ...where, status: { in: OPEN_FOLLOW_UP } }, select: { id: true } });
  if (open.length === 0) return 0;
  const ids = open.map((f) => f.id);
  await tx.followUp.updateMany({
    where: { id: { in: ids }, status: { in: OPEN_FOLLOW_UP } },
    data: { status: 'CANCELLED', outcomeNote: reason, completedAt: at, leaseExpiresAt: null, version: { increment: 1 } },
  });
  await tx.surveyInstance.updateMany({ where: { followUpId: { in: ids }, status: 'OPEN' }, data: { status: 'EXPIRED', replyCode: null } });
  await tx.outboxMessage.updateMany({ where: { followUpId: { in: ids }, status: 'PENDING' }, data: { status: 'CANCELLED', lastErrorCode: reason } });
  return ids.length;
}

/**
 * Marks the customer's phone invalid (once) and cancels the SMS not yet sent to them; returns
 * whether it was newly marked. SMS resumes only when the phone number changes.
 */
export async function markPhoneInvalid(tx: Tx, customerId: string, at: Date): Promise<boolean> {
  const { count } = await tx.customer.updateMany({ where: { id: customerId, phoneInvalidAt: null }, data: { phoneInvalidAt: at } });
  await tx.outboxMessage.updateMany({
    where: { recipientType: 'customer', recipientId: customerId, channel: 'sms', status: 'PENDING' },
    data: { status: 'CANCELLED', lastErrorCode: 'PHONE_INVALID' },
  });
  return count === 1;
}

/**
 * Closes the RESOLVED escalations whose second follow-up (二次回访) just ended, recording its outcome;
 * called inside the transaction that records the outcome.
 */
export async function closeEscalationsAfterSecondFollowUp(
  tx: Tx,
  ids: IdGenerator,
  input: { followUpId: string; outcome: FollowUpOutcome | null; at: Date; actorId: string | null },
): Promise<number> {
  const rows = await tx.escalation.findMany({ where: { secondFollowUpId: input.followUpId, status: 'RESOLVED' }, select: { id: true, version: true } });
  let closed = 0;
  for (const row of rows) {
    const { count } = await tx.escalation.updateMany({
      where: { id: row.id, version: row.version },
      data: { status: 'CLOSED', closedAt: input.at, version: { increment: 1 }, updatedAt: input.at },
    });
    if (count !== 1) continue;
    closed++;
    await insertAudit(tx, ids, [
      {
        at: input.at,
        actorType: input.actorId ? 'STAFF' : 'SYSTEM',
        actorId: input.actorId,
        action: 'escalation.closed',
        entityType: 'Escalation',
        entityId: row.id,
        details: { secondFollowUpId: input.followUpId, outcome: input.outcome },
      },
    ]);
  }
  return closed;
}
