import { ChannelError, coerceError } from '../errors.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult } from '../messages.js';
import type { ChannelName } from '../model.js';
import { safeEmit } from '../events.js';
import type { CoreDeps } from '../deps.js';
import type { ClaimedOutboxMessage, DeadLetterAction, DeadLetterHooks } from '../ports/outbox.js';
import type { CustomerRecord } from '../records.js';
import { retryDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { CONSENT_BLOCK_TEXT, customerIdOf, sendConsentBlock } from './send-consent.js';
import { DEFAULT_CONTACT_SETTINGS, contactTermsOf, lastStartOf, nextSendMoment, sendTiming, type CustomerContactSettings, type DeferralReason, type LastSurveyInvite } from './contact-hours.js';
import { addLocalDays, atLocalTime } from '../time.js';
import { holdBySharedWindows, surveyGapKey } from './shared-send-checks.js';
import { NEVER_CUT_OFF, type JobCutoffSignal } from '../cutoff.js';

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
  /**
   * What follows a message that died, by message kind (e.g. a survey invitation's SMS replacement, an
   * invalid phone marked): decided by the hook, committed with the DEAD mark. Kinds without a hook just die.
   */
  deadLetter?: DeadLetterHooks;
  /** Quiet hours and the gap between survey invitations [{@link DEFAULT_CONTACT_SETTINGS}]. */
  contact?: CustomerContactSettings;
  /**
   * The shutdown deadline's cut-off (core/cutoff.ts): once aborted no further message is taken, and
   * the round's messages whose send has not started go back to the queue at once.
   */
  cutoff?: JobCutoffSignal;
}

export interface DispatchSummary {
  claimed: number;
  sent: number;
  retried: number;
  dead: number;
  /** Not sent because the customer's consent no longer allows it (opted out, consent withdrawn). */
  cancelled: number;
  /** Customer messages held back to the next allowed moment (quiet hours, policy windows, survey gap). */
  deferred: number;
  /** Customer messages not sent because they could no longer leave before their deadline. */
  expired: number;
  /** Results dropped because the lease had passed to another dispatcher. */
  lostLease: number;
  /** Interrupted sends (a dispatcher died mid-send) the provider confirmed: recorded SENT, not sent again. */
  reconciled: number;
  /** Interrupted sends the provider could neither confirm nor rule out: held as UNCERTAIN for a person. */
  uncertain: number;
}

type DispatchDeps = Pick<CoreDeps, 'clock' | 'outbox' | 'windows' | 'customers' | 'tokens' | 'optOutScope' | 'events' | 'timeZone' | 'calendar' | 'smsDailyBudget'>;

export const OUTBOX_LEASE_MS = 60_000;

/**
 * Messages claimed per round [50]: a dispatcher killed mid-batch strands at most this many until the
 * lease passes, and each message's lease is renewed as its send starts, so a batch never outlives it.
 */
export const OUTBOX_BATCH_SIZE = 50;

/** Error code of a message whose interrupted send is still being reconciled with the provider. */
export const SEND_UNCONFIRMED = 'SEND_UNCONFIRMED';

/** How far deferrals by one rate limit are spread past the moment it names (so they do not all return at once). */
export const RATE_LIMIT_SPREAD_MS = 1_000;

/** Provider rate limits defer a message without using up its attempts, up to this many attempts in all. */
export const MAX_ATTEMPTS_WITH_DEFERRALS = 50;

/** An operator must fix credentials, IP allowlist or permissions: retry slowly meanwhile. */
export const AUTH_RETRY_DELAY_MS = 15 * 60_000;

/**
 * Sends due outbox messages. Each message is claimed with a lease and a claim token; its result is
 * recorded only if the token still matches, so a message is sent by one dispatcher at a time and a
 * dispatcher that dies between claim and send leaves it to be retried after the lease — never lost.
 * Retryable failures back off exponentially with jitter up to `maxAttempts`, then the message is DEAD;
 * permanent ones are DEAD at once; rate limits defer without using up attempts. Each recorded outcome
 * is emitted as an `outbox:*` event.
 *
 * A send is marked as handed to the provider (committed) before the call. A message claimed with that
 * mark but no outcome — its dispatcher died mid-send — is never sent blindly again: a recorded
 * delivery report or the channel's check with the provider decides (sent, safe to resend, ask again
 * later), and what neither can decide is held as UNCERTAIN for a person (`huifang outbox uncertain`).
 */
