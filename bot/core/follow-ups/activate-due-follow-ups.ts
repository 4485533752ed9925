import type { TaskCard } from '../messages.js';
import type { CoreDeps } from '../deps.js';
import type { FollowUpContext, NewOutboxMessage } from '../records.js';
import type { OrgSnapshot } from '../model.js';
import type { PolicyDefinition } from '../policies/types.js';
import { formatChineseDate, formatChineseDateTime, formatLocalDateTime } from '../time.js';
import { renderText } from '../templates/render.js';
import { applyOffset, resolveAssignee } from '../policies/plan-follow-ups.js';
import { contactRulesFor, nextContactMoment } from '../policies/contact-window.js';
import { findStep } from '../policies/find-step.js';
import { planReminderAt } from './reminders.js';
import { escalationRules } from '../escalation/rules.js';
import { isSecondFollowUpStep } from '../escalation/act-on-escalation.js';
import { staffFormLink, surveyLink } from '../surveys/survey-links.js';
import { ALL_CUSTOMER_CHANNELS, chainInviteKey, planSurveyChannels, replyCodeCandidates, surveyDeliveryOf, surveyInviteOn, type SurveyChannel } from '../surveys/channel-chain.js';
import { surveyConsentBlock } from '../outbox/send-consent.js';
import { NEVER_CUT_OFF, type JobCutoffSignal } from '../cutoff.js';
import { turnOfEventLoop } from '../turn-of-event-loop.js';

export interface ActivationSummary {
  claimed: number;
  activated: number;
  cancelled: number;
  /** Postponed: another follow-up of the case is still open, or the customer's contact cap is reached. */
  deferred: number;
  /** Rows another worker changed between claim and commit. */
  skipped: number;
}

/** How long a claimed batch is reserved for this worker; a crash frees it after this. */
export const ACTIVATION_LEASE_MS = 120_000;

/**
 * Follow-ups claimed per batch [50]. Each batch commits on its own, well inside the lease: a worker
 * restarted every few seconds still activates a batch per life, and a worker killed mid-batch strands
 * only this many until the lease passes (500 at a time made no progress at all in a crash loop).
 */
export const ACTIVATION_BATCH_SIZE = 50;

/** Follow-ups decided between two turns of the event loop while the previous batch commits (about a millisecond). */
const PLANNED_PER_TURN = 25;

/** The largest claim the adaptive size reaches [1,000]: at most this many stranded for a lease by a kill mid-batch. */
export const ACTIVATION_MAX_BATCH_SIZE = 1_000;

/**
 * A round (claim, plan, commit) that took less than this lets the next claim double [2 s]; one that took longer
 * halves it. Far inside the lease and inside a life of a crash-looping process (restarted every 20 s), whose
 * first round is still {@link ACTIVATION_BATCH_SIZE}.
 */
export const ACTIVATION_ROUND_TARGET_MS = 2_000;

/**
 * The next claim size: double after a round that finished within {@link ACTIVATION_ROUND_TARGET_MS}, halve after
 * a slower one, between {@link ACTIVATION_BATCH_SIZE} and {@link ACTIVATION_MAX_BATCH_SIZE}.
 */
export function nextClaimSize(current: number, roundMs: number): number {
  const next = roundMs <= ACTIVATION_ROUND_TARGET_MS ? current * 2 : Math.floor(current / 2);
  return Math.min(ACTIVATION_MAX_BATCH_SIZE, Math.max(ACTIVATION_BATCH_SIZE, next));
}

/**
 * Turns due follow-ups into messages: a WeCom task card for a staff task, a survey invitation for a
 * customer survey. Reconciles "everything due as of now": missed or repeated ticks are harmless, and
 * two workers never activate the same follow-up (claim lease + compare-and-set on version + unique
 * outbox key `fu:<id>:<n>` for activation n). A customer who opted out, has no consent or is deceased is never
 * contacted: the follow-up is cancelled with the reason.
 *
 * Claims start at {@link ACTIVATION_BATCH_SIZE} and grow while rounds complete quickly ({@link nextClaimSize}),
 * measured on `deps.clock`; `options.batchSize` fixes the size instead. At a fixed size or the largest one, the next
 * batch is claimed (and, unless its policies limit contacts, decided) while the previous one commits; commits stay
 * one after another, and a batch whose rules count committed contacts is decided after the previous commit.
 */
