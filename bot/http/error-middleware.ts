import type { Middleware } from 'koa';
import { DomainError, coerceError } from '../core/errors.js';
import type { Logger } from '../logger.js';

/** HTTP status for each DomainError code; anything unlisted is 422. */
const STATUS: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 422,
  MALFORMED_JSON: 400,
  INVALID_TEXT: 400,
  TOO_MANY_FAILED_ATTEMPTS: 429,
  BODY_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  UNKNOWN_CASE_TYPE: 422,
  UNKNOWN_STAFF: 422,
  UNKNOWN_DEPARTMENT: 422,
  INVALID_PHONE: 422,
  UNKNOWN_NUMBER: 404,
  NO_OPEN_SURVEY: 404,
  SURVEY_TOKEN_EXPIRED: 410,
  EXAMPLE_ORG_MISSING: 409,
  SANDBOX_CHANNEL_LIVE: 403,
};

/** The HTTP status the API answers a DomainError with (also each failed item of a case batch). */
export function httpStatusOf(err: DomainError): number {
  return STATUS[err.code] ?? 422;
}

/**
 * Maps errors to responses (STYLE E4): a DomainError's code and message reach the client; anything
 * else is logged and answered with a generic 500 that reveals nothing.
 */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const err = coerceError(thrown);
      if (err instanceof DomainError) {
        ctx.status = httpStatusOf(err);
        ctx.body = { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
        logger.info({ path: ctx.path, method: ctx.method, code: err.code, status: ctx.status }, 'request rejected');
        return;
      }
      ctx.status = 500;
      ctx.body = { error: { code: 'INTERNAL', message: 'Internal error' } };
      logger.error({ err, path: ctx.path, method: ctx.method }, 'request failed');
    }
  };
}
