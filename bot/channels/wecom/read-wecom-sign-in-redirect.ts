import { timingSafeEqual } from 'node:crypto';

/** WeCom's codes are at most 512 bytes (docs/protocols/wecom.md §11.1, §11.4). */
export const WECOM_CODE_MAX_BYTES = 512;

/**
 * What WeCom's redirect back to the console said (docs/protocols/wecom.md §11.5):
 *
 * - `ok`: the state is the one issued, and a code came with it: exchange it with `WecomClient.getUserInfo`;
 * - `STATE_MISMATCH`: no state, or not the one this browser was given (a forged or replayed redirect);
 * - `CANCELLED`: the right state but no code: the member refused on WeCom's page;
 * - `MALFORMED_CODE`: a code WeCom cannot have issued (over 512 bytes, or blank), not worth sending.
 */
export type WecomSignInRedirect = { ok: true; code: string } | { ok: false; reason: 'STATE_MISMATCH' | 'CANCELLED' | 'MALFORMED_CODE' };

/**
 * Reads `code` and `state` from the query WeCom sent the browser back with, and checks the state against
 * the one issued to that browser (`expectedState`, from its session). Pure; the state is compared in
 * constant time. The state is checked first, so a forged redirect is reported as such whatever it carries.
 */
export function readWecomSignInRedirect(query: URLSearchParams | Readonly<Record<string, string | string[] | undefined>>, expectedState: string): WecomSignInRedirect {
  const state = single(query, 'state');
  if (state === undefined || expectedState === '' || !sameText(state, expectedState)) return { ok: false, reason: 'STATE_MISMATCH' };
  const code = single(query, 'code');
  if (code === undefined || code === '') return { ok: false, reason: 'CANCELLED' };
  if (code.trim() !== code || Buffer.byteLength(code, 'utf8') > WECOM_CODE_MAX_BYTES) return { ok: false, reason: 'MALFORMED_CODE' };
  return { ok: true, code };
}

/** The parameter's value when it appears exactly once (a repeated `state` or `code` is not WeCom's doing). */
function single(query: URLSearchParams | Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  if (query instanceof URLSearchParams) {
    const values = query.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  }
  const value = query[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
