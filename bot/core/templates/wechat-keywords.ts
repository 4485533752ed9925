/**
 * WeChat category-template keyword types and the values each accepts (docs/protocols/wechat.md §2.2).
 * A value that breaks its type is refused by WeChat with 47003. Pure: used when templates load (to
 * refuse a wording that can never fit) and when a value is rendered (to fit it or refuse it before sending).
 */

/** Keyword types by name prefix (`thing2` → `thing`). */
export type WechatKeywordType =
  | 'thing'
  | 'name'
  | 'phrase'
  | 'time'
  | 'date'
  | 'character_string'
  | 'number'
  | 'letter'
  | 'symbol'
  | 'amount'
  | 'phone_number'
  | 'car_number'
  | 'const';

const TYPES: readonly WechatKeywordType[] = ['character_string', 'phone_number', 'car_number', 'thing', 'name', 'phrase', 'time', 'date', 'number', 'letter', 'symbol', 'amount', 'const'];

const HAN = /\p{Script=Han}/u;
const ONLY_HAN = /^\p{Script=Han}+$/u;
const CLOCK = '([01]?\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?';
const DAY = '(\\d{4}年)?\\d{1,2}月\\d{1,2}日|\\d{4}-\\d{1,2}-\\d{1,2}|\\d{4}/\\d{1,2}/\\d{1,2}';
const TIME_POINT = new RegExp(`^((${DAY})\\s*)?${CLOCK}$`);
const DATE_POINT = new RegExp(`^(${DAY})(\\s*${CLOCK})?$`);

/** The keyword's type, or null for a name of no known type. */
export function keywordTypeOf(key: string): WechatKeywordType | null {
  const m = /^([a-z_]+?)\d+$/.exec(key);
  if (!m) return null;
  return TYPES.find((t) => t === m[1]) ?? null;
}

const chars = (s: string) => Array.from(s);

/** Why `value` does not fit the keyword `key` (a sentence), or null when it does. */
export function keywordValueProblem(key: string, value: string): string | null {
  const type = keywordTypeOf(key);
  if (!type) return `"${key}" is not a WeChat keyword type (thing, name, phrase, time, date, character_string, number, letter, symbol, amount, phone_number, car_number, const)`;
  const n = chars(value).length;
  if (/[\r\n]/.test(value)) return `${key}: a keyword value has no line breaks`;
  switch (type) {
    case 'thing':
      return n <= 20 ? null : `${key}: thing takes at most 20 characters (${n})`;
    case 'name': {
      if (n === 0) return `${key}: a name is not empty`;
      if (HAN.test(value)) return n <= 10 && !/[^\p{Script=Han}·A-Za-z]/u.test(value) ? null : `${key}: name takes at most 10 Chinese characters, nothing else`;
      return n <= 20 && /^[A-Za-z\s.·'-]+$/.test(value) ? null : `${key}: name takes at most 20 letters`;
    }
    case 'phrase':
      return n >= 1 && n <= 5 && ONLY_HAN.test(value) ? null : `${key}: phrase takes 1 to 5 Chinese characters only ("${value}")`;
    case 'time':
      return value.split('~').every((p) => TIME_POINT.test(p.trim())) ? null : `${key}: time takes a 24-hour time, optionally with a date (2026年11月3日 09:30)`;
    case 'date':
      return value.split('~').every((p) => DATE_POINT.test(p.trim())) ? null : `${key}: date takes a date, optionally with a time (2026年11月3日)`;
    case 'character_string':
      return n <= 32 && !HAN.test(value) && !/\s/.test(value) ? null : `${key}: character_string takes at most 32 letters, digits or symbols, no Chinese`;
    case 'number':
      return /^\d{1,32}(\.\d+)?$/.test(value) && n <= 32 ? null : `${key}: number takes at most 32 digits`;
    case 'letter':
      return /^[A-Za-z]{1,32}$/.test(value) ? null : `${key}: letter takes at most 32 letters`;
    case 'symbol':
      return n <= 5 && !/[\p{L}\p{N}\s]/u.test(value) ? null : `${key}: symbol takes at most 5 symbols`;
    case 'amount':
      return /^\p{Sc}?\d{1,10}(\.\d{1,2})?元?$/u.test(value) ? null : `${key}: amount takes a currency symbol and up to 10 digits, optionally ending with 元`;
    case 'phone_number':
      return n <= 17 && /^[\d+\-() ]+$/.test(value) ? null : `${key}: phone_number takes at most 17 digits and symbols`;
    case 'car_number':
      return n <= 8 && /^\p{Script=Han}?[A-Z0-9]+\p{Script=Han}?$/u.test(value) ? null : `${key}: car_number takes at most 8 characters (粤A8Z888挂)`;
    case 'const':
      return n <= 20 ? null : `${key}: const takes at most 20 characters, as approved by WeChat`;
  }
}

/**
 * The value as it is sent: line breaks removed, then fitted to its type where that keeps it true —
 * `thing` cut to 20 characters with an ellipsis, `name` cut to its length without one (an ellipsis is no
 * letter of a name), `character_string` cut to 32. `phrase`, `time`, `const` and the others are never
 * altered: a value that does not fit is refused (null) rather than sent broken.
 */
export function fitKeywordValue(key: string, value: string): string | null {
  const flat = value.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const type = keywordTypeOf(key);
  const c = chars(flat);
  let fitted = flat;
  if (type === 'thing' && c.length > 20) fitted = `${c.slice(0, 19).join('')}…`;
  else if (type === 'name') fitted = c.slice(0, HAN.test(flat) ? 10 : 20).join('');
  else if (type === 'character_string' && c.length > 32) fitted = c.slice(0, 32).join('');
  return keywordValueProblem(key, fitted) === null ? fitted : null;
}