export async function dispatchOutbox(deps: DispatchDeps, options: DispatchOptions): Promise<DispatchSummary> {
  const batchSize = options.batchSize ?? OUTBOX_BATCH_SIZE;
  const maxBatches = options.maxBatches ?? 50;
  const leaseMs = options.leaseMs ?? OUTBOX_LEASE_MS;
  const concurrency = options.concurrency ?? 8;
  const contact = options.contact ?? DEFAULT_CONTACT_SETTINGS;
  const time = { timeZone: deps.timeZone, calendar: deps.calendar };
  const summary: DispatchSummary = { claimed: 0, sent: 0, retried: 0, dead: 0, cancelled: 0, deferred: 0, expired: 0, lostLease: 0, reconciled: 0, uncertain: 0 };
  const cutoff = options.cutoff ?? NEVER_CUT_OFF;
  const startClaim = (limit: number): RoundClaim => {
    const claimToken = deps.tokens.token(12);
    const rows = deps.outbox.claimOutbox(deps.clock.now(), leaseMs, limit, claimToken);
    // A claim made ahead of its round is awaited only once the round before it has settled.
    rows.catch(() => undefined);
    const release = () => rows.then(() => deps.outbox.releaseOutboxClaim(claimToken, deps.clock.now()), () => 0);
    // Until the round ends, a cut-off (after the claim, if it is still running) hands back what the
    // claim took and has not started sending.
    return { limit, rows, release, letGo: cutoff.hold('outbox', release) };
  };
  // The next round's claim, made while the current round's last messages are sending (see below).
  let ahead: RoundClaim | null = null;
  try {
    for (let round = 0; round < maxBatches && !cutoff.signal.aborted; round++) {
      const claim = ahead ?? startClaim(batchSize);
      ahead = null;
      const claimed = await claim.rows;
      if (claimed.length === 0) {
        claim.letGo();
        break;
      }
      summary.claimed += claimed.length;
      await sendRound(claimed, (unsettled) => {
        // Once the round's last message is taken, the next round is claimed while the last sends finish (as
        // soon as that claim can be half a batch or more), no larger than what leaves this dispatcher holding
        // one batch at most (the round's messages without a recorded outcome and the new claim together): a
        // dispatcher killed meanwhile strands no more than one batch. The next round's reads (consent, SMS
        // sent today) still wait until this round settles.
        if (ahead || round + 1 >= maxBatches || claimed.length < claim.limit || cutoff.signal.aborted) return;
        const limit = batchSize - unsettled;
        if (limit >= Math.ceil(batchSize / 2)) ahead = startClaim(limit);
      });
      claim.letGo();
      if (claimed.length < claim.limit) break;
    }
  } finally {
    // A claim made ahead of a round that will not run (a failed round, a cut-off) is handed back at once.
    const unused = ahead as RoundClaim | null;
    if (unused) {
      await unused.release().catch(() => 0);
      unused.letGo();
    }
  }
  return summary;

  /**
   * Sends one round's claimed messages; `nearEnd` is called as its last message is taken and as each outcome
   * is recorded after that, with how many of the round's messages have no recorded outcome yet. Resolves once
   * every outcome is recorded (throws the first failure to record one).
   */
  async function sendRound(claimed: ClaimedOutboxMessage[], nearEnd: (unsettled: number) => void): Promise<void> {
    let settled = 0;
    let next = 0;
    let open = true;
    // Once every message is taken, each outcome recorded may leave room for the next round's claim.
    const settle = () => {
      settled++;
      if (open && next === claimed.length) nearEnd(claimed.length - settled);
    };
    // Consent is checked again just before sending (an opt-out may have come in since the message was
    // queued): the batch's customers are read in one query. With them, at the same time: the customers'
    // last survey invitations within the gap (kept up to date as this batch sends more), and the SMS they
    // were sent today before this round.
    const customerIds = [...new Set(claimed.map((m) => customerIdOf(m.message)).filter((id): id is string => id !== null))];
    const [customers, lastInvites, smsSentBefore] = await Promise.all([
      customerIds.length > 0 ? deps.customers.findCustomersByIds(customerIds) : new Map<string, CustomerRecord>(),
      lastSurveyInvites(deps, claimed, contact),
      smsSentToday(deps, claimed),
    ]);
    // SMS handed to the provider in this round, by customer, on top of those SENT before it.
    const smsToday = new Map<string, number>();
    const recording = new OutcomeRecording();
    /** Handles one message: resolves with null once its outcome is recorded, or with the recording of its send's outcome still under way. */
    const handle = async (message: ClaimedOutboxMessage): Promise<{ recorded: Promise<void> } | null> => {
      // An attempt handed to the provider without a recorded outcome (its dispatcher died mid-send) is
      // reconciled first: sent blindly again, it could reach the customer twice.
      const customerId = customerIdOf(message.message);
      if (message.sendStartedAt) {
        const reconciled = await reconcileOne(deps, options, message, summary);
        // Recorded SENT in this round: it counts towards the customer's SMS budget like this round's sends.
        if (reconciled === 'sent' && customerId && message.channel === 'sms') smsToday.set(customerId, (smsToday.get(customerId) ?? 0) + 1);
        if (reconciled !== 'send') return null;
      }
      const customer = customerId ? customers.get(customerId) : undefined;
      const blocked = customer ? sendConsentBlock(message.message, customer, deps.optOutScope ?? 'all') : null;
      if (blocked) {
        await cancelOne(deps, message, summary, { code: blocked, text: CONSENT_BLOCK_TEXT[blocked], action: 'outbox.cancelled' });
        return null;
      }
      // Contact rules hold when the message leaves, not only when it was planned (contact-hours.ts).
      const timing = sendTiming(deps.clock.now(), message.message, contact, time, customerId ? lastInvites.get(customerId) : undefined);
      if (timing.kind === 'expired') {
        const text =
          timing.code === 'SEND_WINDOW_CLOSED'
            ? `not sent: its send window closed at ${timing.notAfter.toISOString()}`
            : `not sent: it could not leave before its deadline ${timing.notAfter.toISOString()}`;
        await cancelOne(deps, message, summary, { code: timing.code, text, action: 'outbox.expired' });
        return null;
      }
      if (timing.kind === 'later') {
        await deferOne(deps, message, summary, timing.at, timing.reason);
        return null;
      }
      // Recorded before anything is awaited, so a second invitation to the same customer in this batch waits.
      const previousInvite = customerId ? lastInvites.get(customerId) : undefined;
      if (customerId && message.message.kind === 'survey_invite') lastInvites.set(customerId, { surveyId: message.message.surveyId, sentAt: deps.clock.now() });
      // Takes that back when the invitation does not leave now after all.
      const undoInvite = () => {
        if (!customerId || message.message.kind !== 'survey_invite') return;
        if (previousInvite) lastInvites.set(customerId, previousInvite);
        else lastInvites.delete(customerId);
      };
      // One SMS budget per customer and day over every kind (Tencent's default: 2 per number a day):
      // an SMS over it waits for the next day's first allowed moment, or expires if that is too late.
      if (customer && message.channel === 'sms' && (await overSmsBudget(deps, customer.id, smsToday, smsSentBefore))) {
        undoInvite();
        const terms = contactTermsOf(message.message);
        const tomorrow = addLocalDays(atLocalTime(deps.clock.now(), '00:00', deps.timeZone), 1, deps.timeZone);
        const at = nextSendMoment(atLocalTime(tomorrow, SMS_BUDGET_RETRY_TIME, deps.timeZone), terms, contact.quietHours, time);
        const last = lastStartOf(terms);
        if (last && at.getTime() >= last.at.getTime()) {
          const what = last.code === 'SEND_WINDOW_CLOSED' ? 'its send window closes' : 'its deadline';
          await cancelOne(deps, message, summary, { code: last.code, text: `not sent: the customer's SMS budget is used up today and tomorrow is past ${what} ${last.at.toISOString()}`, action: 'outbox.expired' });
        } else await deferOne(deps, message, summary, at, 'SMS_DAILY_BUDGET');
        return null;
      }
      // The windows every replica shares (survey gap, SMS same content), reserved as the send happens.
      const held = await holdBySharedWindows(deps.windows, message, customerId, deps.clock.now(), contact, time);
      if (held) {
        undoInvite();
        if (customerId && smsToday.has(customerId)) smsToday.set(customerId, Math.max(0, smsToday.get(customerId)! - 1));
        await deferOne(deps, message, summary, held.at, held.reason);
        return null;
      }
      return sendOne(deps, options, message, summary, customer, recording);
    };
    const worker = async () => {
      while (next < claimed.length && !cutoff.signal.aborted && !recording.failed) {
        const message = claimed[next++]!;
        if (next === claimed.length) nearEnd(claimed.length - settled);
        const pending = await handle(message);
        if (pending) void pending.recorded.then(settle);
        else settle();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, () => recording.track(worker())));
    // Every outcome of the round is recorded (or the round failed) before the next round's messages are sent.
    try {
      await recording.settled();
    } finally {
      open = false;
    }
  }
}