export async function activateDueFollowUps(deps: CoreDeps, options: { batchSize?: number; maxBatches?: number; cutoff?: JobCutoffSignal } = {}): Promise<ActivationSummary> {
  let batchSize = options.batchSize ?? ACTIVATION_BATCH_SIZE;
  const adaptive = options.batchSize === undefined;
  const maxBatches = options.maxBatches ?? 2_000;
  const summary: ActivationSummary = { claimed: 0, activated: 0, cancelled: 0, deferred: 0, skipped: 0 };
  const org = await deps.org.loadOrgSnapshot();
  // Cut off at the shutdown deadline (core/cutoff.ts): no further batch, and a batch not committed yet is handed back.
  const cutoff = options.cutoff ?? NEVER_CUT_OFF;
  // The previous batch's commit while it runs: the next claim is taken meanwhile (see `overlaps`).
  let committing: Promise<void> | null = null;
  const settle = async () => {
    const pending = committing;
    committing = null;
    if (pending) await pending;
  };
  try {
    for (let batch = 0; batch < maxBatches && !cutoff.signal.aborted; batch++) {
      const now = deps.clock.now();
      // The size of this claim: the previous batch's commit may change `batchSize` for the one after it meanwhile.
      const size = batchSize;
      const claim = deps.followUps.claimDueFollowUps(now, ACTIVATION_LEASE_MS, size);
      // A cut-off during the claim waits for it, then hands the batch back (the lease the claim set is now + lease).
      const handBack = () =>
        claim.then(
          (c) => deps.followUps.releaseFollowUpClaim(c.map((ctx) => ctx.followUp.id), new Date(now.getTime() + ACTIVATION_LEASE_MS), deps.clock.now()),
          () => 0,
        );
      const letGo = cutoff.hold('followUps', handBack);
      const claimed = await claim;
      // The previous batch's commit ends before this batch's rules count what is committed, and before this batch
      // commits. Should it fail, this claim is handed back at once rather than held for its lease.
      const afterPrevious = () =>
        settle().catch(async (error: unknown) => {
          letGo();
          await handBack().catch(() => 0);
          throw error;
        });
      if (claimed.length === 0 || cutoff.signal.aborted) {
        letGo();
        break;
      }
      summary.claimed += claimed.length;
      const limitsContacts = hasContactRules(deps, claimed);
      if (limitsContacts) await afterPrevious();
      const activations: Activation[] = [];
      // Decisions of this batch are committed together, so the rules also count what the batch itself activates.
      const batch: BatchContacts = { openCases: new Set(), contacts: new Map(), ...(await committedCounts(deps, claimed, now)) };
      let plannedSinceTurn = 0;
      for (const ctx of claimed) {
        // While the previous batch commits, its statements' answers are read between a few follow-ups.
        if (committing && ++plannedSinceTurn >= PLANNED_PER_TURN) {
          plannedSinceTurn = 0;
          await turnOfEventLoop();
        }
        const deferTo = deferral(deps, ctx, now, batch);
        const activation = deferTo ? defer(ctx, now, deferTo.until, deferTo.reason) : await planActivation(deps, ctx, org, now);
        // Only a policy with contact rules reads what the batch has activated (`deferral`).
        if (activation.status === 'ACTIVE' && limitsContacts) {
          batch.openCases.add(ctx.case.id);
          const key = `${ctx.customer.id}|${ctx.followUp.policyId}`;
          batch.contacts.set(key, (batch.contacts.get(key) ?? 0) + 1);
        }
        activations.push(activation);
      }
      await afterPrevious();
      // Cut off while deciding: nothing of this batch is committed (the cut-off hands it back).
      if (cutoff.signal.aborted) break;
      for (const a of activations) {
        if (a.status === 'ACTIVE') summary.activated++;
        else if (a.status === 'DEFERRED') summary.deferred++;
        else summary.cancelled++;
      }
      const last = claimed.length < size;
      const commit = deps.followUps.commitActivations(activations).then(({ skipped }) => {
        letGo();
        summary.skipped += skipped;
        summary.activated -= Math.min(skipped, summary.activated);
        if (adaptive) batchSize = nextClaimSize(size, deps.clock.now().getTime() - now.getTime());
      });
      if (last) {
        await commit;
        break;
      }
      committing = commit;
      // The next claim waits for this commit unless its size cannot depend on how long this round takes.
      if (!overlaps(adaptive, size)) await settle();
    }
  } finally {
    // A commit still running when the loop ends (cut-off, or an error in the next batch) is awaited, never abandoned.
    await settle();
  }
  return summary;
}

