import type { ClaimedOutboxMessage, OutboxStore, UncertainOutboxMessage } from '../core/ports/outbox.js';
import type { NewAuditEntry } from '../core/records.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { ChannelName } from '../core/model.js';
import type { OutboundMessage, StaffAddress } from '../core/messages.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { skipLocked, Verbatim } from './raw-sql.js';
import { auditData, insertAudit, insertOutbox, insertRows, markPhoneInvalid } from './writes.js';
import { applySurveyFallback, withReplyCodeRetry } from './reply-codes.js';
import { fixedSql, type FixedSql, type FixedSqlQueries } from './fixed-sql.js';
import { insertOutboxFixed, insertOutboxFixedCalls } from './outbox-insert.js';
import { CallBatcher } from './call-batcher.js';
import { typedValues } from './typed-values.js';

/** A result for {@link OutboxStore.completeOutbox}. */
export type OutboxResult = Parameters<OutboxStore['completeOutbox']>[0];

/** A send-started mark for {@link OutboxStore.markSendStarted}. */
interface SendStartedMark {
  id: string;
  claimToken: string;
  at: Date;
  leaseUntil: Date;
}

/** A send-started mark or a completion, queued for the next batch of outbox writes. */
export type OutboxWrite = { mark: SendStartedMark; result?: undefined } | { result: OutboxResult; mark?: undefined };

export interface PrismaOutboxStoreOptions {
  /**
   * Marks and completions asked for at the same moment (the dispatcher's concurrent sends) run as one
   * statement together, SMS budget counts as one statement, and small enqueues share one insert [true];
   * false runs each alone (the reference the batched path is tested against).
   */
  batch?: boolean;
}

/**
 * Enqueues of at most this many messages are grouped with others made at the same moment, up to
 * {@link ENQUEUE_BATCH_CALLS} calls: at most 1,000 rows of 13 values per statement, under both databases'
 * limits of bound parameters. Larger enqueues (a campaign's chunk) are statements of their own already.
 */
const ENQUEUE_BATCH_MESSAGES = 10;
const ENQUEUE_BATCH_CALLS = 100;

/**
 * `OutboxStore` over Prisma. A claim sets a lease and a claim token in one statement; completing
 * checks the token, so a dispatcher whose lease passed to another records nothing.
 */
export class PrismaOutboxStore implements OutboxStore {
  private readonly sql: FixedSql;
  private readonly writes: CallBatcher<OutboxWrite, boolean> | null;
  private readonly smsCounts: CallBatcher<{ customerId: string; since: Date }, number> | null;
  private readonly enqueues: CallBatcher<readonly NewOutboxMessage[], number> | null;

  constructor(
    private readonly db: StoreContext,
    options: PrismaOutboxStoreOptions = {},
  ) {
    this.sql = fixedSql(db);
    const batch = options.batch ?? true;
    // The send-started marks of the messages about to be sent and the completions of those just sent are
    // asked for together (each worker records its outcome and marks its next message in the same moment):
    // they share one statement. On SQLite a completion that comes alone (or whose batch failed) runs the
    // same fixed statement with one row: no query compilation. On PostgreSQL it is completed alone as before:
    // the batch statement draws its ids before it knows whether the claim still holds, and a lone completion
    // that lost its claim must draw none, as the memory twin does (test/integration/memory/store-conformance.test.ts).
    const completeOne = db.capabilities.provider === 'postgresql' ? (result: OutboxResult) => this.completeOutboxOne(result) : async (result: OutboxResult) => (await this.completeOutboxBatch([result]))[0]!;
    this.writes = batch ? new CallBatcher((writes) => this.writeOutboxBatch(writes), (write) => (write.mark ? this.markSendStartedOne(write.mark) : completeOne(write.result))) : null;
    this.smsCounts = batch ? new CallBatcher((questions) => this.countCustomersSmsSince(questions)) : null;
    this.enqueues = batch
      ? new CallBatcher(
          (calls) => this.enqueueBatch(calls),
          (messages) => insertOutboxFixed(this.sql, this.db.ids, messages),
          ENQUEUE_BATCH_CALLS,
        )
      : null;
  }

