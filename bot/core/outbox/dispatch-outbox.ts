import { ChannelError, coerceError } from '../errors.js';
import type { MessageChannel, SendResult } from '../messages.js';
import type { ChannelName } from '../model.js';
import type { CoreDeps } from '../deps.js';
import type { ClaimedOutboxMessage } from '../ports/outbox.js';
import type { SurveyFallback } from '../ports/survey-fallbacks.js';
import type { CustomerRecord } from '../records.js';
import { retryDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { CONSENT_BLOCK_TEXT, customerIdOf, sendConsentBlock } from './send-consent.js';
import { ALL_CUSTOMER_CHANNELS, replyCodeCandidates, smsFallbackFor } from '../surveys/channel-chain.js';

export interface DispatchOptions {
  channels: Readonly<Record<ChannelName, MessageChannel>>;
  /** Messages claimed per round. */
  batchSize?: number;
  /** Rounds per call (a tick drains at most batchSize × maxBatches messages). */
  maxBatches?: number;
  /** Lease per claim: a dispatcher that dies mid-send frees its messages after this. */
  leaseMs?: number;
  /** Sends in flight at once. */
  concurrency?: number;
  backoff?: BackoffPolicy;
  /** Source of jitter in [0,1) (Math.random in production, fixed in tests). */
  jitter: () => number;
  /** Called after each attempt (for logging and metrics); must not throw. */
  onAttempt?: (event: {
    message: ClaimedOutboxMessage;
    outcome: 'SENT' | 'RETRY' | 'DEAD' | 'CANCELLED';
    error?: Error;
    providerMessageId?: string | null;
    /** CANCELLED: why the message was not sent (consent). DEAD: whether an SMS replacement was queued. */
    reason?: string;
    fallbackQueued?: boolean;
  }) => void;
}

export interface DispatchSummary {
  claimed: number;
  sent: number;
  retried: number;
  dead: number;
  /** Not sent because the customer's consent no longer allows it (opted out, consent withdrawn). */
  cancelled: number;
  /** Results dropped because the lease had passed to another dispatcher. */
  lostLease: number;
}

type DispatchDeps = Pick<CoreDeps, 'clock' | 'outbox' | 'customers' | 'tokens' | 'optOutScope' | 'customerChannels'>;

export const OUTBOX_LEASE_MS = 60_000;

/** Provider rate limits defer a message without using up its attempts, up to this many attempts in all. */
export const MAX_ATTEMPTS_WITH_DEFERRALS = 50;

/** An operator must fix credentials, IP allowlist or permissions: retry slowly meanwhile. */
export const AUTH_RETRY_DELAY_MS = 15 * 60_000;

/**
 * `ChannelError.providerCode` of a permanent failure meaning the customer's phone number is unusable
 * (malformed, unallocated, on the provider's do-not-disturb list): the message is DEAD and the
 * customer's phone is marked invalid, so no further SMS is sent to it.
 */
export const INVALID_NUMBER = 'INVALID_NUMBER';

/**
 * Sends due outbox messages. Each message is claimed with a lease and a claim token; its result is
 * recorded only if the token still matches, so a message is sent by one dispatcher at a time and a
 * dispatcher that dies between claim and send leaves it to be retried after the lease — never lost.
 * Retryable failures back off exponentially with jitter up to `maxAttempts`, then the message is DEAD;
 * permanent ones are DEAD at once; rate limits defer without using up attempts.
 */
export async function dispatchOutbox(deps: DispatchDeps, options: DispatchOptions): Promise<DispatchSummary> {
  const batchSize = options.batchSize ?? 200;
  const maxBatches = options.maxBatches ?? 50;
  const leaseMs = options.leaseMs ?? OUTBOX_LEASE_MS;
  const concurrency = options.concurrency ?? 8;
  const summary: DispatchSummary = { claimed: 0, sent: 0, retried: 0, dead: 0, cancelled: 0, lostLease: 0 };
  for (let round = 0; round < maxBatches; round++) {
    const claimToken = deps.tokens.token(12);
    const claimed = await deps.outbox.claimOutbox(deps.clock.now(), leaseMs, batchSize, claimToken);
    if (claimed.length === 0) break;
    summary.claimed += claimed.length;
    // Consent is checked again just before sending (an opt-out may have come in since the message was
    // queued): the batch's customers are read in one query.
    const customerIds = [...new Set(claimed.map((m) => customerIdOf(m.message)).filter((id): id is string => id !== null))];
    const customers = customerIds.length > 0 ? await deps.customers.findCustomersByIds(customerIds) : new Map<string, CustomerRecord>();
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) {
        const message = claimed[next++]!;
        const customerId = customerIdOf(message.message);
        const customer = customerId ? customers.get(customerId) : undefined;
        const blocked = customer ? sendConsentBlock(message.message, customer, deps.optOutScope ?? 'all') : null;
        if (blocked) await cancelOne(deps, options, message, summary, blocked);
        else await sendOne(deps, options, message, summary, customer);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, worker));
    if (claimed.length < batchSize) break;
  }
  return summary;
}

/** Records a message that consent no longer allows as CANCELLED, with the reason audited; nothing is sent. */
async function cancelOne(deps: DispatchDeps, options: DispatchOptions, message: ClaimedOutboxMessage, summary: DispatchSummary, reason: keyof typeof CONSENT_BLOCK_TEXT): Promise<void> {
  const at = deps.clock.now();
  const ok = await deps.outbox.completeOutbox({
    id: message.id,
    claimToken: message.claimToken,
    attempt: message.attempt,
    startedAt: at,
    finishedAt: at,
    outcome: 'CANCELLED',
    errorCode: reason,
    error: CONSENT_BLOCK_TEXT[reason],
    audit: {
      at,
      actorType: 'SYSTEM',
      actorId: null,
      action: 'outbox.cancelled',
      entityType: 'OutboxMessage',
      entityId: message.id,
      details: { reason, kind: message.message.kind, channel: message.channel, customerId: customerIdOf(message.message) },
    },
  });
  if (ok) summary.cancelled++;
  else summary.lostLease++;
  options.onAttempt?.({ message, outcome: 'CANCELLED', reason });
}