/** A round's claim: its size asked, the claimed messages, and its hand-back (`release`, `letGo` as in JobCutoffSignal.hold). */
interface RoundClaim {
  limit: number;
  rows: Promise<ClaimedOutboxMessage[]>;
  release: () => Promise<number>;
  letGo: () => void;
}

/** The last survey invitation sent to each customer of the batch within the minimum gap (one query). */
async function lastSurveyInvites(deps: DispatchDeps, claimed: readonly ClaimedOutboxMessage[], contact: CustomerContactSettings): Promise<Map<string, LastSurveyInvite>> {
  if (contact.surveyMinGapMs <= 0) return new Map();
  const ids = [...new Set(claimed.filter((m) => m.message.kind === 'survey_invite').map((m) => customerIdOf(m.message)!))];
  if (ids.length === 0) return new Map();
  return deps.outbox.lastSurveyInvitesSent(ids, new Date(deps.clock.now().getTime() - contact.surveyMinGapMs));
}

/** When an SMS over the customer's daily budget is tried again: the next local day from this time (then the contact rules). */
export const SMS_BUDGET_RETRY_TIME = '09:00';

/** SMS sent today (business timezone) to each customer the round's SMS go to, read in one query at the round's start. */
interface SmsSentToday {
  dayStart: Date;
  sent: Map<string, number>;
}

