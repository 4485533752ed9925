import type { SharedWindow, SharedWindows } from '../core/ports/shared-windows.js';
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

  async tally(key: string, now: Date, until: Date): Promise<SharedWindow> {
    const row = this.state.transact((tx) => {
      const old = tx.sharedWindow.get(key);
      if (!old) return tx.sharedWindow.insert({ key, holder: '', count: 1, until });
      if (old.until.getTime() <= now.getTime()) return tx.sharedWindow.update(key, { count: 1, until });
      return tx.sharedWindow.update(key, { count: old.count + 1 });
    });
    return windowOf(row);
  }

  async untally(key: string, now: Date): Promise<void> {
    this.state.transact((tx) => {
      const old = tx.sharedWindow.get(key);
      if (old && old.until.getTime() > now.getTime() && old.count > 0) tx.sharedWindow.update(key, { count: old.count - 1 });
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
      return ended.length;
    });
  }
}

function windowOf(row: Readonly<SharedWindowRow>): SharedWindow {
  return { holder: row.holder, count: row.count, until: new Date(row.until.getTime()) };
}
