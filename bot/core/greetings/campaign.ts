/**
 * Greeting campaigns (节日与生日问候) as the planner sees them, after templates/campaigns/*.yaml was
 * loaded and validated (bot/loaders/load-campaigns.ts). Pure data: no I/O.
 */
import type { FestivalDefinition } from '../calendar/traditional-festivals.js';
import type { Sector } from '../sms/sms-sectors.js';

/**
 * Customer channels of greeting rows. Only SMS carries greetings: WeChat template messages may not carry
 * marketing (docs/protocols/wechat.md §2.3), so campaign files may not list `wechat` and planning never
 * picks it; `wechat` remains for rows planned by earlier versions, which are re-decided before sending.
 */
export type GreetingChannel = 'wechat' | 'sms' | 'wecom_contact';

/**
 * Whether a channel may carry a greeting (marketing): SMS, and WeCom customer contact (a message the
 * member who has the customer as a contact sends them, docs/protocols/wecom.md §12), to customers who
 * consented; never WeChat.
 */
export function channelCarriesGreetings(channel: GreetingChannel): boolean {
  return channel === 'sms' || channel === 'wecom_contact';
}

/** A time of day in the business timezone, as minutes after midnight (09:30 → 570). */
export type MinuteOfDay = number;

/** A daily period `[start, end)` in local time; `end < start` wraps past midnight (quiet hours 21:00–08:00). */
export interface DailyPeriod {
  start: MinuteOfDay;
  end: MinuteOfDay;
}

/** What a greeting is for. */
/** Tencent sends marketing SMS only 08:00–22:00 (docs/protocols/tencent-sms.md §4.5): greeting windows stay inside. */
export const MARKETING_HOURS: DailyPeriod = { start: 8 * 60, end: 22 * 60 };

export type OccasionKind = 'festival' | 'birthday' | 'custom';

export interface OccasionDefinition {
  /** Stable key, part of `GreetingDelivery.occasionKey` (`spring_festival`, `birthday`, `store_anniversary`). */
  key: string;
  /** Chinese name used in the text (`{occasion}`): 春节, 中秋节, 生日, 店庆. */
  name: string;
  kind: OccasionKind;
  /** Festivals: the date rule (lunar, solar, solar term). */
  festival?: FestivalDefinition;
  /** Custom occasions: every year on `MM-DD`, or on the listed dates only (`YYYY-MM-DD`). */
  custom?: { monthDay: string } | { dates: readonly string[] };
}

/** Which customers a segment (or the audience) selects by tags. All lists are optional. */
export interface TagFilter {
  /** At least one of these tags (e.g. `grade:A`, `grade:B`); empty = no condition. */
  anyOf: readonly string[];
  /** Every one of these tags. */
  allOf: readonly string[];
  /** None of these tags. */
  noneOf: readonly string[];
}

/**
 * One text of a segment, as registered with Tencent: `body` is the whole message after the signature
 * `【…】` — fixed text, the sender's signature line and the opt-out wording included — with `{salutation}`
 * and `{occasion}` as its only variables. `params` lists the variables in order of appearance: they
 * become Tencent's `{1}`, `{2}` … (`TemplateParamSet`).
 */
export interface GreetingText {
  /** Key of the approved Tencent template in `TENCENT_SMS_TEMPLATES` (`<campaign>_<segment>[_birthday|_<occasion>]`). */
  templateKey: string;
  body: string;
  params: readonly GreetingVariable[];
  /**
   * The same text as a staff member's own WeChat message (WeCom customer contact, 客户联系): the segment's
   * wording with the signature line, without what only an SMS carries — Tencent's signature `【…】` and
   * the opt-out wording. Same variables as `body`.
   */
  chatBody: string;
}

/** Variables a greeting text may use. Deliberately few and short: Tencent limits variable length and content. */
export type GreetingVariable = 'salutation' | 'occasion';
export const GREETING_VARIABLES: readonly GreetingVariable[] = ['salutation', 'occasion'];

export interface GreetingSegment {
  key: string;
  title: string;
  tags: TagFilter;
  /** The festival/custom text; `birthday` for birthdays; `byOccasion` overrides per occasion key. */
  text: GreetingText;
  birthday: GreetingText | null;
  byOccasion: Readonly<Record<string, GreetingText>>;
}

export interface GreetingCampaign {
  /** Campaign name, used on the command line and in `GreetingDelivery.campaign` (`property_festivals`). */
  key: string;
  title: string;
  /** Disabled campaigns are never planned; `campaign preview` still works, to try them. */
  enabled: boolean;
  /** The file it came from (relative to the repository root when inside it). */
  file: string;
  /**
   * The sending organisation's sector (`general` unless the file says): Tencent lets real estate and
   * education send verification codes only and bans medical, decoration and finance content
   * (bot/core/sms/sms-sectors.ts), so `campaign list` flags such a campaign.
   */
  sector: Sector;
  occasions: readonly OccasionDefinition[];
  audience: {
    tags: TagFilter;
    /** Only customers with an OPEN case (of these types, when the list is not empty); null = everyone. */
    activeCases: { caseTypes: readonly string[] } | null;
  };
  channels: readonly GreetingChannel[];
  /** Send on the occasion's day, or on the day before it. */
  sendDay: 'same_day' | 'day_before';
  window: DailyPeriod;
  quietHours: DailyPeriod;
  /** The sender's signature line, already part of every text body (kept for display). */
  signature: string;
  /** Used when a customer has no usable salutation (王先生 / 王女士): 尊敬的贵宾. */
  fallbackSalutation: string;
  /** Opt-out wording ending every SMS (拒收请回复R), already part of every text body. */
  optOutText: string;
  /** Price of one billed SMS (yuan) for cost estimates; null = the configured default. */
  pricePerSegment: number | null;
  /** First match wins. */
  segments: readonly GreetingSegment[];
}

/** Formats minutes after midnight as `HH:MM`. */
export function formatMinuteOfDay(minute: MinuteOfDay): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** Whether `minute` lies in the daily period (wrapping past midnight when `end < start`). */
export function isInPeriod(minute: MinuteOfDay, period: DailyPeriod): boolean {
  return period.start <= period.end ? minute >= period.start && minute < period.end : minute >= period.start || minute < period.end;
}

/** Whether the send window `[start, end)` shares any minute with the quiet hours. */
export function windowOverlapsQuietHours(window: DailyPeriod, quiet: DailyPeriod): boolean {
  for (let m = window.start; m < window.end; m++) if (isInPeriod(m, quiet)) return true;
  return false;
}