/**
 * Whether a policy of the claimed follow-ups limits contacts ({@link deferral}): only then do its decisions depend
 * on what the previous batch committed, so only then are they made after that commit.
 */
function hasContactRules(deps: CoreDeps, claimed: readonly FollowUpContext[]): boolean {
  return claimed.some((ctx) => {
    const policy = deps.policies.byId(ctx.followUp.policyId);
    return !!policy && (policy.oneOpenPerCase || !!policy.customerContactCap);
  });
}

/**
 * Whether the next claim may be taken while the batch just decided commits: on PostgreSQL the claim then runs on
 * another connection beside the commit (on SQLite it waits for the commit's transaction, as any statement does).
 * Only at a size the round's duration cannot change beforehand: a fixed size, or the largest adaptive one, whose
 * slow round then halves the claim after next instead of the next.
 */
function overlaps(adaptive: boolean, size: number): boolean {
  return !adaptive || size >= ACTIVATION_MAX_BATCH_SIZE;
}

type Activation = Parameters<CoreDeps['followUps']['commitActivations']>[0][number];

/** How long a follow-up waits before the next check when a policy rule holds it back. */
export const DEFERRAL_MS = 24 * 3_600_000;

/**
 * Policy rules checked at activation time: at most one open follow-up per case (P1: customers
 * were called repeatedly), and at most N contacts of a customer within a period. Only policies that
 * declare them pay for the extra queries.
 */
/** What the current batch has already decided to activate (not yet committed), and what was committed before it. */
interface BatchContacts {
  openCases: Set<string>;
  /** Activations per `customerId|policyId`. */
  contacts: Map<string, number>;
  /** Committed open (ACTIVE or OVERDUE) follow-ups per case, read once for the batch. */
  committedOpen: Map<string, number>;
  /** Committed contacts per `customerId|policyId` within the policy's cap period, read once for the batch. */
  committedContacts: Map<string, number>;
}

/** The window a policy's contact cap counts back from `now`. */
function capSince(deps: CoreDeps, cap: NonNullable<NonNullable<ReturnType<CoreDeps['policies']['byId']>>['customerContactCap']>, now: Date): Date {
  return applyOffset(now, { amount: -cap.per.amount, unit: cap.per.unit === 'working_days' ? 'days' : cap.per.unit }, { timeZone: deps.timeZone, calendar: deps.calendar });
}

/**
 * The committed counts the policy rules of a claimed batch need, in one read per rule and policy rather than one per
 * follow-up: the batch's decisions are committed together after the loop, so nothing changes them in between.
 */
async function committedCounts(deps: CoreDeps, claimed: readonly FollowUpContext[], now: Date): Promise<Pick<BatchContacts, 'committedOpen' | 'committedContacts'>> {
  const oneOpenCases = new Set<string>();
  const capped = new Map<string, Set<string>>();
  for (const ctx of claimed) {
    const policy = deps.policies.byId(ctx.followUp.policyId);
    if (!policy) continue;
    if (policy.oneOpenPerCase) oneOpenCases.add(ctx.case.id);
    if (policy.customerContactCap) capped.set(policy.id, (capped.get(policy.id) ?? new Set()).add(ctx.customer.id));
  }
  const committedOpen = oneOpenCases.size > 0 ? await deps.followUps.countOpenByCase([...oneOpenCases]) : new Map<string, number>();
  const committedContacts = new Map<string, number>();
  for (const [policyId, customers] of capped) {
    const cap = deps.policies.byId(policyId)!.customerContactCap!;
    const counts = await deps.followUps.countContactsByCustomer([...customers], policyId, capSince(deps, cap, now));
    for (const [customerId, n] of counts) committedContacts.set(`${customerId}|${policyId}`, n);
  }
  return { committedOpen, committedContacts };
}

