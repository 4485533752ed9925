/**
 * Per-recipient pacing of WeCom app messages. WeCom delivers at most 30 messages a minute and 1 000 an
 * hour from one application to the same member and silently drops the rest — no errcode tells us
 * (docs/protocols/wecom.md §3). So the channel counts its own sends per UserID in sliding windows and
 * refuses a send that would exceed them; the refused message stays in the outbox and is retried later.
 *
 * This limiter counts this process's own sends, exactly (sliding windows), at no cost. Across replicas and
 * restarts the channel then counts every process's sends to the member in the same sliding windows in the
 * database (`SharedWindows.admit`, `wecom-channel.ts`), which decides.
 */
export interface RateWindow {
  /** Window length in ms. */
  windowMs: number;
  /** Sends allowed within any window of that length. */
  max: number;
}

/** WeCom's per-member caps for app messages (docs/protocols/wecom.md §3). */
export const WECOM_MEMBER_WINDOWS: readonly RateWindow[] = Object.freeze([
  { windowMs: 60_000, max: 30 },
  { windowMs: 3_600_000, max: 1_000 },
]);

/** A granted send; `release` gives the slot back when the send certainly did not happen. */
export interface RateSlot {
  release(): void;
}

export type AcquireResult = { ok: true; slot: RateSlot } | { ok: false; retryAfterMs: number };

export class MemberRateLimiter {
  readonly #windows: readonly RateWindow[];
  readonly #longestMs: number;
  /** Send instants (ms) per member key, oldest first, none older than the longest window. */
  readonly #sends = new Map<string, number[]>();

  constructor(windows: readonly RateWindow[] = WECOM_MEMBER_WINDOWS) {
    if (windows.length === 0) throw new Error('MemberRateLimiter needs at least one window');
    this.#windows = windows;
    this.#longestMs = Math.max(...windows.map((w) => w.windowMs));
  }

  /** The windows this limiter keeps. */
  get windows(): readonly RateWindow[] {
    return this.#windows;
  }

  /**
   * Takes a slot for `member` at `nowMs` if every window has room; otherwise says how long until the
   * oldest send that blocks leaves its window. UserIDs are case-insensitive in WeCom (§4.1).
   */
  tryAcquire(member: string, nowMs: number): AcquireResult {
    const key = member.toLowerCase();
    const sends = this.#prune(key, nowMs);
    let retryAfterMs = 0;
    for (const w of this.#windows) {
      const inWindow = sends.filter((t) => t > nowMs - w.windowMs);
      if (inWindow.length >= w.max) {
        // The send that has to leave the window before one more fits.
        const blocking = inWindow[inWindow.length - w.max]!;
        retryAfterMs = Math.max(retryAfterMs, blocking + w.windowMs - nowMs);
      }
    }
    if (retryAfterMs > 0) return { ok: false, retryAfterMs };
    sends.push(nowMs);
    sends.sort((a, b) => a - b);
    this.#sends.set(key, sends);
    let released = false;
    return {
      ok: true,
      slot: {
        release: () => {
          if (released) return;
          released = true;
          const list = this.#sends.get(key);
          const index = list?.lastIndexOf(nowMs) ?? -1;
          if (list && index >= 0) list.splice(index, 1);
          if (list && list.length === 0) this.#sends.delete(key);
        },
      },
    };
  }

  #prune(key: string, nowMs: number): number[] {
    const sends = (this.#sends.get(key) ?? []).filter((t) => t > nowMs - this.#longestMs);
    if (sends.length === 0) this.#sends.delete(key);
    return sends;
  }
}
