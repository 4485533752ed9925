/** A limit window as stored: who holds it, its strikes, and when it ends. */
export interface SharedWindow {
  holder: string;
  count: number;
  until: Date;
}

/** At most `max` events within any `windowMs` (a sliding window). */
export interface SlidingCap {
  windowMs: number;
  max: number;
}

/** The instant a withdrawn event is moved to: no window reaches it, and its number stays taken. */
export const WITHDRAWN_AT = new Date(0);

/** What {@link SharedWindows.admit} decided: the event's number in its key, or when to try again. */
export type Admission = { admitted: true; seq: number } | { admitted: false; retryAt: Date };

/**
 * Limit windows shared by every replica and kept across restarts: a customer's survey-invitation gap,
 * Tencent's 30-second same-content rule, WeCom's 45009 block (one `SharedWindow` row per key), and events
 * counted over sliding windows, WeCom app messages to one member (one `SharedWindowEvent` row per event).
 * Each method is one statement, atomic against every other replica (`admit` adds a second, read-only one
 * when it refuses). A window is free at `now` when it has no row or its `until` is at or before `now`.
 * Instants are the caller's (its clock), never the database's.
 */
export interface SharedWindows {
  /**
   * Takes `key` for `holder` until `until` when the window is free at `now` or already `holder`'s (its end
   * then moves to `until`); otherwise leaves it as it is. With `force`, takes it whoever holds it. Returns
   * the window after the statement: `taken` when `holder` now holds it. Of two replicas reserving one free
   * key at once, one gets it and the other sees it held.
   */
  reserve(key: string, holder: string, until: Date, now: Date, options?: { force?: boolean }): Promise<SharedWindow & { taken: boolean }>;
  /**
   * Counts one more strike on `key` unless its window is still open at `now` (a strike another replica
   * already recorded for the same block is not counted twice): the count becomes one more (at most
   * `untilByStrike.length`) and the window lasts until `untilByStrike[count - 1]`. Returns the window.
   */
  strike(key: string, now: Date, untilByStrike: readonly Date[]): Promise<SharedWindow>;
  /**
   * Counts one event of `key` if, with it, every cap still holds at `now`: for each cap, fewer than `max`
   * events of `key` are recorded at instants after `now - windowMs` (every event counted, whichever process
   * counted it; none recorded later than `now` is left out). The event is recorded at `latest` [now]: the
   * latest instant it can happen (a send not yet answered may still arrive until then), until `settle`
   * says when it did. Otherwise counts nothing and says when the events in the way will have left their
   * windows. Of two processes admitting an event of one key at once, one counts first and the other sees
   * it. So no window of a cap's length ever holds more than its `max` admitted events, each at an instant
   * no earlier than it happened (sliding windows, exact).
   */
  admit(key: string, now: Date, caps: readonly SlidingCap[], latest?: Date): Promise<Admission>;
  /** Records that the admitted event `seq` of `key` happened by `at` (moves it earlier, never later; not a withdrawn one). */
  settle(key: string, seq: number, at: Date): Promise<void>;
  /** Uncounts the admitted event `seq` of `key` (a send that certainly did not happen). */
  withdraw(key: string, seq: number): Promise<void>;
  /** The window of `key`, open or ended; null when there is none. */
  read(key: string): Promise<SharedWindow | null>;
  /** Deletes the window of `key` (only if `holder` holds it, when given). */
  release(key: string, holder?: string): Promise<void>;
  /** Deletes every window, and every admitted event past its longest cap, that ended before `before`; returns how many. */
  forgetEnded(before: Date): Promise<number>;
}
