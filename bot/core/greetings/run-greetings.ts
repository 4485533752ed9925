/**
 * The greeting use cases: plan the day, hand due greetings to the outbox, record how they ended, and
 * preview a day. Run by the `plan-greetings` job (every minute) and `huifang campaign`.
 *
 * When greetings reach the outbox: as they fall due, not when the day is planned. Planning (from the
 * first tick of the send day) fixes who is greeted, on which channel, and each greeting's time, spread
 * evenly over the window; each minute the rows due within the next {@link ENQUEUE_AHEAD_MS} are handed
 * to the outbox with `nextAttemptAt = scheduledAt`, so the dispatcher sends each at its time. Enqueueing
 * late rather than at planning means: consent and addresses are checked again minutes before sending (an
 * opt-out between planning and sending is honoured here and again by the dispatcher); a service that was
 * down over the window does not fire the whole day's backlog at once on restart — rows whose window has
 * passed are SKIPPED (`WINDOW_MISSED`), and a greeting still waiting in the outbox when the window closes
 * is cancelled: nothing is sent outside the window or in quiet hours.
 */
import { formatLocalDate } from '../time.js';
import { addDays, type LocalDate } from '../calendar/local-date.js';
import type { LunarConverter } from '../calendar/traditional-festivals.js';
import { MARKETING_HOURS, type GreetingCampaign, type GreetingChannel } from './campaign.js';
import { decideGreeting, segmentOf, skipReasonOfOutboxCode, type GreetingCustomer, type UsableChannels } from './eligibility.js';
import { planGreetingDay, periodOn, summarisePlan, type GreetingDayPlan, type OccasionPreview } from './plan-greetings.js';
import { greetingMessage } from './render-greeting.js';
import type { NewOutboxMessage } from '../records.js';
import type { GreetingCustomerQuery, GreetingRow, GreetingStore } from '../ports/greetings.js';
import { birthdayMonthDaysOn } from './occasions.js';

/** Greetings due within this much of now are handed to the outbox (with their own send time). */
export const ENQUEUE_AHEAD_MS = 5 * 60_000;
/** Retries of one greeting: few, since a late greeting is worse than none (the window closes anyway). */
export const GREETING_MAX_ATTEMPTS = 3;
/** A planned day is planned again this often, for customers added or changed during the day. */
export const REPLAN_EVERY_MS = 15 * 60_000;
const BATCH = 500;

/** What the greeting use cases need, built once by the composition root. */
export interface GreetingDeps {
  /** The campaigns of templates/campaigns, validated at start. */
  campaigns: readonly GreetingCampaign[];
  lunar: LunarConverter;
  /** Default price of one billed SMS in yuan (`HUIFANG_SMS_PRICE_PER_SEGMENT`); a campaign's own wins. */
  pricePerSegment: number | null;
  store: GreetingStore;
  timeZone: string;
  /** The SMS signature (`HUIFANG_ORG_NAME`). */
  org: string;
  /** Customer channels that reach customers (a sandboxed one next to a live one does not). */
  usable: UsableChannels;
}

export interface GreetingRunSummary {
  /** New rows: greetings planned, and audience customers skipped with a reason. */
  planned: number;
  skipped: number;
  /** Greetings handed to the outbox this run. */
  enqueued: number;
  /** Outcomes recorded this run. */
  sent: number;
  notSent: number;
  failed: number;
  /** WeChat greetings that failed and went by SMS instead. */
  smsFallbacks: number;
  /** Customers planning read from the store (0 on a tick whose days are planned and nobody changed). */
  customersRead: number;
}

/** One run of the job: plan today, enqueue what is due, record outcomes. */
export async function runGreetings(ctx: GreetingDeps, now: Date): Promise<GreetingRunSummary> {
  const summary: GreetingRunSummary = { planned: 0, skipped: 0, enqueued: 0, sent: 0, notSent: 0, failed: 0, smsFallbacks: 0, customersRead: 0 };
  await reconcileGreetings(ctx, now, summary);
  const planned = await planGreetings(ctx, now);
  summary.planned = planned.planned;
  summary.skipped = planned.skipped;
  summary.customersRead = planned.customersRead;
  await enqueueDueGreetings(ctx, now, summary);
  return summary;
}