/** {@link SmsSentToday} for the claimed SMS to customers; null when there is no budget or no such SMS. */
async function smsSentToday(deps: DispatchDeps, claimed: readonly ClaimedOutboxMessage[]): Promise<SmsSentToday | null> {
  if (deps.smsDailyBudget === undefined || deps.smsDailyBudget <= 0) return null;
  const ids = [...new Set(claimed.filter((m) => m.channel === 'sms').map((m) => customerIdOf(m.message)).filter((id): id is string => id !== null))];
  if (ids.length === 0) return null;
  const dayStart = atLocalTime(deps.clock.now(), '00:00', deps.timeZone);
  const counts = await deps.outbox.countCustomersSmsSince(ids.map((customerId) => ({ customerId, since: dayStart })));
  return { dayStart, sent: new Map(ids.map((id, i) => [id, counts[i]!])) };
}

/**
 * Whether one more SMS would exceed the customer's daily budget (`smsDailyBudget`): SMS sent today in
 * the business timezone before this round, every kind together, plus those this round is sending. Counts
 * this one when not. The SMS sent before the round are read once for the round's customers (`before`); a
 * round that runs into the next day asks again for that day.
 */
async function overSmsBudget(deps: DispatchDeps, customerId: string, running: Map<string, number>, before: SmsSentToday | null): Promise<boolean> {
  const budget = deps.smsDailyBudget;
  if (budget === undefined || budget <= 0) return false;
  const dayStart = atLocalTime(deps.clock.now(), '00:00', deps.timeZone);
  const taken = running.get(customerId) ?? 0;
  running.set(customerId, taken + 1);
  if (taken + 1 > budget) return true;
  const sentBefore =
    before && before.dayStart.getTime() === dayStart.getTime() && before.sent.has(customerId)
      ? before.sent.get(customerId)!
      : await deps.outbox.countCustomerSmsSince(customerId, dayStart);
  if (sentBefore + taken + 1 > budget) {
    running.set(customerId, taken);
    return true;
  }
  return false;
}