  async enqueue(messages: NewOutboxMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    // No row to read first (no SMS to a customer, whose phone may be marked invalid): fixed statements. Small
    // enqueues made at the same moment (the inbox drain's replies to concurrent events) share them: one read
    // and one insert, one commit, for all (a group commit: bot/db/call-batcher.ts); each call still resolves
    // once its messages are committed, with its own count.
    if (messages.every((m) => !(m.channel === 'sms' && m.recipientType === 'customer'))) {
      return this.enqueues && messages.length <= ENQUEUE_BATCH_MESSAGES ? this.enqueues.run(messages) : insertOutboxFixed(this.sql, this.db.ids, messages);
    }
    return this.db.prisma.$transaction((tx) => insertOutbox(tx, this.db.ids, messages), TX_OPTIONS);
  }

  /**
   * Several enqueues of messages that need no other row read first (no SMS to a customer), all or nothing;
   * each call's count as it would get alone, the calls made in this order.
   */
  async enqueueBatch(calls: readonly (readonly NewOutboxMessage[])[]): Promise<number[]> {
    return insertOutboxFixedCalls(this.sql, this.db.ids, calls);
  }

  async claimOutbox(now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]> {
    // Two claims, each walking its own index in order: due PENDING messages by (status, nextAttemptAt),
    // then SENDING messages whose lease expired by (status, leaseExpiresAt). One OR-ed query cannot use
    // index order and sorts the whole due backlog on every claim.
    const pending = await this.claimOutboxWhere(new Verbatim(`status = 'PENDING' AND "nextAttemptAt"`), new Verbatim('"nextAttemptAt"'), now, leaseMs, limit, claimToken);
    const expired =
      pending.length < limit
        ? await this.claimOutboxWhere(new Verbatim(`status = 'SENDING' AND "leaseExpiresAt"`), new Verbatim('"leaseExpiresAt"'), now, leaseMs, limit - pending.length, claimToken)
        : [];
    return [...pending, ...expired];
  }

  private async claimOutboxWhere(condition: Verbatim, order: Verbatim, now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // PostgreSQL: the ids are picked once, in a materialised CTE (an `IN (SELECT … LIMIT n FOR UPDATE
    // SKIP LOCKED)` sub-select may run again per row and take more than n), and the outer WHERE repeats
    // the condition (a claimer that waited on a row lock re-checks only that against the committed row).
    // SQLite has one writer at a time: the plain sub-select is atomic there and needs no re-check.
    const text = this.db.capabilities.skipLocked
      ? `WITH picked AS MATERIALIZED (SELECT id FROM "OutboxMessage" WHERE ${condition.text} <= ? ORDER BY ${order.text} LIMIT ? ${skipLocked(this.db.capabilities).text}) ` +
        `UPDATE "OutboxMessage" AS m SET status = 'SENDING', "leaseExpiresAt" = ?, "claimToken" = ?, attempts = m.attempts + 1, "updatedAt" = ? ` +
        `FROM picked WHERE m.id = picked.id AND m.${condition.text} <= ? ` +
        `RETURNING m.id, m."idempotencyKey", m.channel, m.payload, m.attempts, m."maxAttempts", m."followUpId", m."sendStartedAt", m."deliveryStatus"`
      : `UPDATE "OutboxMessage" SET status = 'SENDING', "leaseExpiresAt" = ?, "claimToken" = ?, attempts = attempts + 1, "updatedAt" = ? ` +
        `WHERE id IN (SELECT id FROM "OutboxMessage" WHERE ${condition.text} <= ? ORDER BY ${order.text} LIMIT ?) ` +
        `RETURNING id, "idempotencyKey", channel, payload, attempts, "maxAttempts", "followUpId", "sendStartedAt", "deliveryStatus"`;
    const params = this.db.capabilities.skipLocked ? [now, limit, leaseUntil, claimToken, now, now] : [leaseUntil, claimToken, now, now, limit];
    const rows = await this.sql.query<
      {
        id: string;
        idempotencyKey: string;
        channel: string;
        payload: string;
        attempts: number | bigint;
        maxAttempts: number | bigint;
        followUpId: string | null;
        sendStartedAt: Date | string | number | bigint | null;
        deliveryStatus: string | null;
      }
    >(text, params);
    return rows.map((r) => ({
      id: r.id,
      idempotencyKey: r.idempotencyKey,
      channel: r.channel as ChannelName,
      message: JSON.parse(r.payload) as OutboundMessage,
      attempt: Number(r.attempts),
      maxAttempts: Number(r.maxAttempts),
      claimToken,
      followUpId: r.followUpId,
      sendStartedAt: rawDate(r.sendStartedAt),
      deliveryReported: r.deliveryStatus !== null,
    }));
  }