/**
 * Plans today's greetings of every enabled campaign until its window ends; a day already planned is
 * planned again only every {@link REPLAN_EVERY_MS} (new customers). Several replicas may plan at once:
 * the unique (occasion, customer) keeps one row each.
 *
 * What is read is proportional to the greetings due, not to the customer table: a day whose occasions
 * are all birthdays reads only customers born on that month-day; once a run has planned the day
 * completely (`coveredAt`), later runs read only customers created or changed since (less
 * {@link CHANGE_MARGIN_MS}), and their rows for the day's occasions. `customersRead` counts the
 * customers the store returned.
 */
export async function planGreetings(ctx: GreetingDeps, now: Date): Promise<{ planned: number; skipped: number; customersRead: number; plans: GreetingDayPlan[] }> {
  const today = formatLocalDate(now, ctx.timeZone);
  const result = { planned: 0, skipped: 0, customersRead: 0, plans: [] as GreetingDayPlan[] };
  // Campaigns planned in the same run with the same query share one read.
  const reads = new Map<string, GreetingCustomer[]>();
  for (const campaign of ctx.campaigns) {
    if (!campaign.enabled) continue;
    const window = periodOn(today, campaign.window, ctx.timeZone);
    if (now >= window.end) continue;
    const probe = planGreetingDay({ campaign, sendDate: today, now, timeZone: ctx.timeZone, lunar: ctx.lunar, customers: [], existing: [], usable: ctx.usable });
    if (probe.occasions.length === 0) continue;
    // One replica plans a day at a time, at most every REPLAN_EVERY_MS, across restarts.
    const claim = await ctx.store.claimPlanningRun(campaign.key, today, now, REPLAN_EVERY_MS);
    if (!claim) continue;
    try {
      const query = customerQueryFor(probe, claim.coveredAt, now);
      const readKey = JSON.stringify(query);
      let customers = reads.get(readKey);
      if (!customers) {
        customers = await ctx.store.listCustomers(query);
        reads.set(readKey, customers);
        result.customersRead += customers.length;
      }
      // Nobody new or changed since the last complete run: nothing to plan.
      if (customers.length > 0 || query.changedSince === undefined) {
        const occasionKeys = probe.occasions.map((o) => o.occasionKey);
        // A few customers: their rows only; many (the whole table): every row of the occasions, without an id list.
        const narrowed = customers.length <= EXISTING_BY_ID_MAX;
        const plan = planGreetingDay({
          campaign,
          sendDate: today,
          now,
          timeZone: ctx.timeZone,
          lunar: ctx.lunar,
          customers,
          existing: await ctx.store.findByOccasions(occasionKeys, narrowed ? customers.map((c) => c.id) : undefined),
          usable: ctx.usable,
        });
        const inserted = await ctx.store.insertRows(campaign.key, plan.rows, now);
        result.planned += inserted.planned;
        result.skipped += inserted.skipped;
        result.plans.push(plan);
      }
      await ctx.store.completePlanningRun(campaign.key, today, now);
    } catch (error) {
      // Let the next tick (this replica or another) plan the day again at once.
      await ctx.store.releasePlanningRun(campaign.key, today, now, claim.previous);
      throw error;
    }
  }
  return result;
}

/**
 * Customers changed this long before the last complete run began are read again: the clocks of the
 * replicas and tools that write customers may differ a little, and a write may commit after the run read.
 */
export const CHANGE_MARGIN_MS = 5 * 60_000;
/** Up to this many customers read, planning reads their rows of the day's occasions by id. */
const EXISTING_BY_ID_MAX = 2000;

/** Which customers a campaign's day needs: birthday days only those born then; a covered day only changes. */
function customerQueryFor(probe: GreetingDayPlan, coveredAt: Date | null, now: Date): GreetingCustomerQuery {
  const query: GreetingCustomerQuery = {};
  if (probe.occasions.every((o) => o.occasion.kind === 'birthday')) query.birthdays = [...new Set(probe.occasions.flatMap((o) => birthdayMonthDaysOn(o.date)))].sort();
  // A coverage mark from the future (a clock set back) proves nothing: read everything again.
  if (coveredAt && coveredAt <= now) query.changedSince = new Date(coveredAt.getTime() - CHANGE_MARGIN_MS);
  return query;
}

