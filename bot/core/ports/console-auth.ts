import type { ConsoleAccount } from '../console/access.js';

/** A console session as the store keeps it (the cookie's token is stored as its SHA-256). */
export interface ConsoleSessionRecord {
  tokenHash: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
}

/**
 * Console accounts, single-use sign-in links, sessions and sign-in states. Tokens are stored only as
 * hashes; every "use once" is a compare-and-set, so two replicas (or a double click) consume a link
 * or a state once.
 */
export interface ConsoleAuthStore {
  findConsoleUser(id: string): Promise<ConsoleAccount | null>;
  findConsoleUserByStaff(staffId: string): Promise<ConsoleAccount | null>;
  /** Creates the account of a staff member unless it exists; returns it either way. */
  ensureStaffConsoleUser(input: { id: string; staffId: string; name: string; at: Date }): Promise<ConsoleAccount>;
  /**
   * Creates an administrator without a staff record, but only while no active administrator exists
   * (checked in the same transaction); null when one does.
   */
  createFirstAdmin(input: { id: string; name: string; at: Date }): Promise<ConsoleAccount | null>;
  /** Sets an account's role (`admin`, `auditor` or null: by position). */
  setConsoleRole(userId: string, role: 'admin' | 'auditor' | null): Promise<void>;
  listConsoleUsers(): Promise<ConsoleAccount[]>;

  createSignInLink(input: { tokenHash: string; userId: string; expiresAt: Date; at: Date }): Promise<void>;
  /** Marks the link used if it is unused and unexpired at `now`; returns its account id, else null. */
  consumeSignInLink(tokenHash: string, now: Date): Promise<string | null>;

  createSession(session: Omit<ConsoleSessionRecord, 'endedAt'>): Promise<void>;
  findSession(tokenHash: string): Promise<ConsoleSessionRecord | null>;
  /** Records activity (the idle expiry counts from it). */
  touchSession(tokenHash: string, at: Date): Promise<void>;
  endSession(tokenHash: string, at: Date): Promise<void>;

  createSignInState(input: { state: string; method: string; expiresAt: Date; at: Date }): Promise<void>;
  /** Marks the state used if it is unused and unexpired at `now`; returns its method, else null. */
  consumeSignInState(state: string, now: Date): Promise<string | null>;
}

/** Counters in fixed windows, shared by every replica (sign-in attempts, number reveals). */
export interface RateCounters {
  /** Adds one to the counter of `key` in the window starting at `windowStart`; returns the new count. */
  hit(key: string, windowStart: Date): Promise<number>;
  /** The counter's value without changing it. */
  count(key: string, windowStart: Date): Promise<number>;
  /** Deletes the counters of keys starting with `keyPrefix` whose window starts before `before`. */
  forget(keyPrefix: string, before: Date): Promise<void>;
}

/** WeCom's part of signing in (implemented in bot/channels/wecom): where to send the browser, and who a code belongs to. */
export interface WecomSignIn {
  /** The authorisation URL: `oauth` inside WeCom's browser, `qr` the QR-code login page. */
  authorizeUrl(method: 'oauth' | 'qr', redirectUri: string, state: string): string;
  /** The member's WeCom UserID behind a one-time code; null when WeCom refuses it or it is not a member. */
  userIdOf(code: string): Promise<string | null>;
}

