import type { Context } from 'koa';
import { DomainError } from '../core/errors.js';

/** Largest request body accepted anywhere (WeCom callbacks and case posts are far smaller). */
export const MAX_BODY_BYTES = 256 * 1024;

/** Reads the raw body as UTF-8, rejecting oversize bodies with 413 before buffering them whole. */
export async function readRawBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw new DomainError('BODY_TOO_LARGE', `Request body exceeds ${limit} bytes`, { limit });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new DomainError('BODY_TOO_LARGE', `Request body exceeds ${limit} bytes`, { limit });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads and parses a JSON body; malformed JSON is a 400 with a clear message. */
export async function readJsonBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readRawBody(ctx, limit);
  if (!text.trim()) throw new DomainError('MALFORMED_JSON', 'Request body is empty; expected JSON', {});
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError('MALFORMED_JSON', 'Request body is not valid JSON', {});
  }
}