/** Hands PLANNED greetings due within {@link ENQUEUE_AHEAD_MS} to the outbox, after a last consent check. */
export async function enqueueDueGreetings(ctx: GreetingDeps, now: Date, summary: GreetingRunSummary): Promise<void> {
  for (;;) {
    const rows = await ctx.store.listDueUnqueued(new Date(now.getTime() + ENQUEUE_AHEAD_MS), BATCH);
    if (rows.length === 0) return;
    const customers = await ctx.store.findCustomers(rows.map((r) => r.customerId));
    for (const row of rows) {
      const campaign = ctx.campaigns.find((c) => c.key === row.campaign);
      const end = windowEndOf(ctx, campaign, row);
      if (now >= end) {
        if (await ctx.store.finish(row, 'SKIPPED', 'WINDOW_MISSED', now)) summary.notSent++;
        continue;
      }
      const customer = customers.get(row.customerId);
      const occasion = campaign?.occasions.find((o) => o.key === occasionKeyName(row.occasionKey));
      const segment = campaign?.segments.find((s) => s.key === row.segment);
      if (!campaign || !customer || !occasion || !segment) {
        // The campaign file changed (segment or occasion removed) or the customer was deleted.
        if (await ctx.store.finish(row, 'SKIPPED', customer ? 'CAMPAIGN_CHANGED' : 'NO_ADDRESS', now)) summary.notSent++;
        continue;
      }
      const decision = decideGreeting(customer, campaign.channels, ctx.usable);
      if (!decision.send) {
        if (await ctx.store.finish(row, 'SKIPPED', decision.reason, now)) summary.notSent++;
        continue;
      }
      const message = outboxMessage(ctx, campaign, row, customer, decision.channel, `greeting:${row.occasionKey}:${row.customerId}`, row.scheduledAt);
      if (await ctx.store.enqueue(row, decision.channel, message, now)) summary.enqueued++;
    }
    if (rows.length < BATCH) return;
  }
}

/**
 * Records how queued greetings ended, from their outbox rows: SENT; cancelled by the dispatcher's consent
 * check or an opt-out (SKIPPED with the same reason); failed for good (FAILED — or, for WeChat, the same
 * greeting by SMS when the customer can receive it and the window is still open); still waiting when the
 * window closed (cancelled, SKIPPED `WINDOW_MISSED`) unless its send was begun and interrupted — then the
 * dispatcher settles it first.
 */
export async function reconcileGreetings(ctx: GreetingDeps, now: Date, summary: GreetingRunSummary): Promise<void> {
  let after: Date | null = null;
  for (;;) {
    const rows = await ctx.store.listQueued(now, BATCH);
    const todo = after ? rows.filter((r) => r.scheduledAt >= after!) : rows;
    if (todo.length === 0) return;
    const customers = await ctx.store.findCustomers(todo.filter((r) => r.outbox?.status === 'DEAD').map((r) => r.customerId));
    let progressed = false;
    for (const row of todo) {
      const campaign = ctx.campaigns.find((c) => c.key === row.campaign);
      const o = row.outbox;
      if (!o) {
        progressed = (await ctx.store.finish(row, 'FAILED', 'OUTBOX_MISSING', now)) || progressed;
        continue;
      }
      if (o.status === 'SENT') {
        if (await ctx.store.finish(row, 'SENT', null, now)) (summary.sent++, (progressed = true));
      } else if (o.status === 'CANCELLED') {
        if (await ctx.store.finish(row, 'SKIPPED', skipReasonOfOutboxCode(o.lastErrorCode), now)) (summary.notSent++, (progressed = true));
      } else if (o.status === 'DEAD') {
        const customer = customers.get(row.customerId);
        const open = now < windowEndOf(ctx, campaign, row);
        // Only rows queued on WeChat by earlier versions (planning no longer picks it): resend by SMS.
        if (campaign && customer && row.channel === 'wechat' && open && campaign.channels.includes('sms')) {
          const decision = decideGreeting(customer, ['sms'], ctx.usable);
          if (decision.send) {
            const message = { ...outboxMessage(ctx, campaign, row, customer, 'sms', `greeting:${row.occasionKey}:${row.customerId}:sms`, now), fallbackOfId: o.id };
            if (await ctx.store.enqueue(row, 'sms', message, now)) (summary.smsFallbacks++, (progressed = true));
            continue;
          }
        }
        if (await ctx.store.finish(row, 'FAILED', skipReasonOfOutboxCode(o.lastErrorCode), now)) (summary.failed++, (progressed = true));
      } else if (o.status === 'PENDING' && now >= windowEndOf(ctx, campaign, row)) {
        // A send begun and interrupted (`sendStartedAt` set) is left to the dispatcher, which asks the
        // provider whether it arrived: cancelled here, a 客户联系 task WeCom did create would stay with
        // the member, untracked. It ends SENT, or expires unsent (the message's `startBy`).
        if ((await ctx.store.cancelPending(o.id, now)) && (await ctx.store.finish(row, 'SKIPPED', 'WINDOW_MISSED', now))) (summary.notSent++, (progressed = true));
      }
    }
    // Rows still waiting (PENDING within their window, or being sent) stay PLANNED: page past them.
    if (rows.length < BATCH) return;
    if (!progressed) after = new Date(rows[rows.length - 1]!.scheduledAt.getTime() + 1);
  }
}

