/** A limit window as stored: who holds it, its strikes, and when it ends. */
export interface SharedWindow {
  holder: string;
  count: number;
  until: Date;
}

/**
 * Limit windows shared by every replica and kept across restarts (the `SharedWindow` table): a customer's
 * survey-invitation gap, Tencent's 30-second same-content rule, WeCom's 45009 block. One row per key; each
 * method is one statement, atomic against every other replica. A window is free at `now` when it has no
 * row or its `until` is at or before `now`. Instants are the caller's (its clock), never the database's.
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
   * Counts one more in the window of `key` open at `now`, or opens a new one counting 1 that lasts until
   * `until` when there is none or it has ended (a fixed window that starts with its first count). Returns
   * the window: `count` includes this one.
   */
  tally(key: string, now: Date, until: Date): Promise<SharedWindow>;
  /** Takes back one count of the window of `key` if it is still open at `now` (a send that certainly did not happen). */
  untally(key: string, now: Date): Promise<void>;
  /** The window of `key`, open or ended; null when there is none. */
  read(key: string): Promise<SharedWindow | null>;
  /** Deletes the window of `key` (only if `holder` holds it, when given). */
  release(key: string, holder?: string): Promise<void>;
  /** Deletes every window that ended before `before`; returns how many. */
  forgetEnded(before: Date): Promise<number>;
}