const DEFERRAL_TEXT: Readonly<Record<DeferralReason, string>> = {
  CONTACT_HOURS: 'held back: outside the hours the customer may be contacted',
  SURVEY_GAP: 'held back: the customer had another survey invitation recently',
  SMS_DAILY_BUDGET: "held back: the customer's SMS budget for the day is used up (HUIFANG_SMS_DAILY_BUDGET; Tencent's default is 2 per number a day)",
  SMS_SAME_CONTENT: 'held back: the same SMS went to this number less than 30 s ago (Tencent allows the same content once in 30 s)',
};

/**
 * Holds a customer message back until `at`: nothing was tried, so no attempt is used up (the budget
 * grows by one, as for a provider's rate limit).
 */
async function deferOne(deps: DispatchDeps, message: ClaimedOutboxMessage, summary: DispatchSummary, at: Date, reason: DeferralReason): Promise<void> {
  const now = deps.clock.now();
  const ok = await deps.outbox.completeOutbox({
    id: message.id,
    claimToken: message.claimToken,
    attempt: message.attempt,
    startedAt: now,
    finishedAt: now,
    outcome: 'RETRY',
    nextAttemptAt: at,
    errorCode: reason,
    error: DEFERRAL_TEXT[reason],
    extendBudget: true,
  });
  if (!ok) summary.lostLease++;
  else {
    summary.deferred++;
    safeEmit(deps.events, 'outbox:deferred', { message, reason, until: at, at: now });
  }
}

/**
 * Records a message that will never be sent as CANCELLED, with the reason audited: consent no longer
 * allows it, or its deadline passed before it could leave.
 */
async function cancelOne(deps: DispatchDeps, message: ClaimedOutboxMessage, summary: DispatchSummary, why: { code: string; text: string; action: 'outbox.cancelled' | 'outbox.expired' }): Promise<void> {
  const reason = why.code;
  const at = deps.clock.now();
  const ok = await deps.outbox.completeOutbox({
    id: message.id,
    claimToken: message.claimToken,
    attempt: message.attempt,
    startedAt: at,
    finishedAt: at,
    outcome: 'CANCELLED',
    errorCode: reason,
    error: why.text,
    audit: {
      at,
      actorType: 'SYSTEM',
      actorId: null,
      action: why.action,
      entityType: 'OutboxMessage',
      entityId: message.id,
      details: { reason, kind: message.message.kind, channel: message.channel, customerId: customerIdOf(message.message) },
    },
  });
  if (!ok) summary.lostLease++;
  else {
    if (why.action === 'outbox.expired') summary.expired++;
    else summary.cancelled++;
    safeEmit(deps.events, 'outbox:cancelled', { message, reason, at });
  }
}

/**
 * Decides what became of a message's interrupted send (`sendStartedAt` set, no outcome): a delivery
 * report already recorded for it, else the channel's check with the provider. `sent` is recorded SENT;
 * `wait` asks again later (the attempt stays marked); `unknown` holds the message as UNCERTAIN for a
 * person; `resend` lets the caller send it as usual ('send'). Returns 'sent' when the message was recorded
 * SENT here, else 'done'.
 */