  async markSendStarted(id: string, claimToken: string, at: Date, leaseUntil: Date): Promise<boolean> {
    // Marks of concurrent sends share one statement. Each send still waits for its own mark to commit
    // before it calls the provider, and a send is marked only once it is about to call it, so a crash
    // leaves no more marked-but-unsent messages than one statement per mark would (README, "Reliability").
    const mark = { id, claimToken, at, leaseUntil };
    return this.writes ? this.writes.run({ mark }) : this.markSendStartedOne(mark);
  }

  private async markSendStartedOne(mark: SendStartedMark): Promise<boolean> {
    const count = await this.sql.execute(
      `UPDATE "OutboxMessage" SET "sendStartedAt" = ?, "leaseExpiresAt" = ?, "updatedAt" = ? WHERE id = ? AND "claimToken" = ? AND status = 'SENDING'`,
      [mark.at, mark.leaseUntil, mark.at, mark.id, mark.claimToken],
    );
    return count === 1;
  }

  async releaseOutboxClaim(claimToken: string, now: Date): Promise<number> {
    const { count } = await this.db.prisma.outboxMessage.updateMany({
      where: { claimToken, status: 'SENDING', sendStartedAt: null },
      data: { status: 'PENDING', claimToken: null, leaseExpiresAt: null, attempts: { decrement: 1 }, updatedAt: now },
    });
    return count;
  }

  /** {@link markSendStarted} for several messages in one statement; true for each message still held by its claim. */
  async markSendStartedBatch(marks: readonly SendStartedMark[]): Promise<boolean[]> {
    const values = this.markValues(marks);
    const rows = await this.sql.query<{ id: string }>(`WITH mv (id, token, at, lease) AS (${values.text}) ${this.markUpdate()}`, values.params);
    const marked = new Set(rows.map((r) => r.id));
    return marks.map((m) => marked.has(m.id));
  }

  private markValues(marks: readonly SendStartedMark[]): { text: string; params: unknown[] } {
    return typedValues(this.db.capabilities, ['text', 'text', 'timestamp', 'timestamp'], marks.map((m) => [m.id, m.claimToken, m.at, m.leaseUntil]));
  }

  /** The marks' UPDATE, from the rows of `mv`, returning the id of each message still held by its claim. */
  private markUpdate(): string {
    return (
      `UPDATE "OutboxMessage" AS m SET "sendStartedAt" = mv.at, "leaseExpiresAt" = mv.lease, "updatedAt" = mv.at ` +
      `FROM mv WHERE m.id = mv.id AND m."claimToken" = mv.token AND m.status = 'SENDING' RETURNING ${this.returningId()}`
    );
  }

  /**
   * Marks and completions asked for together, all or nothing; an answer for each, in order, as each would get
   * alone in that order. Each run of them that names every message once is one statement (PostgreSQL: the
   * marks' UPDATE and the completion's UPDATE and INSERTs as data-modifying CTEs of one statement, which
   * change distinct rows; SQLite: one transaction); a message named again starts the next run, which sees
   * what the run before it wrote. Several runs share one transaction.
   */
  async writeOutboxBatch(writes: readonly OutboxWrite[]): Promise<boolean[]> {
    const unbatchable = writes.find((w) => w.result && !isBatchable(w.result));
    if (unbatchable?.result) throw new Error(`the ${unbatchable.result.outcome} result of ${unbatchable.result.id} commits a dead-letter action and is completed alone`);
    const runs: OutboxWrite[][] = [];
    let ids = new Set<string>();
    for (const write of writes) {
      const id = write.mark ? write.mark.id : write.result.id;
      const run = runs.at(-1);
      if (!run || ids.has(id)) {
        runs.push([write]);
        ids = new Set([id]);
      } else {
        run.push(write);
        ids.add(id);
      }
    }
    // One statement commits by itself (on SQLite, a run of marks only); anything more is one transaction.
    const [first] = runs;
    if (runs.length === 1 && first && (this.db.capabilities.provider === 'postgresql' || first.every((w) => w.mark))) return this.writeRun(this.sql, first);
    return this.sql.transaction(async (tx) => {
      const answers: boolean[] = [];
      for (const run of runs) answers.push(...(await this.writeRun(tx, run)));
      return answers;
    });
  }

