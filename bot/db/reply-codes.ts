/**
 * SMS reply codes (Tencent `ExtendCode`) and the move of a survey to the next channel of its chain,
 * inside the caller's transaction. Every change is conditional on the survey's current state (OPEN,
 * not opened, no reply code yet, still on the channel replaced), so two replicas doing the same
 * fallback enqueue one invitation; the unique `replyCode` and outbox key indexes back that up.
 */
import type { IdGenerator } from '../core/clock.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { SurveyFallback } from '../core/ports/survey-fallbacks.js';
import { isUniqueViolation } from './rows.js';
import type { DbCapabilities } from './client.js';
import type { FixedSqlQueries } from './fixed-sql.js';
import { insertAudit, insertOutbox, selectIn, type AnyTx, type Tx } from './writes.js';

/** Transactions lost to a concurrent holder of the same reply code are run again this many times. */
const REPLY_CODE_RETRIES = 3;

/**
 * Picks, for each survey, a candidate code that no survey holds and no other survey of this call took: its first
 * candidate when that is free, else the first free one of the others. The first candidates are looked up together,
 * and only the surveys whose first was taken have their other candidates looked up (a second read, rarely needed):
 * a batch's look-up reads one code per survey rather than all of them. A concurrent transaction can still take the
 * same code first: the unique index then fails the insert, and callers run their transaction again (see
 * `withReplyCodeRetry`).
 */
export async function pickReplyCodes(
  tx: Tx,
  wanted: readonly { surveyId: string; candidates: readonly string[] }[],
): Promise<Map<string, string>>;
/** In a fixed-SQL transaction: the candidates are looked up in one statement a round (bot/db/json-rows.ts). */
export async function pickReplyCodes(
  tx: FixedSqlQueries,
  wanted: readonly { surveyId: string; candidates: readonly string[] }[],
  capabilities: DbCapabilities,
): Promise<Map<string, string>>;
export async function pickReplyCodes(
  tx: AnyTx,
  wanted: readonly { surveyId: string; candidates: readonly string[] }[],
  capabilities?: DbCapabilities,
): Promise<Map<string, string>> {
  if (wanted.length === 0) return new Map();
  // Codes surveys hold, among those looked up; a survey is only ever given a code looked up before.
  const held = new Set<string | null>();
  const looked = new Set<string>();
  const lookUp = async (codes: readonly string[]) => {
    const all = [...new Set(codes)].filter((code) => !looked.has(code));
    if (all.length === 0) return;
    for (const code of all) looked.add(code);
    const found =
      'surveyInstance' in tx
        ? (await tx.surveyInstance.findMany({ where: { replyCode: { in: all } }, select: { replyCode: true } })).map((r) => r.replyCode)
        : await selectIn(tx, capabilities!, 'SELECT "replyCode" AS v FROM "SurveyInstance" WHERE', '"replyCode"', all);
    for (const code of found) held.add(code);
  };
  // Each survey in turn takes the first of `candidatesOf` it that is neither held nor taken; the survey that finds
  // none, if one does.
  type Wanted = (typeof wanted)[number];
  const assign = (surveys: readonly Wanted[], candidatesOf: (w: Wanted) => readonly string[], chosen: Map<string, string>, taken: Set<string>): Wanted | null => {
    for (const w of surveys) {
      const code = candidatesOf(w).find((c) => !held.has(c) && !taken.has(c));
      if (!code) return w;
      taken.add(code);
      chosen.set(w.surveyId, code);
    }
    return null;
  };
  await lookUp(wanted.flatMap((w) => w.candidates.slice(0, 1)));
  const chosen = new Map<string, string>();
  const taken = new Set<string>();
  const rest = wanted.filter((w) => assign([w], (x) => x.candidates.slice(0, 1), chosen, taken) !== null);
  if (rest.length === 0) return chosen;
  await lookUp(rest.flatMap((w) => w.candidates.slice(1)));
  if (!assign(rest, (w) => w.candidates.slice(1), chosen, taken)) return chosen;
  // A survey whose other candidates the first ones took: every candidate read, each survey in turn takes its first
  // free one, as a single pass over all of them would.
  await lookUp(wanted.flatMap((w) => w.candidates));
  const again = new Map<string, string>();
  const stuck = assign(wanted, (w) => w.candidates, again, new Set());
  if (stuck) throw new Error(`No free SMS reply code among ${stuck.candidates.length} candidates`);
  return again;
}

/** The outbox message with `replyCode` set, if it is the SMS invitation of `surveyId`. */
export function withReplyCode(m: NewOutboxMessage, surveyId: string, replyCode: string): NewOutboxMessage {
  if (m.channel !== 'sms' || m.message.kind !== 'survey_invite' || m.message.surveyId !== surveyId) return m;
  return { ...m, message: { ...m.message, replyCode } };
}

/** Runs `fn` again when it lost a race for a reply code (unique violation), a few times. */
export async function withReplyCodeRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= REPLY_CODE_RETRIES) throw err;
    }
  }
}

/** Thrown (rolling the transaction back) when the WeChat invitation to replace is being sent right now. */
export class InviteBusyError extends Error {
  override readonly name = 'InviteBusyError';
}

/**
 * Applies a survey fallback inside `tx`: the survey guard and its move to the next channel (a reply
 * code for SMS), the optional cancel of the pending invitation replaced, the new invitation row and the
 * audit entry. Returns false when the survey no longer needs it; throws {@link InviteBusyError} when
 * the invitation replaced is being sent right now.
 */
export async function applySurveyFallback(tx: Tx, ids: IdGenerator, fallback: SurveyFallback): Promise<boolean> {
  const to = fallback.message.channel;
  const code = to === 'sms' ? (await pickReplyCodes(tx, [{ surveyId: fallback.surveyId, candidates: fallback.replyCodes }])).get(fallback.surveyId)! : null;
  // The guard: only an open survey with no SMS yet, still on the channel being replaced (so each hop of
  // the chain happens once), and (for the unopened fallback) never opened. A hop to another channel
  // restarts the survey's `sentAt`, from which that channel's own wait is counted.
  const { count } = await tx.surveyInstance.updateMany({
    where: { id: fallback.surveyId, status: 'OPEN', replyCode: null, channel: fallback.from, ...(fallback.cancelPendingId ? { openedAt: null } : {}) },
    data: code ? { replyCode: code, channel: to } : { channel: to, sentAt: fallback.audit.at },
  });
  if (count !== 1) return false;
  if (fallback.cancelPendingId) {
    // Cancel first, conditionally: a dispatcher can no longer claim it, and if one already has, the
    // customer may be receiving it now — wait for the next run rather than risk sending both.
    const cancelled = await tx.outboxMessage.updateMany({
      where: { id: fallback.cancelPendingId, status: 'PENDING' },
      data: { status: 'CANCELLED', lastErrorCode: `REPLACED_BY_${to.toUpperCase()}`, lastError: `not opened in time: replaced by an invitation on ${to}` },
    });
    if (cancelled.count === 0) {
      const invite = await tx.outboxMessage.findUnique({ where: { id: fallback.cancelPendingId }, select: { status: true } });
      if (invite?.status === 'SENDING') throw new InviteBusyError();
    }
  }
  await insertOutbox(tx, ids, [code ? withReplyCode(fallback.message, fallback.surveyId, code) : fallback.message], fallback.audit.at);
  await insertAudit(tx, ids, [{ ...fallback.audit, details: { ...fallback.audit.details, ...(code ? { replyCode: code } : {}) } }]);
  return true;
}
