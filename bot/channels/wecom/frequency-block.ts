import { addLocalDays, atLocalTime } from '../../core/time.js';
import { FREQUENCY_BLOCK_MS } from './errcodes.js';

const HOUR_MS = 3_600_000;

/**
 * How long WeCom blocks the application after errcode 45009 (接口调用超过限制). WeCom blocks a caller
 * until the window of the limit it hit has passed — a minute, an hour, or the rest of the natural day
 * (docs/protocols/wecom.md §3) — but 45009 does not say which limit. So the block escalates: a first
 * 45009 waits a minute; a 45009 again once that block is over means the hourly limit, an hour; again
 * after that, the daily limit, until the next local midnight. A successful call ends the escalation.
 * While blocked, the channel does not call WeCom at all (more calls would not be answered anyway).
 */
export class FrequencyBlock {
  #strikes = 0;
  #until = 0;

  constructor(private readonly timeZone: string) {}

  /** Milliseconds left of the current block (0: not blocked). */
  remainingMs(now: Date): number {
    return Math.max(0, this.#until - now.getTime());
  }

  /** Records a 45009 at `now` and returns how long to wait. */
  hit(now: Date): number {
    this.#strikes = Math.min(this.#strikes + 1, 3);
    const wait = this.#strikes === 1 ? FREQUENCY_BLOCK_MS : this.#strikes === 2 ? HOUR_MS : Math.max(FREQUENCY_BLOCK_MS, addLocalDays(atLocalTime(now, '00:00', this.timeZone), 1, this.timeZone).getTime() - now.getTime());
    this.#until = now.getTime() + wait;
    return wait;
  }

  /** A call went through: the limits are not hit. */
  clear(): void {
    this.#strikes = 0;
    this.#until = 0;
  }

  /** Which window the last block stands for. */
  get window(): 'minute' | 'hour' | 'day' {
    return this.#strikes <= 1 ? 'minute' : this.#strikes === 2 ? 'hour' : 'day';
  }
}
