/**
 * Plans one campaign's greetings for one send day, and summarises a plan for `campaign preview`. Pure:
 * the caller reads customers and existing rows, and stores the result (bot/core/greetings/run-greetings.ts).
 *
 * Timing: every greeting of the day gets a `scheduledAt` spread evenly over what is left of the send
 * window (09:00–11:00 …) in customer-id order, so the providers see a steady trickle instead of a burst
 * (Tencent's per-app caps, WeChat's daily quota) and a restarted or second planner never bunches them.
 */
import type { LunarConverter } from '../calendar/traditional-festivals.js';
import { addDays, type LocalDate } from '../calendar/local-date.js';
import { fromLocal } from '../time.js';
import type { DailyPeriod, GreetingCampaign, GreetingChannel } from './campaign.js';
import { decideGreeting, segmentOf, type GreetingCustomer, type GreetingSkipReason, type UsableChannels } from './eligibility.js';
import { isBirthdayOn, occasionDateFor, occasionsOn, type DatedOccasion } from './occasions.js';
import { renderGreeting, salutationFor, textFor } from './render-greeting.js';

/** A `GreetingDelivery` row as planning reads it. */
export interface ExistingGreeting {
  occasionKey: string;
  customerId: string;
  campaign: string;
  status: 'PLANNED' | 'SENT' | 'SKIPPED' | 'FAILED';
  skipReason: string | null;
  channel: string | null;
  segment: string | null;
}

/** A row to insert: unique on (occasionKey, customerId) — a second planner's insert of it is a no-op. */
export interface NewGreetingRow {
  occasionKey: string;
  customerId: string;
  status: 'PLANNED' | 'SKIPPED';
  skipReason: GreetingSkipReason | null;
  channel: GreetingChannel | null;
  segment: string;
  scheduledAt: Date;
}

export interface GreetingDayPlan {
  campaign: string;
  sendDate: LocalDate;
  occasions: DatedOccasion[];
  window: { start: Date; end: Date };
  /** `now` was past the end of the window: nothing is planned (a late greeting is not sent). */
  windowPassed: boolean;
  rows: NewGreetingRow[];
  /**
   * Audience customers another campaign already has a row for (one greeting per customer and occasion):
   * greeted by it, or skipped by it with its reason.
   */
  alreadyGreeted: { occasionKey: string; customerId: string; campaign: string; status: ExistingGreeting['status']; skipReason: string | null }[];
  /** Rows this campaign planned earlier (another run, another replica). */
  existing: ExistingGreeting[];
}

export interface PlanGreetingDayInput {
  campaign: GreetingCampaign;
  sendDate: LocalDate;
  now: Date;
  timeZone: string;
  lunar: LunarConverter;
  /** Every customer that could be in the audience (the caller may pre-filter). */
  customers: readonly GreetingCustomer[];
  /** Rows of the day's occasion keys, any campaign. */
  existing: readonly ExistingGreeting[];
  usable: UsableChannels;
}

/** The instants of a daily period on a local date (the end on the next day when it wraps). */
export function periodOn(date: LocalDate, period: DailyPeriod, timeZone: string): { start: Date; end: Date } {
  const at = (d: LocalDate, minute: number) => {
    const [year, month, day] = d.split('-').map(Number) as [number, number, number];
    return fromLocal({ year, month, day, hour: Math.floor(minute / 60), minute: minute % 60, second: 0 }, timeZone);
  };
  return { start: at(date, period.start), end: at(period.end > period.start ? date : addDays(date, 1), period.end) };
}

/** `count` instants spread evenly over `[from, to)`, the first at `from`, whole seconds. */
export function spreadEvenly(count: number, from: Date, to: Date): Date[] {
  const span = Math.max(0, to.getTime() - from.getTime());
  const step = count > 0 ? span / count : 0;
  return Array.from({ length: count }, (_, i) => new Date(Math.floor((from.getTime() + i * step) / 1000) * 1000));
}

/** The occasions a campaign greets with messages sent on `sendDate`. */
export function occasionsSentOn(campaign: GreetingCampaign, sendDate: LocalDate, lunar: LunarConverter): DatedOccasion[] {
  return occasionsOn(campaign, occasionDateFor(sendDate, campaign.sendDay), lunar);
}

/**
 * Decides the day's greetings of one campaign: for each occasion sent that day (birthdays: the customers
 * born on the occasion's day), each audience customer without a row for the occasion gets a PLANNED row
 * (channel, segment, time in the window) or a SKIPPED row with the reason. Customers another campaign
 * greets for the occasion are reported, not planned: one greeting per customer and occasion.
 */
