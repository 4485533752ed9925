import { WITHDRAWN_AT, type Admission, type SharedWindow, type SharedWindows, type SlidingCap } from '../core/ports/shared-windows.js';
import type { MemoryState, SharedWindowRow } from './memory-state.js';

/** `SharedWindows` in memory, with the Prisma store's rules (bot/db/shared-window-store.ts); each method is one transaction. */
export class MemorySharedWindows implements SharedWindows {
  constructor(private readonly state: MemoryState) {}

  async reserve(key: string, holder: string, until: Date, now: Date, options: { force?: boolean } = {}): ReturnType<SharedWindows['reserve']> {
    const row = this.state.transact((tx) => {
      const old = tx.sharedWindow.get(key);
      if (!old) return tx.sharedWindow.insert({ key, holder, count: 0, until });
      if (options.force || old.until.getTime() <= now.getTime() || old.holder === holder) return tx.sharedWindow.update(key, { holder, until });
      return old;
    });
    return { ...windowOf(row), taken: row.holder === holder };
  }

  async strike(key: string, now: Date, untilByStrike: readonly Date[]): Promise<SharedWindow> {
    if (untilByStrike.length === 0) throw new Error('strike needs the end of the window for at least one strike');
    const row = this.state.transact((tx) => {
      const old = tx.sharedWindow.get(key);
      if (!old) return tx.sharedWindow.insert({ key, holder: '', count: 1, until: untilByStrike[0]! });
      if (old.until.getTime() > now.getTime()) return old;
      const count = Math.min(old.count + 1, untilByStrike.length);
      return tx.sharedWindow.update(key, { count, until: untilByStrike[count - 1]! });
    });
    return windowOf(row);
  }

  async admit(key: string, now: Date, caps: readonly SlidingCap[], latest: Date = now): Promise<Admission> {
    if (caps.length === 0) throw new Error('admit needs at least one cap');
    return this.state.transact((tx): Admission => {
      const events = tx.sharedWindowEvent.filter((r) => r.key === key);
      let retryAt = Number.NEGATIVE_INFINITY;
      for (const cap of caps) {
        const inWindow = events.map((r) => r.at.getTime()).filter((t) => t > now.getTime() - cap.windowMs).sort((x, y) => y - x);
        if (inWindow.length >= cap.max) retryAt = Math.max(retryAt, inWindow[cap.max - 1]! + cap.windowMs);
      }
      if (retryAt > Number.NEGATIVE_INFINITY) return { admitted: false, retryAt: new Date(retryAt) };
      const seq = events.reduce((max, r) => Math.max(max, r.seq), 0) + 1;
      const at = Math.max(now.getTime(), latest.getTime());
      const until = new Date(at + Math.max(...caps.map((c) => c.windowMs)));
      tx.sharedWindowEvent.insert({ key, seq, at: new Date(at), until });
      return { admitted: true, seq };
    });
  }

  async settle(key: string, seq: number, at: Date): Promise<void> {
    this.state.transact((tx) => {
      const event = tx.sharedWindowEvent.get(`${key}\u0000${seq}`);
      if (event && event.at.getTime() > at.getTime()) tx.sharedWindowEvent.update(`${key}\u0000${seq}`, { at: new Date(at.getTime()) });
    });
  }

  async withdraw(key: string, seq: number): Promise<void> {
    this.state.transact((tx) => {
      if (tx.sharedWindowEvent.get(`${key}\u0000${seq}`)) tx.sharedWindowEvent.update(`${key}\u0000${seq}`, { at: new Date(WITHDRAWN_AT.getTime()) });
    });
  }

  async read(key: string): Promise<SharedWindow | null> {
    const row = this.state.transact((tx) => tx.sharedWindow.get(key));
    return row ? windowOf(row) : null;
  }

  async release(key: string, holder?: string): Promise<void> {
    this.state.transact((tx) => {
      const old = tx.sharedWindow.get(key);
      if (old && (holder === undefined || old.holder === holder)) tx.sharedWindow.delete(key);
    });
  }

  async forgetEnded(before: Date): Promise<number> {
    return this.state.transact((tx) => {
      const ended = tx.sharedWindow.filter((r) => r.until.getTime() < before.getTime());
      for (const r of ended) tx.sharedWindow.delete(r.key);
      const events = tx.sharedWindowEvent.filter((r) => r.until.getTime() < before.getTime());
      for (const r of events) tx.sharedWindowEvent.delete(`${r.key}\u0000${r.seq}`);
      return ended.length + events.length;
    });
  }
}

function windowOf(row: Readonly<SharedWindowRow>): SharedWindow {
  return { holder: row.holder, count: row.count, until: new Date(row.until.getTime()) };
}
