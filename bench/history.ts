// Fast bulk history for the tick benchmark: one INSERT … SELECT per table and chunk, generating rows
// in the database (PostgreSQL `generate_series`, SQLite a recursive CTE) instead of sending them.
// Every column is set explicitly; DateTime columns are written the way Prisma writes them (see the
// comment at the top of bot/db/client.ts): on SQLite ISO text `2026-11-23T10:00:00.000+00:00`, on
// PostgreSQL `timestamp(3)` holding UTC wall-clock time.
import type { DbProvider, PrismaClient } from '../bot/db/client.js';
import { BENCH_START, type Population } from './setup.js';

/** Seconds between two history rows (row n happened at base + n × STEP). */
const STEP_SECONDS = 15;
/** Rows per INSERT statement (bounds the size of one transaction / WAL growth). */
const CHUNK = 250_000;

export interface HistoryTiming {
  table: string;
  rows: number;
  ms: number;
}

/** SQL expression builders for one provider. */
interface Dialect {
  /** `INSERT INTO … SELECT <select> FROM seq [WHERE …]` over n in [from, to). */
  insert(table: string, columns: readonly string[], select: readonly string[], from: number, to: number, where?: string): string;
  pad(expr: string, width: number): string;
  /** The history instant `base + seconds` as the column stores it. */
  at(secondsExpr: string): string;
}