function deferral(deps: CoreDeps, ctx: FollowUpContext, now: Date, batch: BatchContacts): { until: Date; reason: string } | null {
  const policy = deps.policies.byId(ctx.followUp.policyId);
  if (!policy) return null;
  const later = () => nextContactMoment(new Date(now.getTime() + DEFERRAL_MS), contactRulesFor(policy, ctx.followUp.step), { timeZone: deps.timeZone, calendar: deps.calendar });
  if (policy.oneOpenPerCase && (batch.openCases.has(ctx.case.id) || (batch.committedOpen.get(ctx.case.id) ?? 0) > 0)) {
    return { until: later(), reason: 'ONE_OPEN_PER_CASE' };
  }
  const cap = policy.customerContactCap;
  if (cap) {
    const key = `${ctx.customer.id}|${policy.id}`;
    if ((batch.contacts.get(key) ?? 0) + (batch.committedContacts.get(key) ?? 0) >= cap.max) {
      return { until: later(), reason: 'CUSTOMER_CONTACT_CAP' };
    }
  }
  return null;
}

function defer(ctx: FollowUpContext, now: Date, until: Date, reason: string): Activation {
  return {
    followUpId: ctx.followUp.id,
    version: ctx.followUp.version,
    now,
    status: 'DEFERRED',
    deferTo: until,
    outcomeNote: null,
    survey: null,
    outbox: [],
    audit: { at: now, actorType: 'SYSTEM', actorId: null, action: 'follow_up.deferred', entityType: 'FollowUp', entityId: ctx.followUp.id, details: { reason, until: until.toISOString() } },
  };
}

