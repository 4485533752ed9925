import type { Clock } from '../clock.js';
import type { LinkSigner } from '../ports/links.js';
import type { NewOutboxMessage } from '../records.js';
import type { DigestRecipient, DigestStore } from '../ports/digests.js';
import type { MessageTemplates } from '../templates/catalogue.js';
import { buildDigest, type DigestInput, type WeeklyDigest } from './build-digest.js';
import { buildDigestDocument } from './digest-document.js';
import { dueDigestWeek, type WeeklySchedule } from './digest-schedule.js';
import { staffOutbox } from '../outbox/staff-message.js';
import { nextYearSchedule } from '../calendar/next-year-schedule.js';
import type { WorkingCalendar } from '../calendar/working-calendar.js';

/**
 * Roles (templates/policies/roles.yaml) that make a staff member a digest recipient even when they head
 * no department: `manager` (经理 / 院长 / 分管领导) and `department_head` (科主任 / 部门负责人). First-line
 * `supervisor` and `head_nurse` receive escalations, not digests, unless they head a department.
 */
export const MANAGER_ROLES: readonly string[] = ['manager', 'department_head'];

/** Recipients whose digests are read, built and enqueued together. */
const DIGEST_CHUNK = 1_000;

export interface SendWeeklyDigestsDeps {
  clock: Clock;
  timeZone: string;
  /** Base of the detail link (`<base>/d/<signed>`), without trailing slash. */
  publicBaseUrl: string;
  links: LinkSigner;
  digests: DigestStore;
  /** The digest's wording (`weekly_digest`, and the escalation reasons of `labels`). */
  templates: Pick<MessageTemplates, 'weeklyDigest' | 'labels'>;
  /**
   * The working-day calendar: from 1 November while next year's holiday schedule is missing, the digest
   * of each recipient who is a console administrator says so and how to add it. Without it, no such line.
   */
  calendar?: Pick<WorkingCalendar, 'isCovered'>;
}

export interface SendWeeklyDigestsResult {
  /** The reported ISO week, or null when no digest is due yet this week. */
  week: string | null;
  recipients: number;
  /** Digests put into the outbox by this run. */
  enqueued: number;
  /** Recipients whose digest for the week was already in the outbox (earlier tick or another replica). */
  alreadySent: number;
}

/** Outbox key of a manager's digest for a reported ISO week: at most one per manager per week. */
export function digestOutboxKey(staffId: string, week: string): string {
  return `digest:${staffId}:${week}`;
}

/** Id inside the signed detail link: `<ISO week>~<staffId>`. */
export function digestLinkId(week: string, staffId: string): string {
  return `${week}~${staffId}`;
}

/** Splits a verified detail-link id; null when it is not one. */
export function parseDigestLinkId(id: string): { week: string; staffId: string } | null {
  const m = /^(\d{4}-W\d{2})~([A-Za-z0-9_-]{1,64})$/.exec(id);
  // Weeks of the years Huifang can hold at all (bot/inbound-text.ts).
  const year = m ? Number(m[1]!.slice(0, 4)) : 0;
  return m && year >= 1900 && year <= 2999 ? { week: m[1]!, staffId: m[2]! } : null;
}

/**
 * Sends each manager the digest of the last full ISO week, once the configured send time of this week
 * has come (catch-up: any later tick in the same week does it). Idempotent: the outbox key
 * {@link digestOutboxKey} makes repeated ticks and several replicas produce one message per manager and
 * week; digests already in the outbox are not even rebuilt. The digest is a staff document (the channel
 * fits it to its size limit) ending with a signed link to the full tables (`GET /d/:signed`). An
 * administrator's digest starts, from 1 November while next year's holiday schedule is missing, with a line
 * saying so and how to add it (docs/calendar.md).
 */
export async function sendWeeklyDigests(deps: SendWeeklyDigestsDeps, schedule: WeeklySchedule): Promise<SendWeeklyDigestsResult> {
  const now = deps.clock.now();
  const due = dueDigestWeek(now, schedule, deps.timeZone);
  if (!due) return { week: null, recipients: 0, enqueued: 0, alreadySent: 0 };
  const recipients = await deps.digests.listDigestRecipients();
  const nextYear = deps.calendar ? nextYearSchedule(deps.calendar, now, deps.timeZone) : null;
  const existing = await deps.digests.existingOutboxKeys(recipients.map((r) => digestOutboxKey(r.staffId, due.week)));
  const pending = recipients.filter((r) => !existing.has(digestOutboxKey(r.staffId, due.week)));
  let alreadySent = recipients.length - pending.length;
  let enqueued = 0;
  // A chunk of recipients at a time: their rows are read together (a few grouped queries), their
  // digests built in memory and enqueued together.
  for (let i = 0; i < pending.length; i += DIGEST_CHUNK) {
    const chunk = pending.slice(i, i + DIGEST_CHUNK);
    const inputs = await deps.digests.loadDigestInputs(chunk, { from: due.from, to: due.to, asOf: now, timeZone: deps.timeZone });
    const messages: NewOutboxMessage[] = [];
    for (const [k, r] of chunk.entries()) {
      const digest = buildDigest(inputs[k]!);
      const signed = await deps.links.sign('digest', digestLinkId(due.week, r.staffId));
      const document = buildDigestDocument(digest, deps.templates, {
        detailUrl: `${deps.publicBaseUrl}/d/${signed}`,
        ...(r.administrator && nextYear?.remind ? { missingCalendarYear: nextYear.year } : {}),
      });
      messages.push(staffOutbox({ id: r.staffId, wecomUserId: r.wecomUserId }, digestOutboxKey(r.staffId, due.week), { kind: 'staff_document', document }, now, null));
    }
    const inserted = await deps.digests.enqueueEachOnce(messages);
    enqueued += inserted.size;
    alreadySent += messages.length - inserted.size;
  }
  return { week: due.week, recipients: recipients.length, enqueued, alreadySent };
}

/** The structured digest of one recipient for `[from, to)` as of `asOf` (the detail page uses it too). */
export async function buildRecipientDigest(
  deps: Pick<SendWeeklyDigestsDeps, 'timeZone' | 'digests'>,
  recipient: DigestRecipient,
  period: { from: Date; to: Date; asOf: Date },
): Promise<WeeklyDigest> {
  return buildDigest(await deps.digests.loadDigestInput(recipient, { ...period, timeZone: deps.timeZone }));
}