  /** One run of {@link writeOutboxBatch} (each message named once) on `sql`: inside a transaction on SQLite if it completes any. */
  private async writeRun(sql: FixedSqlQueries, run: readonly OutboxWrite[]): Promise<boolean[]> {
    const marks = run.flatMap((w) => (w.mark ? [w.mark] : []));
    const results = run.flatMap((w) => (w.result ? [w.result] : []));
    const marked = new Set<string>();
    const done = new Set<string>();
    if (this.db.capabilities.provider === 'postgresql' && results.length > 0) {
      const completion = this.completionStatement(results);
      const values = marks.length > 0 ? this.markValues(marks) : null;
      const rows = await sql.query<{ marked: number | bigint; id: string }>(
        values
          ? `${completion.text}, mv (id, token, at, lease) AS (${values.text}), marked AS (${this.markUpdate()}) SELECT 0 AS marked, id FROM done UNION ALL SELECT 1 AS marked, id FROM marked`
          : `${completion.text} SELECT 0 AS marked, id FROM done`,
        values ? [...completion.params, ...values.params] : completion.params,
      );
      for (const r of rows) (Number(r.marked) === 1 ? marked : done).add(r.id);
    } else {
      if (marks.length > 0) {
        const values = this.markValues(marks);
        for (const r of await sql.query<{ id: string }>(`WITH mv (id, token, at, lease) AS (${values.text}) ${this.markUpdate()}`, values.params)) marked.add(r.id);
      }
      if (results.length > 0) for (const id of await this.completeOnSqlite(sql, results)) done.add(id);
    }
    return run.map((w) => (w.mark ? marked.has(w.mark.id) : done.has(w.result.id)));
  }

  /** `RETURNING` the updated row's id: PostgreSQL needs the alias (the `FROM` has an `id` too), SQLite refuses it. */
  private returningId(): string {
    return this.db.capabilities.provider === 'postgresql' ? 'm.id' : 'id';
  }

  async listUncertain(limit: number): Promise<UncertainOutboxMessage[]> {
    const rows = await this.db.prisma.outboxMessage.findMany({
      where: { status: 'UNCERTAIN' },
      orderBy: [{ sendStartedAt: 'asc' }, { id: 'asc' }],
      take: limit,
      select: { id: true, idempotencyKey: true, channel: true, kind: true, recipientType: true, recipientId: true, sendStartedAt: true, lastError: true },
    });
    return rows.map(({ lastError, channel, ...r }) => ({ ...r, channel: channel as ChannelName, reason: lastError }));
  }