async function planActivation(deps: CoreDeps, ctx: FollowUpContext, org: OrgSnapshot, now: Date): Promise<Activation> {
  const { followUp, customer } = ctx;
  const base = { followUpId: followUp.id, version: followUp.version, now };
  // Activation n of this follow-up: numbers the card, its task id and its outbox key.
  const activation = followUp.activations + 1;
  const attempt = followUp.attempts + 1;
  const cancel = (reason: string): Activation => ({
    ...base,
    status: 'CANCELLED',
    outcomeNote: reason,
    survey: null,
    outbox: [],
    audit: { at: now, actorType: 'SYSTEM', actorId: null, action: 'follow_up.cancelled', entityType: 'FollowUp', entityId: followUp.id, details: { reason } },
  });
  // A second follow-up (二次回访) after an escalation still happens when the case itself is closed.
  if (ctx.case.status === 'CLOSED' && !isSecondFollowUpStep(followUp.step)) return cancel('CASE_CLOSED');
  if (customer.deceasedAt) return cancel('CUSTOMER_DECEASED');

  if (followUp.action === 'STAFF_TASK') {
    let assignee = followUp.assigneeId ? org.staff.get(followUp.assigneeId) : undefined;
    let reassignTo: Activation['reassignTo'];
    if (!assignee?.active) {
      // The planned assignee left or was deactivated since planning: apply the step's rules again
      // (their fallbacks: supervisor, department head …) rather than push a card nobody will see.
      const step = findStep(deps.policies.byId(followUp.policyId), followUp.step);
      const resolved = step ? resolveAssignee(step, ctx.case, org) : { id: null, rule: null };
      assignee = resolved.id ? org.staff.get(resolved.id) : undefined;
      if (!assignee) return cancel('NO_ASSIGNEE');
      reassignTo = { staffId: assignee.id, rule: resolved.rule ?? 'reassigned' };
    }
    const card = await buildTaskCard(deps, ctx, activation, attempt);
    const outbox: NewOutboxMessage = {
      idempotencyKey: `fu:${followUp.id}:${activation}`,
      channel: 'wecom',
      recipientType: 'staff',
      recipientId: assignee.id,
      followUpId: followUp.id,
      nextAttemptAt: now,
      message: { kind: 'task_card', to: { staffId: assignee.id, wecomUserId: assignee.wecomUserId }, card },
    };
    const policy = deps.policies.byId(followUp.policyId);
    const remindAt = planReminderAt(now, followUp.deadlineAt, policy?.reminder, deps.timeZone);
    return {
      ...base,
      status: 'ACTIVE',
      remindAt,
      ...(reassignTo ? { reassignTo } : {}),
      outcomeNote: null,
      survey: null,
      outbox: [outbox],
      audit: { at: now, actorType: 'SYSTEM', actorId: null, action: 'follow_up.activated', entityType: 'FollowUp', entityId: followUp.id, details: { assigneeId: assignee.id, attempt, activation } },
    };
  }

  // Customer survey: never to an opted-out customer (when the opt-out covers surveys), one who
  // declined surveys, or one no channel of the step's chain can reach.
  const blocked = surveyConsentBlock(customer, deps.optOutScope ?? 'all');
  if (blocked) return cancel(blocked);
  const step = findStep(deps.policies.byId(followUp.policyId), followUp.step);
  const channels = planSurveyChannels(surveyDeliveryOf(step), customer, deps.customerChannels ?? ALL_CUSTOMER_CHANNELS);
  if (!channels) return cancel(customer.phoneE164 || customer.wechatOpenId ? 'NO_REACHABLE_CHANNEL' : 'NO_PHONE');
  const surveyId = deps.ids.next();
  const token = deps.tokens.token(18);
  const link = await surveyLink(deps, token);
  const t = deps.templates.surveyInvite;
  const vars = {
    org: deps.organisationName,
    salutation: customer.salutation ?? renderText(t.salutationFallback, { surname: customer.name.slice(0, 1) }),
    date: formatChineseDate(ctx.case.occurredAt, deps.timeZone),
    dateTime: formatChineseDateTime(ctx.case.occurredAt, deps.timeZone),
    // The service the invitation is about (「您11月3日的投诉处理」).
    event: t.events[ctx.case.type] ?? t.eventDefault,
    link,
  };
  // The SMS may name the service differently (no medical words in SMS, docs/protocols/tencent-sms.md §4.4).
  const smsVars = { ...vars, event: t.sms.events[ctx.case.type] ?? vars.event };
  const key = `fu:${followUp.id}:${activation}`;
  const policy = deps.policies.byId(followUp.policyId);
  const rules = contactRulesFor(policy, followUp.step);
  const sms = {
    kind: 'survey_invite' as const,
    to: { customerId: customer.id, ...(customer.phoneE164 ? { phoneE164: customer.phoneE164 } : {}) },
    templateKey: 'survey_invite',
    params: t.sms.params.map((p) => String(smsVars[p])),
    // The customer reads the signature Tencent puts in front (docs/protocols/tencent-sms.md §4.3).
    text: `【${deps.organisationName}】${renderText(t.sms.text, smsVars)}`,
    link,
    surveyId,
    // Checked again when it leaves the outbox: the policy's windows, and no sending after the survey expired.
    contact: { ...(rules ? { rules } : {}), notAfter: followUp.deadlineAt.toISOString() },
  };
  const delivery = surveyDeliveryOf(step);
  // Every form the chain may need travels with each invitation (SMS text, WeChat wording and template
  // data, the chain itself), so a fallback can be built from whichever invitation did not arrive.
  const invitation = {
    ...sms,
    smsText: sms.text,
    // Read in WeChat (template message, or sent by the member through 客户联系): no SMS wording rules, with the link.
    chatText: renderText((t.wechat ?? t.sms).text, vars),
    ...(t.wechat ? { templateData: Object.fromEntries(Object.entries(t.wechat.data).map(([k, v]) => [k, renderText(v, vars)])) } : {}),
    chain: delivery.channels,
  };
  const invite = (channel: SurveyChannel, idempotencyKey: string): NewOutboxMessage => ({
    idempotencyKey,
    channel,
    recipientType: 'customer',
    recipientId: customer.id,
    followUpId: followUp.id,
    nextAttemptAt: now,
    // planSurveyChannels picked only channels the customer has an address on.
    message: surveyInviteOn(channel, invitation, customer)!,
  });
  const outbox = [invite(channels.primary, key), ...channels.also.map((c) => invite(c, chainInviteKey(key, c)))];
  const bySms = outbox.some((m) => m.channel === 'sms');
  return {
    ...base,
    status: 'ACTIVE',
    outcomeNote: null,
    survey: {
      id: surveyId,
      token,
      surveyKey: step?.surveyKey ?? 'satisfaction-5',
      expiresAt: followUp.deadlineAt,
      channel: channels.primary,
      ...(bySms ? { replyCodes: replyCodeCandidates(deps.tokens) } : {}),
    },
    outbox,
    audit: {
      at: now,
      actorType: 'SYSTEM',
      actorId: null,
      action: 'survey.sent',
      entityType: 'FollowUp',
      entityId: followUp.id,
      details: { surveyId, channel: channels.primary, ...(channels.also.length > 0 ? { alsoOn: channels.also } : {}) },
    },
  };
}