async function reconcileOne(deps: DispatchDeps, options: DispatchOptions, message: ClaimedOutboxMessage, summary: DispatchSummary): Promise<'send' | 'sent' | 'done'> {
  const startedAt = message.sendStartedAt!;
  const now = deps.clock.now();
  const channel = options.channels[message.channel];
  const request: SendRequest = { messageId: message.id, idempotencyKey: message.idempotencyKey, attempt: message.attempt, message: message.message };
  let check: InterruptedSendCheck;
  if (message.deliveryReported) check = { verdict: 'sent', providerMessageId: null, evidence: 'a delivery report names this message' };
  else if (!channel?.checkInterruptedSend) check = { verdict: 'unknown', evidence: `the ${message.channel} channel cannot tell whether an interrupted send reached the provider` };
  else {
    try {
      check = await channel.checkInterruptedSend(request, startedAt, now);
    } catch (thrown) {
      const err = coerceError(thrown);
      const kind = err instanceof ChannelError ? err.kind : 'retryable';
      check =
        kind === 'permanent' || kind === 'auth'
          ? { verdict: 'unknown', evidence: `the provider could not be asked: ${err.message}` }
          : { verdict: 'wait', until: new Date(now.getTime() + retryDelayMs(1, options.jitter(), options.backoff ?? DEFAULT_BACKOFF)), evidence: `asking the provider failed: ${err.message}` };
    }
  }
  // Reconciling does not go on for ever: past the attempts a rate-limited message gets, a person decides.
  if (check.verdict === 'wait' && message.attempt >= MAX_ATTEMPTS_WITH_DEFERRALS) check = { verdict: 'unknown', evidence: `still unconfirmed after ${message.attempt} attempts: ${check.evidence}` };
  const base = { id: message.id, claimToken: message.claimToken, attempt: message.attempt, startedAt, finishedAt: now };
  switch (check.verdict) {
    case 'resend':
      return 'send';
    case 'sent': {
      const ok = await deps.outbox.completeOutbox({ ...base, outcome: 'SENT', providerMessageId: check.providerMessageId });
      if (!ok) {
        summary.lostLease++;
        return 'done';
      }
      summary.reconciled++;
      safeEmit(deps.events, 'outbox:sent', { message, providerMessageId: check.providerMessageId, at: now });
      return 'sent';
    }
    case 'wait': {
      const error = `send interrupted; not confirmed yet: ${check.evidence}`.slice(0, 500);
      const ok = await deps.outbox.completeOutbox({ ...base, outcome: 'RETRY', nextAttemptAt: check.until, errorCode: SEND_UNCONFIRMED, error, extendBudget: true, keepSendStarted: true });
      if (!ok) summary.lostLease++;
      else {
        summary.deferred++;
        safeEmit(deps.events, 'outbox:retried', { message, error: new Error(error), errorCode: SEND_UNCONFIRMED, nextAttemptAt: check.until, blocked: false, at: now });
      }
      return 'done';
    }
    case 'unknown': {
      const ok = await deps.outbox.completeOutbox({
        ...base,
        outcome: 'UNCERTAIN',
        errorCode: SEND_UNCONFIRMED,
        error: check.evidence.slice(0, 500),
        audit: {
          at: now,
          actorType: 'SYSTEM',
          actorId: null,
          action: 'outbox.uncertain',
          entityType: 'OutboxMessage',
          entityId: message.id,
          details: { kind: message.message.kind, channel: message.channel, customerId: customerIdOf(message.message), sendStartedAt: startedAt.toISOString(), evidence: check.evidence },
        },
      });
      if (!ok) summary.lostLease++;
      else {
        summary.uncertain++;
        safeEmit(deps.events, 'outbox:uncertain', { message, evidence: check.evidence, at: now });
      }
      return 'done';
    }
  }
}