  async resolveUncertain(id: string, decision: 'resend' | 'settle', audit: NewAuditEntry): Promise<boolean> {
    const data =
      decision === 'resend'
        ? { status: 'PENDING', nextAttemptAt: audit.at, sendStartedAt: null, maxAttempts: { increment: 1 } }
        : { status: 'SENT', sentAt: audit.at, sendStartedAt: null };
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.outboxMessage.updateMany({ where: { id, status: 'UNCERTAIN' }, data });
      if (count !== 1) return false;
      await insertAudit(tx, this.db.ids, [audit]);
      return true;
    }, TX_OPTIONS);
  }

  async takeCardResponseCode(cardKey: string): Promise<{ responseCode: string; to: StaffAddress } | null> {
    const row = await this.db.prisma.outboxMessage.findUnique({ where: { idempotencyKey: cardKey }, select: { responseCode: true, payload: true } });
    const to = row ? (JSON.parse(row.payload) as { to?: StaffAddress }).to : undefined;
    if (!row?.responseCode || !to) return null;
    // Compare-and-set: of two updates taking the same code, one gets it.
    const { count } = await this.db.prisma.outboxMessage.updateMany({ where: { idempotencyKey: cardKey, responseCode: row.responseCode }, data: { responseCode: null } });
    return count === 1 ? { responseCode: row.responseCode, to } : null;
  }

  async completeOutbox(result: OutboxResult): Promise<boolean> {
    // Results of concurrent sends are recorded together; a DEAD mark with a dead-letter action (a
    // replacement, a phone marked invalid) commits alone, with its action, as before.
    return this.writes && isBatchable(result) ? this.writes.run({ result }) : this.completeOutboxOne(result);
  }

  private async completeOutboxOne(result: OutboxResult): Promise<boolean> {
    // Every outcome ends the attempt handed to the provider, except a reconciliation still waiting for it
    // and an UNCERTAIN hold (when that attempt started is the operator's evidence).
    const ended = (result.outcome === 'RETRY' && result.keepSendStarted) || result.outcome === 'UNCERTAIN' ? {} : { sendStartedAt: null };
    const data =
      result.outcome === 'SENT'
        ? { status: 'SENT', sentAt: result.finishedAt, providerMessageId: result.providerMessageId, responseCode: result.responseCode ?? null, leaseExpiresAt: null, claimToken: null, ...ended }
        : result.outcome === 'RETRY'
          ? {
              status: 'PENDING',
              nextAttemptAt: result.nextAttemptAt,
              lastErrorCode: result.errorCode,
              lastError: result.error,
              leaseExpiresAt: null,
              claimToken: null,
              ...ended,
              ...(result.extendBudget ? { maxAttempts: { increment: 1 } } : {}),
            }
          : { status: result.outcome, lastErrorCode: result.errorCode, lastError: result.error, leaseExpiresAt: null, claimToken: null, ...ended };
    // A survey fallback that lost a reply code to another replica runs the whole transaction again.
    const run = () => this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.outboxMessage.updateMany({ where: { id: result.id, claimToken: result.claimToken, status: 'SENDING' }, data });
      if (count !== 1) return false;
      // The SMS replacement of a WeChat survey invitation commits with its DEAD mark, or not at all.
      if (result.outcome === 'DEAD' && result.replacement?.kind === 'survey_sms') await applySurveyFallback(tx, this.db.ids, result.replacement.fallback);
      if (result.outcome === 'CANCELLED' || result.outcome === 'UNCERTAIN') await insertAudit(tx, this.db.ids, [result.audit]);
      if (result.outcome === 'DEAD' && result.invalidRecipientPhone) {
        const row = await tx.outboxMessage.findUniqueOrThrow({ where: { id: result.id }, select: { recipientType: true, recipientId: true } });
        if (row.recipientType === 'customer') await markPhoneInvalid(tx, row.recipientId, result.finishedAt);
      }
      // The sandbox's delivery commits with its SENT outcome (one per message: a delivery already there stays).
      if (result.outcome === 'SENT' && result.delivery) {
        const { id, outboxMessageId, ...delivery } = result.delivery;
        await tx.sandboxDelivery.upsert({ where: { outboxMessageId }, create: { id, outboxMessageId, ...delivery }, update: {} });
      }
      await tx.outboxAttempt.create({
        data: {
          id: this.db.ids.next(),
          messageId: result.id,
          attempt: result.attempt,
          startedAt: result.startedAt,
          finishedAt: result.finishedAt,
          outcome: result.outcome,
          errorCode: result.outcome === 'SENT' ? null : result.errorCode,
          error: result.outcome === 'SENT' ? null : result.error,
        },
      });
      return true;
    }, TX_OPTIONS);
    return result.outcome === 'DEAD' && result.replacement ? withReplyCodeRetry(run) : run();
  }

  /**
   * {@link completeOutbox} for several results at once, all or nothing; true for each message whose claim
   * still held (its result recorded), false for one whose lease passed to another dispatcher (nothing
   * recorded for it). Each message ends exactly as if completed alone, in the order given (ids are drawn in
   * that order too). Only results without a dead-letter action ({@link isBatchable}). The outbox UPDATE …
   * FROM the batch's rows (typed-values.ts) checks each claim token; the attempts and audit entries of the rows it updated are
   * inserted with it: as data-modifying CTEs of the same statement on PostgreSQL, by multi-row INSERTs in
   * the same transaction on SQLite.
   */
  async completeOutboxBatch(results: readonly OutboxResult[]): Promise<boolean[]> {
    if (results.length === 0) return [];
    const unbatchable = results.find((r) => !isBatchable(r));
    if (unbatchable) throw new Error(`the ${unbatchable.outcome} result of ${unbatchable.id} commits a dead-letter action and is completed alone`);
    let done: Set<string>;
    if (this.db.capabilities.provider === 'postgresql') {
      const completion = this.completionStatement(results);
      done = new Set((await this.sql.query<{ id: string }>(`${completion.text} SELECT id FROM done`, completion.params)).map((r) => r.id));
    } else done = await this.sql.transaction((tx) => this.completeOnSqlite(tx, results));
    return results.map((r) => done.has(r.id));
  }

  /** The completions' UPDATE, from the rows of `v`, returning the id of each message whose claim still held. */
  private completionUpdate(): string {
    return (
      `UPDATE "OutboxMessage" AS m SET status = v.status, ` +
      `"sentAt" = CASE WHEN v.sent = 1 THEN v.finished ELSE m."sentAt" END, ` +
      `"providerMessageId" = CASE WHEN v.sent = 1 THEN v.pmid ELSE m."providerMessageId" END, ` +
      `"responseCode" = CASE WHEN v.sent = 1 THEN v.rcode ELSE m."responseCode" END, ` +
      `"nextAttemptAt" = COALESCE(v.next, m."nextAttemptAt"), ` +
      `"lastErrorCode" = CASE WHEN v.sent = 1 THEN m."lastErrorCode" ELSE v.ecode END, ` +
      `"lastError" = CASE WHEN v.sent = 1 THEN m."lastError" ELSE v.err END, ` +
      `"leaseExpiresAt" = NULL, "claimToken" = NULL, ` +
      `"sendStartedAt" = CASE WHEN v.ended = 1 THEN NULL ELSE m."sendStartedAt" END, ` +
      `"maxAttempts" = m."maxAttempts" + v.extend, "updatedAt" = v.finished ` +
      `FROM v WHERE m.id = v.id AND m."claimToken" = v.token AND m.status = 'SENDING' RETURNING ${this.returningId()}`
    );
  }

  /**
   * PostgreSQL: the `WITH` list that completes `results` in one statement, to be followed by the statement's
   * last CTEs and its SELECT (`done` holds the ids it completed). The INSERTs (attempts, audit entries, the
   * sandbox's deliveries) take only the rows the UPDATE changed (a lost claim inserts nothing). Ids are drawn here, in the order completing alone draws them (the
   * audit entry's, then the attempt's); those of a lost claim go unused.
   */
  private completionStatement(results: readonly OutboxResult[]): { text: string; params: unknown[] } {
    const extra = results.map((r) => {
      const a = r.outcome === 'CANCELLED' || r.outcome === 'UNCERTAIN' ? auditData(this.db.ids, r.audit) : null;
      const sent = r.outcome === 'SENT';
      const d = r.outcome === 'SENT' ? r.delivery : undefined;
      return [
        this.db.ids.next(), r.attempt, r.startedAt, r.outcome, sent ? null : r.errorCode, sent ? null : r.error,
        a?.id ?? null, a?.at ?? null, a?.actorType ?? null, a?.actorId ?? null, a?.action ?? null, a?.entityType ?? null, a?.entityId ?? null, a?.details ?? null,
        d?.id ?? null, d?.channel ?? null, d?.address ?? null, d?.kind ?? null, d?.content ?? null, d?.deliveredAt ?? null,
      ];
    });
    const all = typedValues(this.db.capabilities, [...COMPLETION_TYPES, ...RECORD_TYPES], results.map((r, i) => [...completionRow(r), ...extra[i]!]));
    return {
      text:
        `WITH v (${[...COMPLETION_COLUMNS, ...RECORD_COLUMNS].join(', ')}) AS (${all.text}), done AS (${this.completionUpdate()}), ` +
        `attempts AS (INSERT INTO "OutboxAttempt" (id, "messageId", attempt, "startedAt", "finishedAt", outcome, "errorCode", error) ` +
        `SELECT v."attemptId", v.id, v.attempt, v.started, v.finished, v.outcome, v.acode, v.aerr FROM v JOIN done ON done.id = v.id), ` +
        `audits AS (INSERT INTO "AuditLog" (id, at, "actorType", "actorId", action, "entityType", "entityId", details) ` +
        `SELECT v."auditId", v."auditAt", v."actorType", v."actorId", v.action, v."entityType", v."entityId", v.details FROM v JOIN done ON done.id = v.id WHERE v."auditId" IS NOT NULL), ` +
        `deliveries AS (INSERT INTO "SandboxDelivery" (id, channel, address, "outboxMessageId", kind, content, "deliveredAt") ` +
        `SELECT v."deliveryId", v.dchannel, v.daddress, v.id, v.dkind, v.dcontent, v."deliveredAt" FROM v JOIN done ON done.id = v.id WHERE v."deliveryId" IS NOT NULL ` +
        `ON CONFLICT ("outboxMessageId") DO NOTHING)`,
      params: all.params,
    };
  }

  /**
   * SQLite (one writer, in process), inside the caller's transaction: the UPDATE first, then ids drawn for
   * the rows it changed only. Fixed SQL on the adapter: no query compilation for any of its statements.
   */
  private async completeOnSqlite(tx: FixedSqlQueries, results: readonly OutboxResult[]): Promise<Set<string>> {
    const caps = this.db.capabilities;
    const values = typedValues(caps, COMPLETION_TYPES, results.map(completionRow));
    const updated = await tx.query<{ id: string }>(`WITH v (${COMPLETION_COLUMNS.join(', ')}) AS (${values.text}) ${this.completionUpdate()}`, values.params);
    const ids = new Set(updated.map((r) => r.id));
    const attempts: unknown[][] = [];
    const audits: unknown[][] = [];
    for (const r of results) {
      if (!ids.has(r.id)) continue;
      // As completing alone does: the audit entry (CANCELLED, UNCERTAIN), then the attempt.
      if (r.outcome === 'CANCELLED' || r.outcome === 'UNCERTAIN') {
        const a = auditData(this.db.ids, r.audit);
        audits.push([a.id, a.at, a.actorType, a.actorId, a.action, a.entityType, a.entityId, a.details]);
      }
      const sent = r.outcome === 'SENT';
      attempts.push([this.db.ids.next(), r.id, r.attempt, r.startedAt, r.finishedAt, r.outcome, sent ? null : r.errorCode, sent ? null : r.error]);
    }
    await insertRows(tx, caps, 'AuditLog', ['id', 'at', 'actorType', 'actorId', 'action', 'entityType', 'entityId', 'details'], audits);
    await insertRows(tx, caps, 'OutboxAttempt', ['id', 'messageId', 'attempt', 'startedAt', 'finishedAt', 'outcome', 'errorCode', 'error'], attempts);
    const deliveries = results.flatMap((r) => (r.outcome === 'SENT' && r.delivery && ids.has(r.id) ? [r.delivery] : []));
    if (deliveries.length > 0) {
      const values = typedValues(caps, DELIVERY_TYPES, deliveries.map((d) => [d.id, d.channel, d.address, d.outboxMessageId, d.kind, d.content, d.deliveredAt]));
      await tx.execute(`INSERT INTO "SandboxDelivery" (id, channel, address, "outboxMessageId", kind, content, "deliveredAt") ${values.text} ON CONFLICT ("outboxMessageId") DO NOTHING`, values.params);
    }
    return ids;
  }

  async countSentSince(channel: ChannelName, since: Date, exceptKinds: readonly string[] = []): Promise<number> {
    return this.db.prisma.outboxMessage.count({ where: { channel, sentAt: { gte: since }, ...(exceptKinds.length ? { kind: { notIn: [...exceptKinds] } } : {}) } });
  }

  async lastSurveyInvitesSent(customerIds: readonly string[], since: Date): ReturnType<OutboxStore['lastSurveyInvitesSent']> {
    // Served by the (recipientId, kind, sentAt) index.
    const rows = await this.db.prisma.outboxMessage.findMany({
      where: { recipientId: { in: [...customerIds] }, recipientType: 'customer', kind: 'survey_invite', sentAt: { gte: since } },
      select: { recipientId: true, sentAt: true, payload: true },
      orderBy: { sentAt: 'asc' },
    });
    const last = new Map<string, { surveyId: string; sentAt: Date }>();
    for (const row of rows) {
      const message = JSON.parse(row.payload) as OutboundMessage;
      if (message.kind === 'survey_invite' && row.sentAt) last.set(row.recipientId, { surveyId: message.surveyId, sentAt: row.sentAt });
    }
    return last;
  }

  async countCustomerSmsSince(customerId: string, since: Date): Promise<number> {
    // Asked before each SMS (the customer's daily budget): the questions of concurrent sends share a query.
    if (this.smsCounts) return this.smsCounts.run({ customerId, since });
    return this.db.prisma.outboxMessage.count({ where: { channel: 'sms', recipientType: 'customer', recipientId: customerId, sentAt: { gte: since } } });
  }

  /**
   * {@link countCustomerSmsSince} for several customers: one query per distinct `since` (served by the
   * (recipientId, kind, sentAt) index), answers in the order asked.
   */
  async countCustomersSmsSince(questions: readonly { customerId: string; since: Date }[]): Promise<number[]> {
    const counts = new Map<string, number>();
    const bySince = new Map<number, Set<string>>();
    for (const q of questions) {
      const ids = bySince.get(q.since.getTime()) ?? new Set<string>();
      bySince.set(q.since.getTime(), ids.add(q.customerId));
    }
    for (const [since, ids] of bySince) {
      const rows = await this.sql.query<{ recipientId: string; sent: number | bigint | string }>(
        `SELECT "recipientId", COUNT(*) AS sent FROM "OutboxMessage" WHERE channel = 'sms' AND "recipientType" = 'customer' ` +
          `AND "recipientId" IN (${[...ids].map(() => '?').join(', ')}) AND "sentAt" >= ? GROUP BY "recipientId"`,
        [...ids, new Date(since)],
      );
      for (const r of rows) counts.set(`${since} ${r.recipientId}`, Number(r.sent));
    }
    return questions.map((q) => counts.get(`${q.since.getTime()} ${q.customerId}`) ?? 0);
  }

  async recordDeliveryReport(report: Parameters<OutboxStore['recordDeliveryReport']>[0]): ReturnType<OutboxStore['recordDeliveryReport']> {
    return this.db.prisma.$transaction(async (tx) => {
      const select = { id: true, recipientType: true, recipientId: true } as const;
      const row =
        (await tx.outboxMessage.findFirst({ where: { providerMessageId: report.providerMessageId }, select })) ??
        (report.idempotencyKey ? await tx.outboxMessage.findUnique({ where: { idempotencyKey: report.idempotencyKey }, select }) : null);
      if (!row) return { found: false as const };
      await tx.outboxMessage.update({
        where: { id: row.id },
        data: { deliveryStatus: report.status, deliveryError: report.error, deliveredAt: report.status === 'DELIVERED' ? report.at : null },
      });
      const customerId = row.recipientType === 'customer' ? row.recipientId : null;
      const phoneMarkedInvalid = report.invalidNumber && customerId !== null ? await markPhoneInvalid(tx, customerId, report.at) : false;
      return { found: true as const, outboxId: row.id, customerId, phoneMarkedInvalid };
    }, TX_OPTIONS);
  }
}

