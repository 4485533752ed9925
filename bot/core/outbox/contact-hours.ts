import type { ContactTerms, OutboundMessage } from '../messages.js';
import type { TimeContext } from '../policies/offsets.js';
import { nextContactMoment } from '../policies/contact-window.js';
import { addLocalDays, atLocalTime, toLocal } from '../time.js';

/**
 * When a customer message may leave the outbox (pure). Contact rules are applied when a follow-up is
 * planned, but a message can reach the outbox at any hour: a case synced overnight days late, the SMS
 * that replaces an unopened WeChat invitation a day later, a retry after a provider's refusal. So the
 * dispatcher asks again at the moment of sending (docs/contact-rules.md):
 * - the message's own terms: the policy's windows, working days and public holidays, and `notAfter`,
 *   the moment after which it is pointless (the survey's expiry), or `startBy`, the moment after which
 *   its send is no longer begun (a greeting's window end) — a message that cannot leave before the
 *   earlier of the two is marked as expired, never sent late;
 * - the organisation's quiet hours, for every customer message whatever its policy says;
 * - a minimum gap between two survey invitations to one customer. The gap is a courtesy: it gives way
 *   to a survey's deadline (the later survey then goes at the first allowed moment), quiet hours and
 *   policy windows never do.
 * Staff messages are never held here.
 */

/** Local times, `HH:MM`, between which no customer message leaves; `from` after `to` spans midnight. */
export interface QuietHours {
  from: string;
  to: string;
}

export interface CustomerContactSettings {
  /** Quiet hours for every customer message; null: none (the policies' own windows still apply). */
  quietHours: QuietHours | null;
  /** Minimum time between two survey invitations (of different surveys) to one customer; 0: none. */
  surveyMinGapMs: number;
}

/** `HUIFANG_QUIET_HOURS` [21:00-08:00] and `HUIFANG_SURVEY_MIN_GAP_HOURS` [72]. */
export const DEFAULT_CONTACT_SETTINGS: CustomerContactSettings = Object.freeze({
  quietHours: Object.freeze({ from: '21:00', to: '08:00' }),
  surveyMinGapMs: 72 * 3_600_000,
});

/** The last survey invitation a customer was sent (or is being sent in this batch). */
export interface LastSurveyInvite {
  surveyId: string;
  sentAt: Date;
}

/** Why a customer message waits, unsent (`lastErrorCode` of the held message). */
export type DeferralReason = 'CONTACT_HOURS' | 'SURVEY_GAP' | 'SMS_DAILY_BUDGET' | 'SMS_SAME_CONTENT';

export type SendTiming =
  | { kind: 'now' }
  /** Not yet: the message waits until `at` without using up an attempt. */
  | { kind: 'later'; at: Date; reason: 'CONTACT_HOURS' | 'SURVEY_GAP' }
  /**
   * It can no longer be sent before its deadline: it is not sent at all. `code`: `PAST_DEADLINE` (its
   * `notAfter`) or `SEND_WINDOW_CLOSED` (its `startBy`).
   */
  | { kind: 'expired'; notAfter: Date; code: ExpiryCode };

/** Why a customer message expired unsent (`lastErrorCode` of the cancelled message). */
export type ExpiryCode = 'PAST_DEADLINE' | 'SEND_WINDOW_CLOSED';

/** The last moment a send of the message may begin (the earlier of `notAfter` and `startBy`), or null. */
export function lastStartOf(terms: ContactTerms | undefined): { at: Date; code: ExpiryCode } | null {
  const notAfter = terms?.notAfter ? new Date(terms.notAfter) : null;
  const startBy = terms?.startBy ? new Date(terms.startBy) : null;
  if (startBy && (!notAfter || startBy.getTime() < notAfter.getTime())) return { at: startBy, code: 'SEND_WINDOW_CLOSED' };
  return notAfter ? { at: notAfter, code: 'PAST_DEADLINE' } : null;
}