/** What `campaign preview` prints: the day's occasions with counts, SMS segments, cost and samples. */
export async function previewCampaign(ctx: GreetingDeps, campaign: GreetingCampaign, sendDate: LocalDate, now: Date): Promise<{ plan: GreetingDayPlan; occasions: OccasionPreview[] }> {
  // A future (or past) day is previewed as planned at its start; today as planned now.
  const planningNow = formatLocalDate(now, ctx.timeZone) === sendDate ? now : periodOn(sendDate, { start: 0, end: 1 }, ctx.timeZone).start;
  const probe = planGreetingDay({ campaign, sendDate, now: planningNow, timeZone: ctx.timeZone, lunar: ctx.lunar, customers: [], existing: [], usable: ctx.usable });
  if (probe.occasions.length === 0) return { plan: probe, occasions: [] };
  // The same customers planning reads for a whole day (birthday days: those born then).
  const customers = await ctx.store.listCustomers(customerQueryFor(probe, null, planningNow));
  const plan = planGreetingDay({
    campaign,
    sendDate,
    now: planningNow,
    timeZone: ctx.timeZone,
    lunar: ctx.lunar,
    customers,
    existing: await ctx.store.findByOccasions(probe.occasions.map((o) => o.occasionKey)),
    usable: ctx.usable,
  });
  const byId = new Map(customers.map((c) => [c.id, c]));
  return { plan, occasions: summarisePlan(plan, campaign, byId, { org: ctx.org, pricePerSegment: campaign.pricePerSegment ?? ctx.pricePerSegment }) };
}

/** The audience of a campaign among `customers` (for reports: who was considered). */
export function audienceOf(campaign: GreetingCampaign, customers: readonly GreetingCustomer[]): GreetingCustomer[] {
  return customers.filter((c) => segmentOf(campaign, c) !== null);
}

/** `spring_festival:2026` → `spring_festival` (and `laba:2026-12-27` → `laba`). */
export function occasionKeyName(occasionKey: string): string {
  return occasionKey.slice(0, occasionKey.indexOf(':') === -1 ? undefined : occasionKey.indexOf(':'));
}

function outboxMessage(
  ctx: GreetingDeps,
  campaign: GreetingCampaign,
  row: GreetingRow,
  customer: GreetingCustomer,
  channel: GreetingChannel,
  key: string,
  at: Date,
): NewOutboxMessage {
  const occasion = campaign.occasions.find((o) => o.key === occasionKeyName(row.occasionKey))!;
  const segment = campaign.segments.find((s) => s.key === row.segment)!;
  const message = greetingMessage({ campaign, segment, occasion, customer, channel, org: ctx.org });
  return {
    idempotencyKey: key,
    channel,
    recipientType: 'customer',
    recipientId: customer.id,
    followUpId: null,
    nextAttemptAt: at,
    maxAttempts: GREETING_MAX_ATTEMPTS,
    // No send begins after the window: the dispatcher expires the greeting then (SEND_WINDOW_CLOSED), and a
    // send begun before it and interrupted is still reconciled with the provider, never begun afresh late.
    message: message.kind === 'customer_notice' ? { ...message, contact: { ...message.contact, startBy: windowEndOf(ctx, campaign, row).toISOString() } } : message,
  };
}

/** The end of the row's send window (the campaign's window on the row's day; 22:00 if the campaign is gone). */
function windowEndOf(ctx: GreetingDeps, campaign: GreetingCampaign | undefined, row: GreetingRow): Date {
  const day = formatLocalDate(row.scheduledAt, ctx.timeZone);
  return periodOn(day, campaign?.window ?? MARKETING_HOURS, ctx.timeZone).end;
}

/** The local dates from `from` to `to`, both included. */
export function localDates(from: LocalDate, to: LocalDate): LocalDate[] {
  const out: LocalDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