/** A result completed with others: no dead-letter action to commit with it (those run alone, in their own transaction). */
function isBatchable(result: OutboxResult): boolean {
  return result.outcome !== 'DEAD' || (!result.replacement && !result.invalidRecipientPhone);
}

/** The columns of a batched completion's `VALUES` rows (see {@link completionRow}). */
const COMPLETION_COLUMNS = ['id', 'token', 'status', 'sent', 'pmid', 'rcode', 'next', 'ecode', 'err', 'ended', 'extend', 'finished'] as const;
const COMPLETION_TYPES = ['text', 'text', 'text', 'int', 'text', 'text', 'timestamp', 'text', 'text', 'int', 'int', 'timestamp'] as const;
/** The attempt and audit columns that follow them in PostgreSQL's single statement. */
const RECORD_COLUMNS = [
  ...['"attemptId"', 'attempt', 'started', 'outcome', 'acode', 'aerr'],
  ...['"auditId"', '"auditAt"', '"actorType"', '"actorId"', 'action', '"entityType"', '"entityId"', 'details'],
  ...['"deliveryId"', 'dchannel', 'daddress', 'dkind', 'dcontent', '"deliveredAt"'],
] as const;
const RECORD_TYPES = [
  ...(['text', 'int', 'timestamp', 'text', 'text', 'text'] as const),
  ...(['text', 'timestamp', 'text', 'text', 'text', 'text', 'text', 'text'] as const),
  ...(['text', 'text', 'text', 'text', 'json', 'timestamp'] as const),
];
/** The columns of a sandbox delivery written with its SENT outcome, as SQLite's INSERT binds them. */
const DELIVERY_TYPES = ['text', 'text', 'text', 'text', 'text', 'json', 'timestamp'] as const;

