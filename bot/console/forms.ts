import type { Context } from 'koa';
import { readFormBody } from '../http/read-body.js';

/** Console forms are short; bulk selections of a few hundred ids stay far below this. */
export const FORM_LIMIT_BYTES = 64 * 1024;

/** The urlencoded body of a console form. */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  const type = ctx.get('content-type');
  if (type && !type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams();
  return readFormBody(ctx, FORM_LIMIT_BYTES);
}