async function sendOne(
  deps: DispatchDeps,
  options: DispatchOptions,
  message: ClaimedOutboxMessage,
  summary: DispatchSummary,
  customer: CustomerRecord | undefined,
  recording: OutcomeRecording,
): Promise<{ recorded: Promise<void> } | null> {
  const channel = options.channels[message.channel];
  const startedAt = deps.clock.now();
  const base = { id: message.id, claimToken: message.claimToken, attempt: message.attempt, startedAt };
  let result: SendResult;
  const mark = () => deps.outbox.markSendStarted(message.id, message.claimToken, startedAt, new Date(startedAt.getTime() + (options.leaseMs ?? OUTBOX_LEASE_MS)));
  // Committed before the provider is called, so a crash from here on leaves a trace the next claim
  // reconciles (reconcileOne) instead of sending again; it also renews the lease for this send. A provider
  // that drops a second send of the same message (`dropsDuplicateSends`, the sandbox) cannot be reached
  // twice whatever a crash leaves: there the mark runs alongside the call, and a claim found lost by it
  // drops the result as a lost lease (the other dispatcher's send of the message is the one recorded).
  const markAlongside = channel?.dropsDuplicateSends === true;
  if (channel && !markAlongside && !(await mark())) {
    summary.lostLease++;
    return null;
  }
  let marking: Promise<boolean> | null = null;
  try {
    if (!channel) throw new ChannelError('outbox', 'permanent', 'NO_CHANNEL', `No channel configured for "${message.channel}"`);
    let outbound = message.message;
    // An update Huifang decided itself (no tap, so no tap's code) uses the code WeCom returned with the
    // card, for the member the card went to (a handed-over escalation's card is its first owner's).
    // Taken once: if this attempt fails, a retry has none and the channel tells the member by text.
    if (outbound.kind === 'card_update' && outbound.responseCode === null && outbound.cardKey) {
      const taken = await deps.outbox.takeCardResponseCode(outbound.cardKey);
      if (taken) outbound = { ...outbound, responseCode: taken.responseCode, to: taken.to };
    }
    if (markAlongside) marking = mark();
    result = await channel.send({ messageId: message.id, idempotencyKey: message.idempotencyKey, attempt: message.attempt, message: outbound });
  } catch (thrown) {
    const err = coerceError(thrown);
    // Recorded while this worker goes on to its next message (see OutcomeRecording).
    const record = err instanceof ChannelError && err.outcomeUnknown && channel?.checkInterruptedSend
      ? () => recordInterrupted(deps, options, message, summary, base, err)
      : () => recordFailure(deps, options, message, summary, base, err, customer);
    return { recorded: recording.track(afterMark(marking, summary, record)) };
  }
  // Outside the send's try: if recording fails (database down), the message must not be treated as
  // a failed send and retried at once — it stays leased and is retried only after the lease.
  const finishedAt = deps.clock.now();
  const recorded = recording.track(
    afterMark(marking, summary, async () => {
      // A delivery the channel leaves to this commit (the sandbox's) is written with the outcome.
      const delivery = result.recordedDelivery ? { delivery: result.recordedDelivery } : {};
      const ok = await deps.outbox.completeOutbox({ ...base, finishedAt, outcome: 'SENT', providerMessageId: result.providerMessageId, responseCode: result.responseCode ?? null, ...delivery });
      if (!ok) summary.lostLease++;
      else {
        summary.sent++;
        safeEmit(deps.events, 'outbox:sent', { message, providerMessageId: result.providerMessageId, at: finishedAt });
      }
    }),
  );
  return { recorded };
}

/** Records an outcome once the send-started mark made alongside the call (if any) found the claim still held. */
async function afterMark(marking: Promise<boolean> | null, summary: DispatchSummary, record: () => Promise<void>): Promise<void> {
  if (marking && !(await marking)) {
    summary.lostLease++;
    return;
  }
  await record();
}

/**
 * The outcomes of a round's sends being recorded. A worker hands its send's outcome over and goes on to
 * its next message, so recording one message overlaps sending the next, and the outcomes of concurrent
 * sends are committed together (the store may batch them). Nothing is weakened: each outcome is still
 * recorded against its claim token and emitted once committed, the round waits for all of them before
 * the next round's reads and sends (its claim may already be under way: dispatchOutbox), and the first
 * failure (database down) stops the workers and fails the call, as before.
 */
class OutcomeRecording {
  #pending: Promise<void>[] = [];
  #failure: { error: unknown } | null = null;

  /** True once recording an outcome (or a worker) failed: the workers take no further message. */
  get failed(): boolean {
    return this.#failure !== null;
  }

