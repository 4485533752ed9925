import { addLocalDays, atLocalTime } from '../../core/time.js';

/**
 * WeCom's per-application daily quota for app messages: (the enterprise's seat limit, 帐号上限数) × 200
 * person-times a day (docs/protocols/wecom.md §3); one message to one member is one person-time. Beyond it
 * WeCom refuses messages for the rest of the natural day. Huifang stops *before* it: the count of
 * today's sends comes from the outbox (so every replica sees the others' sends), re-read every
 * `refreshMs` and counted locally in between; a send over the quota waits for the next local day.
 */
export class AppDailyQuota {
  #day: number | null = null;
  #used = 0;
  #refreshedAt = 0;

  constructor(
    private readonly options: {
      /** Person-times a day (WECOM_DAILY_MESSAGE_LIMIT). */
      limit: number;
      timeZone: string;
      /** Messages of this application sent at or after `since` (the outbox's SENT WeCom messages). */
      countSentSince(since: Date): Promise<number>;
      /** How often the shared count is re-read [60 s]. */
      refreshMs?: number;
    },
  ) {}

  /** Takes one person-time of today's quota, or says how long until the next day's quota. */
  async tryAcquire(now: Date): Promise<{ ok: true; release(): void } | { ok: false; retryAfterMs: number }> {
    const dayStart = atLocalTime(now, '00:00', this.options.timeZone);
    const day = dayStart.getTime();
    if (this.#day !== day || now.getTime() - this.#refreshedAt >= (this.options.refreshMs ?? 60_000)) {
      const counted = await this.options.countSentSince(dayStart);
      // Sends of this process since the last read may not be counted yet: keep the larger figure.
      this.#used = this.#day === day ? Math.max(this.#used, counted) : counted;
      this.#day = day;
      this.#refreshedAt = now.getTime();
    }
    if (this.#used >= this.options.limit) {
      const tomorrow = addLocalDays(dayStart, 1, this.options.timeZone);
      return { ok: false, retryAfterMs: Math.max(1_000, tomorrow.getTime() - now.getTime()) };
    }
    this.#used++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (!released && this.#day === day) this.#used = Math.max(0, this.#used - 1);
        released = true;
      },
    };
  }
}
