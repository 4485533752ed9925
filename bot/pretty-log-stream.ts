/**
 * Turns pino's JSON lines into lines a person reads in a terminal:
 *
 *     2026-12-06T20:15:03.120+08:00 INFO  Huifang listening url=http://localhost:3000 port=3000
 *
 * It sits behind pino, so it sees each line after redaction and serialisation: what it prints was
 * already masked. An `err` is printed last, its stack indented below the line.
 */
import type { DestinationStream } from 'pino';
import { toLocal, zoneOffsetMs } from './core/time.js';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Record<number, number> = { 10: 90, 20: 36, 30: 32, 40: 33, 50: 31, 60: 35 };
/** Keys every pino line has that the human line shows otherwise, or not at all. */
const FRAME_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

/** Options for {@link createPrettyLogStream}. */
export interface PrettyLogStreamOptions {
  /** IANA zone the times are shown in, with their offset [the process's local zone]. */
  timeZone?: string;
  /** Colour the level names (ANSI) [only when `out` is a TTY]. */
  colour?: boolean;
}

/** A pino destination that writes the readable form of each line to `out`. */
export function createPrettyLogStream(out: { write(text: string): unknown; isTTY?: boolean }, options: PrettyLogStreamOptions = {}): DestinationStream {
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const colour = options.colour ?? out.isTTY === true;
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') out.write(`${formatLogLine(line, timeZone, colour)}\n`);
    },
  };
}

function formatLogLine(line: string, timeZone: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const name = (LEVEL_NAMES[level] ?? `L${level}`).padEnd(5);
  const time = typeof entry.time === 'number' ? formatLocalIso(new Date(entry.time), timeZone) : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !FRAME_KEYS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const head = [time, colour ? `\u001b[${LEVEL_COLOURS[level] ?? 39}m${name}\u001b[39m` : name, String(entry.msg ?? ''), ...fields].filter((p) => p !== '').join(' ');
  return entry.err === undefined ? head : `${head}${formatError(entry.err)}`;
}

/** `2026-12-06T20:15:03.120+08:00`. */
function formatLocalIso(instant: Date, timeZone: string): string {
  const l = toLocal(instant, timeZone);
  const offsetMin = Math.round(zoneOffsetMs(instant, timeZone) / 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const abs = Math.abs(offsetMin);
  return `${l.year}-${p(l.month)}-${p(l.day)}T${p(l.hour)}:${p(l.minute)}:${p(l.second)}.${p(instant.getUTCMilliseconds(), 3)}${offsetMin < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

/** Bare when unambiguous (`port=3000`, `job=dispatch-outbox`), JSON otherwise (`reason="no consent"`). */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** The serialised error's extra fields on the line, then its stack (or type and message) indented below. */
function formatError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return ` err=${formatValue(err)}`;
  const { type, message, stack, ...rest } = err as Record<string, unknown>;
  const extra = Object.entries(rest).map(([key, value]) => ` err.${key}=${formatValue(value)}`).join('');
  const text = typeof stack === 'string' ? stack : `${String(type ?? 'Error')}: ${String(message ?? '')}`;
  return `${extra}\n${text
    .split('\n')
    .map((l) => `    ${l.trim()}`)
    .join('\n')}`;
}