/** One result as a row of {@link COMPLETION_COLUMNS}: the outbox columns `completeOutboxOne` sets for it. */
function completionRow(result: OutboxResult): unknown[] {
  const sent = result.outcome === 'SENT';
  // Every outcome ends the attempt handed to the provider, except a reconciliation still waiting for it
  // and an UNCERTAIN hold (as completeOutboxOne).
  const ended = !((result.outcome === 'RETRY' && result.keepSendStarted) || result.outcome === 'UNCERTAIN');
  return [
    result.id,
    result.claimToken,
    result.outcome === 'RETRY' ? 'PENDING' : result.outcome,
    sent ? 1 : 0,
    sent ? result.providerMessageId : null,
    sent ? (result.responseCode ?? null) : null,
    result.outcome === 'RETRY' ? result.nextAttemptAt : null,
    sent ? null : result.errorCode,
    sent ? null : result.error,
    ended ? 1 : 0,
    result.outcome === 'RETRY' && result.extendBudget ? 1 : 0,
    result.finishedAt,
  ];
}

/** A DateTime column read by a raw query: PostgreSQL gives a Date, SQLite its stored number or text. */
function rawDate(value: Date | string | number | bigint | null): Date | null {
  if (value === null) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'string' && !/^\d+$/.test(value)) return new Date(value);
  return new Date(Number(value));
}
