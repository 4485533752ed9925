import type { Context } from 'koa';
import { DomainError } from '../core/errors.js';
import { assertSafeJson, assertSafeText } from '../inbound-text.js';

/** Largest request body accepted anywhere (WeCom callbacks and case posts are far smaller). */
export const MAX_BODY_BYTES = 256 * 1024;

/** Reads the raw body as UTF-8, rejecting oversize bodies with 413 before buffering them whole. */
export async function readRawBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw tooLarge(ctx, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(ctx, limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The rest of an oversize body is never read, so the connection cannot carry another request:
 * answer with `Connection: close` and Node closes it after the 413.
 */
function tooLarge(ctx: Context, limit: number): DomainError {
  ctx.set('Connection', 'close');
  return new DomainError('BODY_TOO_LARGE', `Request body exceeds ${limit} bytes`, { limit });
}

/**
 * Reads and parses a JSON body; malformed JSON is a 400 with a clear message, and so is a string that
 * cannot be stored (U+0000, an unpaired surrogate: `INVALID_TEXT` naming the field) or nesting deeper
 * than bot/inbound-text.ts allows.
 */
export async function readJsonBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readRawBody(ctx, limit);
  if (!text.trim()) throw new DomainError('MALFORMED_JSON', 'Request body is empty; expected JSON', {});
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new DomainError('MALFORMED_JSON', 'Request body is not valid JSON', {});
  }
  assertSafeJson(parsed);
  return parsed;
}

/**
 * Reads an urlencoded form body. A field whose name or value cannot be stored (U+0000) is a 400
 * `INVALID_TEXT` naming it (`form.<name>`).
 */
export async function readFormBody(ctx: Context, limit: number): Promise<URLSearchParams> {
  const form = new URLSearchParams(await readRawBody(ctx, limit));
  for (const [key, value] of form) {
    assertSafeText('form (a field name)', key);
    assertSafeText(`form.${key}`, value);
  }
  return form;
}
