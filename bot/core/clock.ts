/**
 * Time comes from a `Clock` port; domain code never reads the wall clock (STYLE A3).
 * Instants are UTC `Date`s; the business timezone is applied only when scheduling or rendering.
 */
export interface Clock {
  /** The current instant. Successive calls may go backwards on a fake clock; callers must cope. */
  now(): Date;
}

/** Sortable unique ids (ULID-style) for new rows. */
export interface IdGenerator {
  next(): string;
}

/** Unguessable URL-safe random tokens (survey links, claim tokens). */
export interface TokenGenerator {
  /** A token carrying at least `bytes` bytes of randomness. */
  token(bytes?: number): string;
}
