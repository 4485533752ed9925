/**
 * Timezone arithmetic for the business timezone (default Asia/Shanghai), independent of the server's TZ.
 * Pure: every function takes the instant it works on.
 */

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock fields of `instant` in `timeZone`. */
export function toLocal(instant: Date, timeZone: string): LocalDateTime {
  const t = instant.getTime();
  const local = new Date(Math.floor(t / 1000) * 1000 + offsetAt(t, timeZone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  return offsetAt(instant.getTime(), timeZone);
}

/**
 * Offsets are looked up per UTC hour and zone: asking `Intl` for every conversion made time-zone arithmetic most of
 * the CPU of planning follow-ups. An hour whose first and last second have the same offset has that offset
 * throughout — no zone changes its offset twice within an hour — so it is cached; an hour with a transition in it
 * (a DST change, a change of standard time) is never cached and asks `Intl` each time. Zones without DST (Asia/Shanghai,
 * +08:00 since 1991) thus convert by adding a cached constant, and DST zones stay exact on both sides of a change.
 */
const HOUR_MS = 3_600_000;
/** Hours cached per zone before the cache starts over (about six years of hours). */
const OFFSET_CACHE_HOURS = 50_000;
const offsetCaches = new Map<string, Map<number, number>>();

function offsetAt(t: number, timeZone: string): number {
  let cache = offsetCaches.get(timeZone);
  if (!cache) offsetCaches.set(timeZone, (cache = new Map()));
  const hour = Math.floor(t / HOUR_MS);
  const cached = cache.get(hour);
  if (cached !== undefined) return Number.isNaN(cached) ? intlOffsetAt(t, timeZone) : cached;
  const first = intlOffsetAt(hour * HOUR_MS, timeZone);
  const last = intlOffsetAt(hour * HOUR_MS + HOUR_MS - 1_000, timeZone);
  if (cache.size >= OFFSET_CACHE_HOURS) cache.clear();
  // NaN marks an hour with a transition in it.
  cache.set(hour, first === last ? first : Number.NaN);
  return first === last ? first : intlOffsetAt(t, timeZone);
}

/** The offset at `t` as `Intl` gives it: local wall-clock fields read as UTC, minus the instant (whole seconds). */
function intlOffsetAt(t: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The wall-clock fields of `instant` in `timeZone` as `Intl` gives them (no cache): the reference {@link toLocal} agrees with. */
export function toLocalByIntl(instant: Date, timeZone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The instant at which the wall clock in `timeZone` shows `local` (first match across DST gaps). */
export function fromLocal(local: LocalDateTime, timeZone: string): Date {
  const guess = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  // Two passes settle the offset even across a DST change (mainland China has none, other zones may).
  let offset = offsetAt(guess, timeZone);
  let instant = guess - offset;
  offset = offsetAt(instant, timeZone);
  instant = guess - offset;
  return new Date(instant);
}

/** Adds calendar days to the local date of `instant`, keeping the local time of day. */
export function addLocalDays(instant: Date, days: number, timeZone: string): Date {
  const l = toLocal(instant, timeZone);
  const shifted = new Date(Date.UTC(l.year, l.month - 1, l.day + days));
  return fromLocal(
    { ...l, year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() },
    timeZone,
  );
}

/** The same local date as `instant`, at `hh:mm` local time. */
export function atLocalTime(instant: Date, hhmm: string, timeZone: string): Date {
  const [hour, minute] = hoursAndMinutes(hhmm);
  const l = toLocal(instant, timeZone);
  return fromLocal({ ...l, hour, minute, second: 0 }, timeZone);
}

/** `HH:MM` parsed once per text: policies use a handful of times of day, planning asks for them for every step. */
const parsedTimes = new Map<string, readonly [number, number]>();

function hoursAndMinutes(hhmm: string): readonly [number, number] {
  let parsed = parsedTimes.get(hhmm);
  if (parsed === undefined) {
    const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
    if (!m) throw new Error(`Invalid local time "${hhmm}", expected HH:MM`);
    parsed = [Number(m[1]), Number(m[2])];
    // Bounded: the texts come from policy files and a few defaults.
    if (parsedTimes.size >= 1_000) parsedTimes.clear();
    parsedTimes.set(hhmm, parsed);
  }
  return parsed;
}

/** Start of the local day containing `instant`. */
export function startOfLocalDay(instant: Date, timeZone: string): Date {
  return atLocalTime(instant, '00:00', timeZone);
}

/** `YYYY-MM-DD` of the local date. */
export function formatLocalDate(instant: Date, timeZone: string): string {
  const l = toLocal(instant, timeZone);
  return `${l.year}-${pad(l.month)}-${pad(l.day)}`;
}

/** `YYYY-MM-DD HH:mm` local. */
export function formatLocalDateTime(instant: Date, timeZone: string): string {
  const l = toLocal(instant, timeZone);
  return `${formatLocalDate(instant, timeZone)} ${pad(l.hour)}:${pad(l.minute)}`;
}

/** `M月D日` as used in Chinese messages. */
export function formatChineseDate(instant: Date, timeZone: string): string {
  const l = toLocal(instant, timeZone);
  return `${l.month}月${l.day}日`;
}

/** `YYYY年M月D日 HH:mm` local (the form WeChat template `time` keywords accept). */
export function formatChineseDateTime(instant: Date, timeZone: string): string {
  const l = toLocal(instant, timeZone);
  return `${l.year}年${l.month}月${l.day}日 ${pad(l.hour)}:${pad(l.minute)}`;
}

/** ISO week key like `2026-W48` of the local date (Monday-based), for "once per week" keys. */
export function isoWeekKey(instant: Date, timeZone: string): string {
  const l = toLocal(instant, timeZone);
  const date = new Date(Date.UTC(l.year, l.month - 1, l.day));
  const dayNum = date.getUTCDay() || 7; // Monday = 1 … Sunday = 7
  date.setUTCDate(date.getUTCDate() + 4 - dayNum); // the Thursday of this week decides the year
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${pad(week)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
