/**
 * Text and instants accepted from outside (HTTP bodies, path parameters, query strings, form fields,
 * CSV cells). Two kinds of string are refused everywhere, on every database alike, because one database
 * or the other cannot store them: U+0000 (PostgreSQL `text` refuses it) and an unpaired UTF-16
 * surrogate (not Unicode text at all; neither SQLite nor PostgreSQL can encode it as UTF-8).
 *
 * Instants are accepted between 1900-01-01 and 2999-12-31 (UTC): both databases store that range the
 * same way and every follow-up offset added to it still fits (SQLite would take year 0000, PostgreSQL
 * refuses it; year 9999 plus an offset leaves both).
 */
import { DomainError } from './core/errors.js';

/** The first and last instant accepted from outside. */
export const EARLIEST_INSTANT = new Date('1900-01-01T00:00:00.000Z');
export const LATEST_INSTANT = new Date('2999-12-31T23:59:59.999Z');

/** What the range check says, for validation messages and the docs. */
export const INSTANT_RANGE_TEXT = 'between 1900-01-01 and 2999-12-31';

/** Why `text` cannot be stored, or null when it can. */
export function unsafeTextReason(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return 'contains the NUL character (U+0000)';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return 'contains an unpaired UTF-16 surrogate';
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'contains an unpaired UTF-16 surrogate';
  }
  return null;
}

/** Whether `text` can be stored (no U+0000, no unpaired surrogate). */
export function isSafeText(text: string): boolean {
  return unsafeTextReason(text) === null;
}

/** Whether `date` is a valid instant inside the accepted range. */
export function isInstantInRange(date: Date): boolean {
  const t = date.getTime();
  return Number.isFinite(t) && t >= EARLIEST_INSTANT.getTime() && t <= LATEST_INSTANT.getTime();
}

/**
 * `INVALID_TEXT` (400) naming the field, e.g. `customer.name`, `query.caseId`, `path`, `form.q_1`.
 * The value itself is never echoed.
 */
export function invalidText(field: string, reason: string): DomainError {
  return new DomainError('INVALID_TEXT', `${field}: ${reason}`, { fields: [{ field, message: reason }] });
}

/** Throws `INVALID_TEXT` when `text` cannot be stored. */
export function assertSafeText(field: string, text: string): void {
  const reason = unsafeTextReason(text);
  if (reason) throw invalidText(field, reason);
}

/** Deepest nesting of arrays and objects accepted in a JSON body (a case body nests four levels). */
export const MAX_JSON_DEPTH = 32;

/**
 * Checks every string (object keys included) of a parsed JSON value, and its nesting depth; `root`
 * names the whole value. Iterative, so that a deeply nested body cannot exhaust the stack.
 */
export function assertSafeJson(value: unknown, root = '(body)'): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  const name = (path: string) => path || root;
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (depth > MAX_JSON_DEPTH && v !== null && typeof v === 'object') {
      throw new DomainError('MALFORMED_JSON', `${root} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, {});
    }
    if (typeof v === 'string') {
      assertSafeText(name(path), v);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: path ? `${path}.${i}` : String(i), depth: depth + 1 }));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        const keyPath = path ? `${path}.${key}` : key;
        const reason = unsafeTextReason(key);
        if (reason) throw invalidText(path ? `${path} (a key)` : '(a key)', reason);
        stack.push({ value: item, path: keyPath, depth: depth + 1 });
      }
    }
  }
}