/** The contact terms a message carries (customer messages only). */
export function contactTermsOf(message: OutboundMessage): ContactTerms | undefined {
  return message.kind === 'survey_invite' || message.kind === 'customer_notice' ? message.contact : undefined;
}

/**
 * Decides whether a customer message goes now, later (and when), or never because its deadline has
 * passed. `previousInvite`: the customer's last survey invitation sent within the gap, if any.
 */
export function sendTiming(now: Date, message: OutboundMessage, settings: CustomerContactSettings, ctx: TimeContext, previousInvite?: LastSurveyInvite): SendTiming {
  if (message.kind !== 'survey_invite' && message.kind !== 'customer_notice') return { kind: 'now' };
  const terms = message.contact;
  const last = lastStartOf(terms);
  const tooLate = (at: Date) => last !== null && at.getTime() >= last.at.getTime();
  if (last && tooLate(now)) return { kind: 'expired', notAfter: last.at, code: last.code };
  let at = nextSendMoment(now, terms, settings.quietHours, ctx);
  let reason: 'CONTACT_HOURS' | 'SURVEY_GAP' = 'CONTACT_HOURS';
  if (message.kind === 'survey_invite' && previousInvite && previousInvite.surveyId !== message.surveyId && settings.surveyMinGapMs > 0) {
    const gapEnd = new Date(previousInvite.sentAt.getTime() + settings.surveyMinGapMs);
    if (gapEnd > at) {
      const spaced = nextSendMoment(gapEnd, terms, settings.quietHours, ctx);
      if (!tooLate(spaced)) (at = spaced), (reason = 'SURVEY_GAP');
    }
  }
  if (last && tooLate(at)) return { kind: 'expired', notAfter: last.at, code: last.code };
  return at.getTime() > now.getTime() ? { kind: 'later', at, reason } : { kind: 'now' };
}

/**
 * The first moment at or after `instant` allowed by the message's contact rules and outside the quiet
 * hours. Alternates the two until both agree (a policy window that runs into the quiet hours is cut
 * short by them); bounded, as the policy search itself is.
 */
export function nextSendMoment(instant: Date, terms: ContactTerms | undefined, quiet: QuietHours | null, ctx: TimeContext): Date {
  let at = instant;
  for (let i = 0; i < 800; i++) {
    at = nextContactMoment(at, terms?.rules, ctx);
    const end = quiet ? endOfQuietHours(at, quiet, ctx.timeZone) : null;
    if (!end) return at;
    at = end;
  }
  return at;
}

/** When the quiet hours that contain `instant` end, or null when `instant` is outside them. */
export function endOfQuietHours(instant: Date, quiet: QuietHours, timeZone: string): Date | null {
  const local = toLocal(instant, timeZone);
  const minutes = local.hour * 60 + local.minute;
  const from = toMinutes(quiet.from);
  const to = toMinutes(quiet.to);
  if (from === to) return null;
  if (from < to) return minutes >= from && minutes < to ? atLocalTime(instant, quiet.to, timeZone) : null;
  // Spanning midnight (21:00–08:00): the evening part ends tomorrow morning, the early part this morning.
  if (minutes >= from) return atLocalTime(addLocalDays(instant, 1, timeZone), quiet.to, timeZone);
  if (minutes < to) return atLocalTime(instant, quiet.to, timeZone);
  return null;
}

/** Parses `HH:MM-HH:MM` (quiet hours as configured); null for `off`. Throws on anything else. */
export function parseQuietHours(text: string): QuietHours | null {
  const trimmed = text.trim();
  if (/^(off|none|0)$/i.test(trimmed)) return null;
  const m = /^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)$/.exec(trimmed);
  if (!m) throw new Error('must be HH:MM-HH:MM (e.g. 21:00-08:00) or off');
  const quiet = { from: `${m[1]}:${m[2]}`, to: `${m[3]}:${m[4]}` };
  if (quiet.from === quiet.to) throw new Error('must span some time: from and to are the same');
  return quiet;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}
