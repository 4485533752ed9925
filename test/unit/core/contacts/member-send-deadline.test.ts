// When the member's time to send a queued 客户联系 message ends: WECOM_CONTACT_CONFIRM_DAYS, or earlier
// before the survey's own deadline, leaving the next channel time (bot/core/contacts/collect-contact-results.ts).
import { describe, expect, it } from 'vitest';
import { HANDOVER_BEFORE_DEADLINE_MS, memberSendDeadline } from '../../../../bot/core/contacts/collect-contact-results.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const queued = new Date('2026-11-10T02:30:00.000Z');
const after = (ms: number) => new Date(queued.getTime() + ms);

describe('memberSendDeadline', () => {
  it('is the confirmation window when the message has no deadline of its own, or one far enough away', () => {
    expect(memberSendDeadline(queued, null, 3 * DAY)).toEqual(after(3 * DAY));
    expect(memberSendDeadline(queued, after(10 * DAY), 3 * DAY)).toEqual(after(3 * DAY));
    expect(memberSendDeadline(queued, after(3 * DAY + HANDOVER_BEFORE_DEADLINE_MS), 3 * DAY)).toEqual(after(3 * DAY));
  });

  it('ends 12 hours before a deadline that comes before the confirmation window ends', () => {
    expect(HANDOVER_BEFORE_DEADLINE_MS).toBe(12 * HOUR);
    expect(memberSendDeadline(queued, after(33 * HOUR), 3 * DAY)).toEqual(after(21 * HOUR));
    // A deadline just after the window still leaves the next channel its 12 hours.
    expect(memberSendDeadline(queued, after(3 * DAY + HOUR), 3 * DAY)).toEqual(after(3 * DAY + HOUR - 12 * HOUR));
  });

  it('shares a short time before the deadline halfway, and is never after the deadline', () => {
    expect(memberSendDeadline(queued, after(6 * HOUR), 3 * DAY)).toEqual(after(3 * HOUR));
    expect(memberSendDeadline(queued, queued, 3 * DAY)).toEqual(queued);
    const past = new Date(queued.getTime() - HOUR);
    expect(memberSendDeadline(queued, past, 3 * DAY)).toEqual(past);
  });

  it('ignores a deadline that is not a date', () => {
    expect(memberSendDeadline(queued, new Date('not a date'), 2 * DAY)).toEqual(after(2 * DAY));
  });
});
