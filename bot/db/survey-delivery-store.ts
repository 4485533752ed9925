import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { PrismaClient } from './client.js';
import type { CustomerRecord, NewOutboxMessage, SurveyFallback, UnopenedWechatSurvey } from '../core/ports.js';
import type { OutboundMessage } from '../core/messages.js';
import { isUniqueViolation, parseJson, toCustomerRecord, type PrismaStore } from './prisma-store.js';

type Tx = Prisma.TransactionClient;

const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;

/** Transactions lost to a concurrent holder of the same reply code are run again this many times. */
const REPLY_CODE_RETRIES = 3;

/**
 * Survey channel state over Prisma: reply codes, the "opened" mark and the SMS fallback. Every change
 * is conditional on the survey's current state (OPEN, not opened, no reply code yet), so two replicas
 * doing the same fallback enqueue one SMS; the unique `replyCode` and outbox key indexes back that up.
 */

/**
 * Picks, for each survey, the first candidate code that no survey holds and no earlier survey of
 * this call took. A concurrent transaction can still take the same code first: the unique index
 * then fails the insert, and callers run their transaction again (see `withReplyCodeRetry`).
 */
export async function pickReplyCodes(tx: Tx, wanted: readonly { surveyId: string; candidates: readonly string[] }[]): Promise<Map<string, string>> {
  const chosen = new Map<string, string>();
  if (wanted.length === 0) return chosen;
  const all = [...new Set(wanted.flatMap((w) => w.candidates))];
  const taken = new Set(
    (await tx.surveyInstance.findMany({ where: { replyCode: { in: all } }, select: { replyCode: true } })).map((r) => r.replyCode),
  );
  for (const w of wanted) {
    const code = w.candidates.find((c) => !taken.has(c));
    if (!code) throw new Error(`No free SMS reply code among ${w.candidates.length} candidates`);
    taken.add(code);
    chosen.set(w.surveyId, code);
  }
  return chosen;
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

class InviteBusy extends Error {}

/**
 * Applies a survey fallback inside `tx`: reply code, survey guard, optional cancel of the pending
 * WeChat invitation, the SMS row and the audit entry. Throws `InviteBusy` (rolling back) when the
 * WeChat invitation is being sent right now.
 */
export async function applySurveyFallback(tx: Tx, store: PrismaStore, fallback: SurveyFallback): Promise<boolean> {
  const code = (await pickReplyCodes(tx, [{ surveyId: fallback.surveyId, candidates: fallback.replyCodes }])).get(fallback.surveyId)!;
  // The guard: only an open survey with no SMS yet, and (for the unopened fallback) never opened.
  const { count } = await tx.surveyInstance.updateMany({
    where: { id: fallback.surveyId, status: 'OPEN', replyCode: null, ...(fallback.cancelPendingId ? { openedAt: null } : {}) },
    data: { replyCode: code },
  });
  if (count !== 1) return false;
  if (fallback.cancelPendingId) {
    // Cancel first, conditionally: a dispatcher can no longer claim it, and if one already has, the
    // customer may be receiving it now — wait for the next run rather than risk sending both.
    const cancelled = await tx.outboxMessage.updateMany({
      where: { id: fallback.cancelPendingId, status: 'PENDING' },
      data: { status: 'CANCELLED', lastErrorCode: 'REPLACED_BY_SMS', lastError: 'not opened in time: replaced by an SMS invitation' },
    });
    if (cancelled.count === 0) {
      const invite = await tx.outboxMessage.findUnique({ where: { id: fallback.cancelPendingId }, select: { status: true } });
      if (invite?.status === 'SENDING') throw new InviteBusy();
    }
  }
  await store.insertOutbox(tx, [withReplyCode(fallback.message, fallback.surveyId, code)], fallback.audit.at);
  await store.audit(tx, { ...fallback.audit, details: { ...fallback.audit.details, replyCode: code } });
  return true;
}

/** See `SurveyStore.commitSurveyFallback`. */
export async function commitSurveyFallback(prisma: PrismaClient, store: PrismaStore, fallback: SurveyFallback): Promise<'enqueued' | 'not_needed' | 'busy'> {
  try {
    const done = await withReplyCodeRetry(() => prisma.$transaction((tx) => applySurveyFallback(tx, store, fallback), TX_OPTIONS));
    return done ? 'enqueued' : 'not_needed';
  } catch (err) {
    if (err instanceof InviteBusy) return 'busy';
    throw err;
  }
}

/** See `SurveyStore.markSurveyOpened`. */
export async function markSurveyOpened(prisma: PrismaClient, surveyId: string, at: Date): Promise<boolean> {
  const { count } = await prisma.surveyInstance.updateMany({ where: { id: surveyId, openedAt: null }, data: { openedAt: at } });
  return count === 1;
}

/** See `SurveyStore.listUnopenedWechatSurveys`. */
export async function listUnopenedWechatSurveys(
  prisma: PrismaClient,
  input: { now: Date; sentBefore: Date; afterId: string | null; limit: number },
): Promise<UnopenedWechatSurvey[]> {
  // The (status, channel, sentAt) index narrows to open WeChat invitations sent before the cut-off; the
  // rest are row filters. `NOT (replyCode IS NOT NULL)` rather than `replyCode IS NULL`: SQLite would
  // otherwise drive the query from the unique replyCode index, whose NULLs are nearly every survey.
  const rows = await prisma.surveyInstance.findMany({
    where: {
      status: 'OPEN',
      channel: 'wechat',
      sentAt: { lte: input.sentBefore },
      expiresAt: { gt: input.now },
      openedAt: null,
      NOT: { replyCode: { not: null } },
      ...(input.afterId ? { id: { gt: input.afterId } } : {}),
    },
    orderBy: { id: 'asc' },
    take: input.limit,
    include: { customer: true, followUp: { select: { policyId: true, step: true } } },
  });
  if (rows.length === 0) return [];
  const followUpIds = rows.map((r) => r.followUpId).filter((id): id is string => id !== null);
  const invites = await prisma.outboxMessage.findMany({
    where: { followUpId: { in: followUpIds }, kind: 'survey_invite', channel: 'wechat', fallbackOfId: null },
    select: { id: true, idempotencyKey: true, status: true, payload: true },
  });
  const inviteOf = new Map<string, UnopenedWechatSurvey['invite']>();
  for (const i of invites) {
    const message = parseJson<OutboundMessage | null>(i.payload, null);
    if (message?.kind === 'survey_invite') inviteOf.set(message.surveyId, { id: i.id, idempotencyKey: i.idempotencyKey, status: i.status, message });
  }
  return rows.map((r) => ({
    surveyId: r.id,
    followUpId: r.followUpId,
    policyId: r.followUp?.policyId ?? null,
    step: r.followUp?.step ?? null,
    sentAt: r.sentAt ?? r.createdAt,
    customer: toCustomerRecord(r.customer),
    invite: inviteOf.get(r.id) ?? null,
  }));
}

/** See `SurveyStore.findWechatInviteSurvey`. */
export async function findWechatInviteSurvey(prisma: PrismaClient, outboxId: string): Promise<UnopenedWechatSurvey | null> {
  const invite = await prisma.outboxMessage.findUnique({ where: { id: outboxId }, select: { id: true, idempotencyKey: true, status: true, payload: true, channel: true, kind: true } });
  if (!invite || invite.channel !== 'wechat' || invite.kind !== 'survey_invite') return null;
  const message = parseJson<OutboundMessage | null>(invite.payload, null);
  if (message?.kind !== 'survey_invite') return null;
  const survey = await prisma.surveyInstance.findUnique({
    where: { id: message.surveyId },
    include: { customer: true, followUp: { select: { policyId: true, step: true } } },
  });
  if (!survey || survey.status !== 'OPEN' || survey.openedAt !== null || survey.replyCode !== null) return null;
  return {
    surveyId: survey.id,
    followUpId: survey.followUpId,
    policyId: survey.followUp?.policyId ?? null,
    step: survey.followUp?.step ?? null,
    sentAt: survey.sentAt ?? survey.createdAt,
    customer: toCustomerRecord(survey.customer),
    invite: { id: invite.id, idempotencyKey: invite.idempotencyKey, status: invite.status, message },
  };
}

/** See `OutboxStore.findCustomersByIds`. */
export async function findCustomersByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await prisma.customer.findMany({ where: { id: { in: [...ids] } } });
  return new Map(rows.map((r) => [r.id, toCustomerRecord(r)]));
}
