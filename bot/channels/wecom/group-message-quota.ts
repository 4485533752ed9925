import type { WecomGroupMessageRule } from '../../config.js';
import { fromLocal, toLocal } from '../../core/time.js';

/**
 * The per-customer group-message quota (docs/protocols/wecom.md §12.3): WeCom lets one customer receive
 * as many 群发 messages from the corp per natural month as the month has days, unless the corp set 7 a
 * week or 1 a day (群发助手 → 设置群发规则). Counted in the business timezone (WeCom counts China time).
 * Returns when the current period started and how many messages it allows.
 */
export function groupMessageQuota(now: Date, rule: WecomGroupMessageRule, timeZone: string): { since: Date; quota: number } {
  const local = toLocal(now, timeZone);
  const midnight = { hour: 0, minute: 0, second: 0 };
  if (rule === 'one_a_day') return { since: fromLocal({ ...local, ...midnight }, timeZone), quota: 1 };
  if (rule === 'seven_a_week') {
    const weekday = (new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() + 6) % 7;
    const monday = new Date(Date.UTC(local.year, local.month - 1, local.day - weekday));
    return { since: fromLocal({ year: monday.getUTCFullYear(), month: monday.getUTCMonth() + 1, day: monday.getUTCDate(), ...midnight }, timeZone), quota: 7 };
  }
  const daysInMonth = new Date(Date.UTC(local.year, local.month, 0)).getUTCDate();
  return { since: fromLocal({ year: local.year, month: local.month, day: 1, ...midnight }, timeZone), quota: daysInMonth };
}