  track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) => {
      this.#failure ??= { error };
    });
    this.#pending.push(tracked);
    return tracked;
  }

  /** Waits for every outcome tracked so far; throws the first failure. */
  async settled(): Promise<void> {
    while (this.#pending.length > 0) await Promise.all(this.#pending.splice(0));
    if (this.#failure) throw this.#failure.error;
  }
}

/**
 * A send whose request may have reached the provider (a timeout, a connection lost mid-request) is an
 * interrupted send, like one a crash cut: the attempt stays marked as handed to the provider, and the
 * next claim reconciles it (reconcileOne) instead of sending again — without that, a provider that
 * does not deduplicate (Tencent SMS) could text the customer twice.
 */
async function recordInterrupted(
  deps: DispatchDeps,
  options: DispatchOptions,
  message: ClaimedOutboxMessage,
  summary: DispatchSummary,
  base: { id: string; claimToken: string; attempt: number; startedAt: Date },
  err: ChannelError,
): Promise<void> {
  const finishedAt = deps.clock.now();
  const nextAttemptAt = new Date(finishedAt.getTime() + retryDelayMs(1, options.jitter(), options.backoff ?? DEFAULT_BACKOFF));
  const error = `send interrupted (${err.providerCode}), to be reconciled with the provider: ${err.message}`.slice(0, 500);
  const ok = await deps.outbox.completeOutbox({ ...base, finishedAt, outcome: 'RETRY', nextAttemptAt, errorCode: SEND_UNCONFIRMED, error, extendBudget: true, keepSendStarted: true });
  if (!ok) summary.lostLease++;
  else {
    summary.retried++;
    safeEmit(deps.events, 'outbox:retried', { message, error: err, errorCode: SEND_UNCONFIRMED, nextAttemptAt, blocked: false, at: finishedAt });
  }
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
  // An error the adapter cannot classify may cap the attempts (unknown provider codes: a few, not all).
  const maxAttempts = Math.min(message.maxAttempts, channelError?.maxAttempts ?? Number.POSITIVE_INFINITY);
  if (retryable && (deferral || message.attempt < maxAttempts)) {
    const hint = kind === 'auth' ? Math.max(AUTH_RETRY_DELAY_MS, channelError?.retryAfterMs ?? 0) : channelError?.retryAfterMs;
    // A rate-limit deferral waits the time the limit names (spread a little), not the exponential backoff of
    // failures: a backlog paced by WeCom's member cap defers a card once a minute, and ten deferrals must
    // not grow into an hour's wait.
    const delay =
      deferral && hint !== undefined
        ? hint + Math.round(options.jitter() * RATE_LIMIT_SPREAD_MS)
        : retryDelayMs(message.attempt, options.jitter(), options.backoff ?? DEFAULT_BACKOFF, hint);
    const nextAttemptAt = new Date(finishedAt.getTime() + delay);
    const ok = await deps.outbox.completeOutbox({
      ...base,
      finishedAt,
      outcome: 'RETRY',
      nextAttemptAt,
      errorCode,
      error: err.message.slice(0, 500),
      extendBudget: deferral,
    });
    if (!ok) summary.lostLease++;
    else {
      summary.retried++;
      safeEmit(deps.events, 'outbox:retried', { message, error: err, errorCode, nextAttemptAt, blocked: kind === 'auth', at: finishedAt });
    }
  } else {
    const hook = options.deadLetter?.[message.message.kind];
    const action: DeadLetterAction = hook ? hook({ message, errorCode, error: err, customer, now: finishedAt }) : {};
    const ok = await deps.outbox.completeOutbox({ ...base, finishedAt, outcome: 'DEAD', errorCode, error: err.message.slice(0, 500), ...action });
    if (!ok) summary.lostLease++;
    else {
      // An invitation that will never be sent gives the customer's survey gap back (its replacement,
      // the same survey by SMS, keeps it).
      const customerId = customerIdOf(message.message);
      if (message.message.kind === 'survey_invite' && customerId && !action.replacement) await deps.windows.release(surveyGapKey(customerId), message.message.surveyId);
      summary.dead++;
      safeEmit(deps.events, 'outbox:dead', { message, error: err, errorCode, replacementQueued: action.replacement !== undefined, at: finishedAt });
    }
  }
}