/** `YYYY-MM-DD HH:MM:SS` of a Date, in UTC. */
function sqlTimestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function dialect(provider: DbProvider, base: Date): Dialect {
  const baseText = sqlTimestamp(base);
  const columnList = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');
  if (provider === 'postgresql') {
    return {
      insert: (table, columns, select, from, to, where) =>
        `INSERT INTO "${table}" (${columnList(columns)}) SELECT ${select.join(', ')} FROM generate_series(${from}::bigint, ${to - 1}::bigint) AS seq(n)${where ? ` WHERE ${where}` : ''}`,
      pad: (expr, width) => `lpad((${expr})::text, ${width}, '0')`,
      at: (seconds) => `(TIMESTAMP '${baseText}' + (${seconds}) * INTERVAL '1 second')`,
    };
  }
  return {
    insert: (table, columns, select, from, to, where) =>
      `WITH RECURSIVE seq(n) AS (SELECT ${from} UNION ALL SELECT n + 1 FROM seq WHERE n < ${to - 1}) ` +
      `INSERT INTO "${table}" (${columnList(columns)}) SELECT ${select.join(', ')} FROM seq${where ? ` WHERE ${where}` : ''}`,
    pad: (expr, width) => `printf('%0${width}d', ${expr})`,
    // strftime's %f is SS.SSS: the result is exactly Prisma's `…T10:00:00.000+00:00`.
    at: (seconds) => `(strftime('%Y-%m-%dT%H:%M:%f', '${baseText}', '+' || (${seconds}) || ' seconds') || '+00:00')`,
  };
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Representative payloads (a survey invitation and a card action), ~400 and ~100 characters. */
const OUTBOX_PAYLOAD = JSON.stringify({
  kind: 'survey_invite',
  to: { customerId: 'BENCHCUS000000000000000001', phoneE164: '+8613700000001' },
  templateKey: 'survey_invite',
  params: ['回访中心', '王女士', '2026年12月25日', '出院', 'http://localhost:3000/s/Qm9vb2tzQW5kQ29mZmVl'],
  text: '【回访中心】王女士您好，感谢您2026年12月25日出院后对我们的信任。请为本次服务评分：http://localhost:3000/s/Qm9vb2tzQW5kQ29mZmVl 回复1-5分，回T退订',
  link: 'http://localhost:3000/s/Qm9vb2tzQW5kQ29mZmVl',
  surveyId: '01KBENCHSURVEY000000000000',
});
const INBOUND_PAYLOAD = JSON.stringify({ phoneE164: '+8613700000001', text: '5', receivedAt: '2026-12-26T02:00:00.000Z' });
const SAMPLING = JSON.stringify({ kept: true, reason: 'policy follows up every case (100 pct)' });

/** The instant history row 0 happened: far enough back that every history deadline has passed. */
export function historyBase(maxRows: number): Date {
  return new Date(new Date(BENCH_START).getTime() - (maxRows * STEP_SECONDS + 30 * 86_400) * 1_000);
}

/** The instant of the last history row when there are `maxRows` (deadlines fall up to 8 days after it). */
export function historyEnd(maxRows: number): Date {
  return new Date(historyBase(maxRows).getTime() + maxRows * STEP_SECONDS * 1_000);
}

/**
 * Inserts history rows n ∈ [from, to) into every table a tick reads: DONE follow-ups (70 % staff
 * tasks, 30 % surveys), their SENT outbox messages, ANSWERED/EXPIRED survey instances (30 %),
 * PROCESSED inbound events and audit entries. `maxRows` fixes the time base so that successive
 * calls continue the same timeline.
 */
export async function insertHistory(
  prisma: PrismaClient,
  provider: DbProvider,
  population: Population,
  from: number,
  to: number,
  maxRows: number,
): Promise<HistoryTiming[]> {
  const d = dialect(provider, historyBase(maxRows));
  const t = (extraSeconds: number) => d.at(`n * ${STEP_SECONDS}${extraSeconds ? ` + ${extraSeconds}` : ''}`);
  const staff = 'n % 10 < 7';
  const fuId = `'HISTFU' || ${d.pad('n', 20)}`;
  const caseIndex = `n % ${population.cases}`;
  const caseRef = `'BENCHCASE' || ${d.pad(caseIndex, 17)}`;
  const customerRef = `'BENCHCUS' || ${d.pad(`(${caseIndex}) % ${population.customers}`, 18)}`;
  const assignee = `CASE n % ${population.assigneeIds.length} ${population.assigneeIds.map((id, i) => `WHEN ${i} THEN ${quote(id)}`).join(' ')} END`;
  const ifStaff = (yes: string, no: string) => `CASE WHEN ${staff} THEN ${yes} ELSE ${no} END`;
  // (caseId, step) is unique and each case gets many history rows, so their steps are numbered per case:
  // `hist.<k>` for the case's k-th row. A month of history thus holds a few dozen distinct steps, as a
  // real organisation's packs do, not one step per follow-up (the monthly report has a row per step).
  const histStep = `'hist.' || (n / ${population.cases})`;

  const statements: { table: string; sql: (a: number, b: number) => string }[] = [
    {
      table: 'FollowUp',
      sql: (a, b) =>
        d.insert(
          'FollowUp',
          ['id', 'caseId', 'customerId', 'policyId', 'step', 'sequence', 'action', 'channel', 'status', 'assigneeId', 'assigneeRule', 'earliestAt', 'dueAt', 'deadlineAt',
            'attempts', 'maxAttempts', 'activations', 'sampling', 'outcome', 'outcomeNote', 'outcomeById', 'completedAt', 'activatedAt', 'overdueAt', 'leaseExpiresAt', 'version', 'createdAt', 'updatedAt'],
          [fuId, caseRef, customerRef, `'P4'`, histStep, '1', ifStaff(`'STAFF_TASK'`, `'CUSTOMER_SURVEY'`), ifStaff(`'wecom'`, `'sms'`), `'DONE'`,
            ifStaff(assignee, 'NULL'), ifStaff(`'responsible'`, 'NULL'), t(0), t(0), t(8 * 86_400),
            '1', ifStaff('3', '1'), '1', quote(SAMPLING), `CASE WHEN n % 20 = 0 THEN 'DISSATISFIED' ELSE 'SATISFIED' END`, 'NULL', ifStaff(assignee, 'NULL'), t(86_400), t(0), 'NULL', 'NULL', '2', t(0), t(86_400)],
          a, b,
        ),
    },
    {
      table: 'OutboxMessage',
      sql: (a, b) =>
        d.insert(
          'OutboxMessage',
          ['id', 'idempotencyKey', 'channel', 'kind', 'recipientType', 'recipientId', 'payload', 'status', 'attempts', 'maxAttempts', 'nextAttemptAt', 'leaseExpiresAt',
            'claimToken', 'providerMessageId', 'lastErrorCode', 'lastError', 'sentAt', 'followUpId', 'fallbackOfId', 'createdAt', 'updatedAt'],
          [`'HISTOB' || ${d.pad('n', 20)}`, `'fu:' || ${fuId} || ':1'`, ifStaff(`'wecom'`, `'sms'`), ifStaff(`'task_card'`, `'survey_invite'`), ifStaff(`'staff'`, `'customer'`),
            ifStaff(assignee, customerRef), quote(OUTBOX_PAYLOAD), `'SENT'`, '1', '8', t(0), 'NULL',
            'NULL', `'sandbox-H' || n`, 'NULL', 'NULL', t(2), fuId, 'NULL', t(0), t(2)],
          a, b,
        ),
    },
    {
      table: 'SurveyInstance',
      sql: (a, b) =>
        d.insert(
          'SurveyInstance',
          ['id', 'followUpId', 'customerId', 'surveyKey', 'token', 'status', 'sentAt', 'expiresAt', 'answeredAt', 'createdAt'],
          [`'HISTSV' || ${d.pad('n', 20)}`, fuId, customerRef, `'satisfaction-5'`, `'histtok' || n`, `CASE WHEN n % 10 = 9 THEN 'EXPIRED' ELSE 'ANSWERED' END`,
            t(0), t(10 * 86_400), `CASE WHEN n % 10 = 9 THEN NULL ELSE ${t(7_200)} END`, t(0)],
          a, b, 'NOT (n % 10 < 7)',
        ),
    },
    {
      table: 'InboundEvent',
      sql: (a, b) =>
        d.insert(
          'InboundEvent',
          ['id', 'source', 'dedupeKey', 'kind', 'payload', 'status', 'attempts', 'leaseExpiresAt', 'error', 'result', 'receivedAt', 'processedAt'],
          [`'HISTIN' || ${d.pad('n', 20)}`, ifStaff(`'wecom'`, `'sms'`), `'hist:' || n`, ifStaff(`'staff_card_action'`, `'sms_reply'`), quote(INBOUND_PAYLOAD), `'PROCESSED'`,
            '1', 'NULL', 'NULL', quote('{"status":"recorded"}'), t(3_600), t(3_601)],
          a, b,
        ),
    },
    {
      table: 'AuditLog',
      sql: (a, b) =>
        d.insert(
          'AuditLog',
          ['id', 'at', 'actorType', 'actorId', 'action', 'entityType', 'entityId', 'details'],
          [`'HISTAU' || ${d.pad('n', 20)}`, t(0), `'SYSTEM'`, 'NULL', ifStaff(`'follow_up.activated'`, `'survey.sent'`), `'FollowUp'`, fuId, quote('{"attempt":1}')],
          a, b,
        ),
    },
  ];

  const timings: HistoryTiming[] = [];
  for (const s of statements) {
    const started = performance.now();
    let rows = 0;
    for (let a = from; a < to; a += CHUNK) rows += await prisma.$executeRawUnsafe(s.sql(a, Math.min(to, a + CHUNK)));
    timings.push({ table: s.table, rows, ms: performance.now() - started });
  }
  if (provider === 'postgresql') {
    // Production autovacuum would have analysed tables of this size; do it now so plans are stable.
    const started = performance.now();
    for (const s of statements) await prisma.$executeRawUnsafe(`VACUUM ANALYZE "${s.table}"`);
    timings.push({ table: '(VACUUM ANALYZE)', rows: 0, ms: performance.now() - started });
  } else {
    // Fold the WAL back into the file so the first ticks do not pay for the checkpoint.
    const started = performance.now();
    await prisma.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
    timings.push({ table: '(wal_checkpoint)', rows: 0, ms: performance.now() - started });
  }
  return timings;
}

/** Rows of each history table (sanity check). */
export async function countHistory(prisma: PrismaClient): Promise<Record<string, number>> {
  const [followUps, outbox, surveys, inbound, audit] = await Promise.all([
    prisma.followUp.count(),
    prisma.outboxMessage.count(),
    prisma.surveyInstance.count(),
    prisma.inboundEvent.count(),
    prisma.auditLog.count(),
  ]);
  return { FollowUp: followUps, OutboxMessage: outbox, SurveyInstance: surveys, InboundEvent: inbound, AuditLog: audit };
}

/**
 * Inserts `count` SCHEDULED follow-ups that are not yet due (due 1–30 days after BENCH_START), as
 * a case creates them ahead of time: the claim must skip them without reading them.
 */
export async function insertBacklog(prisma: PrismaClient, provider: DbProvider, population: Population, count: number): Promise<HistoryTiming> {
  const d = dialect(provider, new Date(new Date(BENCH_START).getTime() + 86_400_000));
  const spread = Math.max(1, Math.floor((29 * 86_400) / Math.max(1, count)));
  const at = (extra: number) => d.at(`n * ${spread}${extra ? ` + ${extra}` : ''}`);
  const staff = 'n % 10 < 7';
  const ifStaff = (yes: string, no: string) => `CASE WHEN ${staff} THEN ${yes} ELSE ${no} END`;
  const caseIndex = `n % ${population.cases}`;
  const assignee = `CASE n % ${population.assigneeIds.length} ${population.assigneeIds.map((id, i) => `WHEN ${i} THEN ${quote(id)}`).join(' ')} END`;
  const created = provider === 'postgresql' ? `TIMESTAMP '${sqlTimestamp(new Date(BENCH_START))}'` : quote(new Date(BENCH_START).toISOString().replace('Z', '+00:00'));
  const started = performance.now();
  let rows = 0;
  for (let a = 0; a < count; a += CHUNK) {
    rows += await prisma.$executeRawUnsafe(
      d.insert(
        'FollowUp',
        ['id', 'caseId', 'customerId', 'policyId', 'step', 'sequence', 'action', 'channel', 'status', 'assigneeId', 'assigneeRule', 'earliestAt', 'dueAt', 'deadlineAt',
          'attempts', 'maxAttempts', 'activations', 'sampling', 'outcome', 'outcomeNote', 'outcomeById', 'completedAt', 'activatedAt', 'overdueAt', 'leaseExpiresAt', 'version', 'createdAt', 'updatedAt'],
        [`'FUTUFU' || ${d.pad('n', 20)}`, `'BENCHCASE' || ${d.pad(caseIndex, 17)}`, `'BENCHCUS' || ${d.pad(`(${caseIndex}) % ${population.customers}`, 18)}`, `'P4'`, `'future.' || n`, '1',
          ifStaff(`'STAFF_TASK'`, `'CUSTOMER_SURVEY'`), ifStaff(`'wecom'`, `'sms'`), `'SCHEDULED'`, ifStaff(assignee, 'NULL'), ifStaff(`'responsible'`, 'NULL'), at(0), at(0), at(8 * 86_400),
          '0', ifStaff('3', '1'), '0', quote(SAMPLING), 'NULL', 'NULL', 'NULL', 'NULL', 'NULL', 'NULL', 'NULL', '0', created, created],
        a, Math.min(count, a + CHUNK),
      ),
    );
  }
  if (provider === 'postgresql') await prisma.$executeRawUnsafe('VACUUM ANALYZE "FollowUp"');
  else await prisma.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
  return { table: 'FollowUp (SCHEDULED, not yet due)', rows, ms: performance.now() - started };
}