async function sendOne(
  deps: DispatchDeps,
  options: DispatchOptions,
  message: ClaimedOutboxMessage,
  summary: DispatchSummary,
  customer: CustomerRecord | undefined,
): Promise<void> {
  const channel = options.channels[message.channel];
  const startedAt = deps.clock.now();
  const base = { id: message.id, claimToken: message.claimToken, attempt: message.attempt, startedAt };
  let result: SendResult;
  try {
    if (!channel) throw new ChannelError('outbox', 'permanent', 'NO_CHANNEL', `No channel configured for "${message.channel}"`);
    result = await channel.send({ messageId: message.id, idempotencyKey: message.idempotencyKey, attempt: message.attempt, message: message.message });
  } catch (thrown) {
    await recordFailure(deps, options, message, summary, base, coerceError(thrown), customer);
    return;
  }
  // Outside the send's try: if recording fails (database down), the message must not be treated as
  // a failed send and retried at once — it stays leased and is retried only after the lease.
  const ok = await deps.outbox.completeOutbox({ ...base, finishedAt: deps.clock.now(), outcome: 'SENT', providerMessageId: result.providerMessageId });
  if (ok) summary.sent++;
  else summary.lostLease++;
  options.onAttempt?.({ message, outcome: 'SENT', providerMessageId: result.providerMessageId });
}

async function recordFailure(
  deps: DispatchDeps,
  options: DispatchOptions,
  message: ClaimedOutboxMessage,
  summary: DispatchSummary,
  base: { id: string; claimToken: string; attempt: number; startedAt: Date },
  err: Error,
  customer: CustomerRecord | undefined,
): Promise<void> {
  const channelError = err instanceof ChannelError ? err : null;
  // Unknown failures (network, bugs) are retried; so are auth/config errors, slowly, while an
  // operator fixes them (the error log says what to fix) — queued messages are not thrown away.
  const kind = channelError?.kind ?? 'retryable';
  const retryable = kind !== 'permanent';
  const deferral = kind === 'rate_limited' && message.attempt < MAX_ATTEMPTS_WITH_DEFERRALS;
  const errorCode = channelError?.providerCode ?? 'UNEXPECTED';
  const finishedAt = deps.clock.now();
  if (retryable && (deferral || message.attempt < message.maxAttempts)) {
    const hint = kind === 'auth' ? Math.max(AUTH_RETRY_DELAY_MS, channelError?.retryAfterMs ?? 0) : channelError?.retryAfterMs;
    const delay = retryDelayMs(message.attempt, options.jitter(), options.backoff ?? DEFAULT_BACKOFF, hint);
    const ok = await deps.outbox.completeOutbox({
      ...base,
      finishedAt,
      outcome: 'RETRY',
      nextAttemptAt: new Date(finishedAt.getTime() + delay),
      errorCode,
      error: err.message.slice(0, 500),
      extendBudget: deferral,
    });
    if (ok) summary.retried++;
    else summary.lostLease++;
    options.onAttempt?.({ message, outcome: 'RETRY', error: err });
  } else {
    const invalidRecipientPhone = errorCode === INVALID_NUMBER && (message.message.kind === 'survey_invite' || message.message.kind === 'customer_notice');
    const fallback = surveyFallbackOf(deps, message, customer, finishedAt, errorCode);
    const ok = await deps.outbox.completeOutbox({
      ...base,
      finishedAt,
      outcome: 'DEAD',
      errorCode,
      error: err.message.slice(0, 500),
      ...(invalidRecipientPhone ? { invalidRecipientPhone } : {}),
      ...(fallback ? { fallback } : {}),
    });
    if (ok) summary.dead++;
    else summary.lostLease++;
    options.onAttempt?.({ message, outcome: 'DEAD', error: err, fallbackQueued: ok && fallback !== null });
  }
}

/**
 * A WeChat survey invitation that failed for good is replaced by an SMS invitation (same survey and
 * link, a reply code), committed with the DEAD mark. None when the customer cannot receive SMS; the
 * store skips it when the survey is no longer open or already has its SMS.
 */
function surveyFallbackOf(deps: DispatchDeps, message: ClaimedOutboxMessage, customer: CustomerRecord | undefined, now: Date, errorCode: string): SurveyFallback | null {
  if (message.channel !== 'wechat' || message.message.kind !== 'survey_invite' || !customer) return null;
  const sms = smsFallbackFor(
    { id: message.id, idempotencyKey: message.idempotencyKey, message: message.message, followUpId: message.followUpId ?? null },
    customer,
    deps.customerChannels ?? ALL_CUSTOMER_CHANNELS,
    now,
  );
  if (!sms) return null;
  return {
    surveyId: message.message.surveyId,
    replyCodes: replyCodeCandidates(deps.tokens),
    message: sms,
    audit: {
      at: now,
      actorType: 'SYSTEM',
      actorId: null,
      action: 'survey.fallback',
      entityType: 'SurveyInstance',
      entityId: message.message.surveyId,
      details: { from: 'wechat', to: 'sms', reason: 'WECHAT_FAILED', errorCode, outboxId: message.id },
    },
  };
}