/**
 * Builds the staff task card. Shows the customer's name and masked phone only — no health details.
 * Its 详情 link opens the signed staff form of this activation (questionnaire, outcome, note).
 */
export async function buildTaskCard(
  deps: Pick<CoreDeps, 'templates' | 'timeZone' | 'publicBaseUrl' | 'policies' | 'links'>,
  ctx: FollowUpContext,
  activation: number,
  attempt: number,
): Promise<TaskCard> {
  const { followUp, customer } = ctx;
  const t = deps.templates.taskCard;
  const step = findStep(deps.policies.byId(followUp.policyId), followUp.step);
  const vars = {
    title: step?.title ?? followUp.step,
    customer: customer.salutation ?? customer.name,
    phone: customer.phoneMasked ?? deps.templates.labels.noPhone,
    deadline: formatLocalDateTime(followUp.deadlineAt, deps.timeZone),
    instructions: step?.instructions ?? '',
    caseType: ctx.case.type,
    attempt,
    maxAttempts: followUp.maxAttempts,
  };
  const key = (action: string) => `${action}:${followUp.id}:${activation}`;
  return {
    taskId: `fu_${followUp.id}_${activation}`,
    source: t.source,
    title: renderText(t.title, vars),
    description: renderText(t.description, vars),
    subtitle: renderText(t.subtitle, vars),
    fields: [
      { label: t.fields.customer, value: `${customer.name}` },
      { label: t.fields.phone, value: customer.phoneMasked ?? '—' },
      { label: t.fields.case, value: ctx.case.externalId },
      { label: t.fields.attempt, value: renderText(t.attemptField, vars) },
    ],
    buttons: [
      { key: key('satisfied'), text: t.buttons.satisfied, style: 1 },
      { key: key('dissatisfied'), text: t.buttons.dissatisfied, style: 3 },
      { key: key('unreachable'), text: t.buttons.unreachable, style: 2 },
      { key: key('reschedule'), text: t.buttons.reschedule, style: 4 },
      // Medical follow-ups (policies enabling MEDICAL_CONCERN): the nurse flags a worrying condition.
      ...(hasConcernButton(deps.policies.byId(followUp.policyId)) ? [{ key: key('concern'), text: t.buttons.concern, style: 3 as const }] : []),
    ],
    detailUrl: await staffFormLink(deps, followUp.id, activation),
  };
}

/** Per policy: whether its cards offer the concern button. Every card of a batch asks; the rules are worked out once. */
const concernButtons = new WeakMap<PolicyDefinition, boolean>();

function hasConcernButton(policy: PolicyDefinition | undefined): boolean {
  if (!policy) return !!escalationRules(undefined).triggers.MEDICAL_CONCERN;
  let has = concernButtons.get(policy);
  if (has === undefined) concernButtons.set(policy, (has = !!escalationRules(policy).triggers.MEDICAL_CONCERN));
  return has;
}