export function planGreetingDay(input: PlanGreetingDayInput): GreetingDayPlan {
  const { campaign, sendDate, now, timeZone } = input;
  const window = periodOn(sendDate, campaign.window, timeZone);
  const occasions = occasionsSentOn(campaign, sendDate, input.lunar);
  const plan: GreetingDayPlan = { campaign: campaign.key, sendDate, occasions, window, windowPassed: now >= window.end, rows: [], alreadyGreeted: [], existing: [] };
  if (occasions.length === 0) return plan;
  const byKey = new Map<string, ExistingGreeting>();
  for (const e of input.existing) byKey.set(`${e.occasionKey}\u0000${e.customerId}`, e);
  const customers = [...input.customers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const planned: NewGreetingRow[] = [];
  for (const dated of occasions) {
    for (const customer of customers) {
      if (dated.occasion.kind === 'birthday' && !isBirthdayOn(customer.birthday, dated.date)) continue;
      const segment = segmentOf(campaign, customer);
      if (!segment) continue;
      const existing = byKey.get(`${dated.occasionKey}\u0000${customer.id}`);
      if (existing) {
        if (existing.campaign === campaign.key) plan.existing.push(existing);
        else plan.alreadyGreeted.push({ occasionKey: dated.occasionKey, customerId: customer.id, campaign: existing.campaign, status: existing.status, skipReason: existing.skipReason });
        continue;
      }
      if (plan.windowPassed) continue;
      const decision = decideGreeting(customer, campaign.channels, input.usable);
      const row: NewGreetingRow = {
        occasionKey: dated.occasionKey,
        customerId: customer.id,
        status: decision.send ? 'PLANNED' : 'SKIPPED',
        skipReason: decision.send ? null : decision.reason,
        channel: decision.send ? decision.channel : null,
        segment: segment.key,
        scheduledAt: window.start,
      };
      if (decision.send) planned.push(row);
      plan.rows.push(row);
    }
  }
  const from = now > window.start ? now : window.start;
  spreadEvenly(planned.length, from, window.end).forEach((at, i) => (planned[i]!.scheduledAt = at));
  return plan;
}

/** What `campaign preview` prints for one occasion. */
export interface OccasionPreview {
  occasionKey: string;
  name: string;
  date: LocalDate;
  sendDate: LocalDate;
  window: { start: Date; end: Date };
  /** Greetings that will go (or went) out, by channel. */
  byChannel: Record<GreetingChannel, number>;
  /** Audience customers who get nothing, by reason. */
  skipped: Partial<Record<GreetingSkipReason | string, number>>;
  /** Greetings by segment. */
  bySegment: Record<string, number>;
  /** Billed SMS messages of the SMS greetings (Tencent's `Fee`). */
  smsSegments: number;
  /** `smsSegments` × price per segment, in yuan; null without a price. */
  estimatedCost: number | null;
  /** Greetings per minute of the window. */
  perMinute: number;
  samples: { customer: string; address: string; channel: GreetingChannel; segment: string; text: string; smsSegments: number }[];
}

/**
 * Summarises a day plan per occasion: new and earlier rows of this campaign together, so a preview taken
 * after planning still agrees with what is sent. `pricePerSegment` in yuan (null: no estimate).
 */
export function summarisePlan(
  plan: GreetingDayPlan,
  campaign: GreetingCampaign,
  customers: ReadonlyMap<string, GreetingCustomer>,
  options: { org: string; pricePerSegment: number | null; samples?: number },
): OccasionPreview[] {
  const sampleCount = options.samples ?? 3;
  return plan.occasions.map((dated) => {
    const p: OccasionPreview = {
      occasionKey: dated.occasionKey,
      name: dated.occasion.name,
      date: dated.date,
      sendDate: plan.sendDate,
      window: plan.window,
      byChannel: { wechat: 0, sms: 0, wecom_contact: 0 },
      skipped: {},
      bySegment: {},
      smsSegments: 0,
      estimatedCost: null,
      perMinute: 0,
      samples: [],
    };
    const rows = [
      ...plan.rows.filter((r) => r.occasionKey === dated.occasionKey),
      ...plan.existing.filter((r) => r.occasionKey === dated.occasionKey),
    ];
    for (const r of rows) {
      const going = r.status === 'PLANNED' || r.status === 'SENT';
      if (!going) {
        const reason = r.skipReason ?? r.status;
        p.skipped[reason] = (p.skipped[reason] ?? 0) + 1;
        continue;
      }
      const channel = (r.channel === 'wechat' || r.channel === 'wecom_contact' ? r.channel : 'sms') as GreetingChannel;
      p.byChannel[channel]++;
      const segmentKey = r.segment ?? '?';
      p.bySegment[segmentKey] = (p.bySegment[segmentKey] ?? 0) + 1;
      const customer = customers.get(r.customerId);
      const segment = campaign.segments.find((s) => s.key === segmentKey);
      if (!customer || !segment) continue;
      const rendered = renderGreeting(
        textFor(segment, dated.occasion),
        { salutation: salutationFor(customer, campaign.fallbackSalutation), occasion: dated.occasion.name },
        options.org,
      );
      if (channel === 'sms') p.smsSegments += rendered.sms.segments;
      if (p.samples.length < sampleCount) {
        p.samples.push({
          customer: salutationFor(customer, campaign.fallbackSalutation),
          address: channel === 'sms' ? (customer.phoneMasked ?? '***') : channel === 'wecom_contact' ? `wecom contact of ${customer.wecomFollowUserId ?? '?'}` : `openid …${(customer.wechatOpenId ?? '').slice(-4)}`,
          channel,
          segment: segmentKey,
          text: channel === 'wecom_contact' ? rendered.chatText : rendered.text,
          smsSegments: channel === 'sms' ? rendered.sms.segments : 0,
        });
      }
    }
    for (const g of plan.alreadyGreeted) {
      if (g.occasionKey !== dated.occasionKey) continue;
      const reason = g.status === 'SKIPPED' || g.status === 'FAILED' ? (g.skipReason ?? g.status) : 'ALREADY_GREETED';
      p.skipped[reason] = (p.skipped[reason] ?? 0) + 1;
    }
    const minutes = (plan.window.end.getTime() - plan.window.start.getTime()) / 60_000;
    p.perMinute = minutes > 0 ? Math.ceil(((p.byChannel.sms + p.byChannel.wechat) / minutes) * 10) / 10 : 0;
    p.estimatedCost = options.pricePerSegment === null ? null : Math.round(p.smsSegments * options.pricePerSegment * 100) / 100;
    return p;
  });
}
