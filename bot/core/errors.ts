/**
 * The two error families (STYLE E1).
 *
 * `DomainError` is an expected business outcome with a stable UPPER_SNAKE `code`; only its message is
 * ever shown to API clients. `ChannelError` is a provider failure, classified by the adapter.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    /** Stable machine-readable code, e.g. `VALIDATION_FAILED`, `SURVEY_TOKEN_EXPIRED`. */
    readonly code: string,
    message: string,
    /** Structured details safe to return to the caller (never secrets or full phone numbers). */
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How a provider failure should be treated by the outbox dispatcher. */
export type ChannelErrorKind = 'retryable' | 'permanent' | 'rate_limited' | 'auth';

export class ChannelError extends Error {
  override readonly name = 'ChannelError';
  constructor(
    readonly provider: string,
    readonly kind: ChannelErrorKind,
    /** The provider's own code (`errcode`, Tencent `Code`), or a local one such as `NETWORK`. */
    readonly providerCode: string,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number; maxAttempts?: number; outcomeUnknown?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
    this.maxAttempts = options?.maxAttempts;
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }
  /**
   * The request may have reached the provider and been carried out (a timeout, a connection lost after
   * the request was written): the send is treated as interrupted and reconciled with the provider
   * (`MessageChannel.checkInterruptedSend`) before anything is sent again.
   */
  readonly outcomeUnknown: boolean;
  readonly retryAfterMs: number | undefined;
  /**
   * At most this many attempts of the message while it fails this way (fewer than its own when the
   * adapter does not know the code): then the message is DEAD and an operator looks at the code.
   */
  readonly maxAttempts: number | undefined;
  get retryable(): boolean {
    return this.kind === 'retryable' || this.kind === 'rate_limited';
  }
}

/**
 * `ChannelError.providerCode` of a permanent failure meaning the customer's phone number is unusable
 * (malformed, unallocated, on the provider's do-not-disturb list): no further SMS goes to it.
 */
export const INVALID_NUMBER = 'INVALID_NUMBER';

/** Turns anything thrown into an Error, keeping the original as `cause` (STYLE E3). */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `Non-error thrown: ${safeString(thrown)}`, { cause: thrown });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
