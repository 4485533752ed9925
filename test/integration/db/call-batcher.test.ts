// The call batcher (bot/db/call-batcher.ts): calls of one turn run as one batch, one batch at a time, and
// a failed batch runs each of its calls alone.
import { describe, expect, it } from 'vitest';
import { CallBatcher } from '../../../bot/db/call-batcher.js';

/** A batcher over doubling, recording each batch and each call run alone; `gate` holds a batch until opened. */
function doubling(options: { failBatches?: boolean } = {}) {
  const batches: number[][] = [];
  const alone: number[] = [];
  let open: () => void = () => {};
  let gate: Promise<void> | null = null;
  const batcher = new CallBatcher<number, number>(
    async (items) => {
      batches.push([...items]);
      if (gate) await gate;
      if (options.failBatches) throw new Error('batch refused');
      return items.map((i) => i * 2);
    },
    async (item) => {
      alone.push(item);
      if (item < 0) throw new Error(`no double for ${item}`);
      return item * 2;
    },
    3,
  );
  return {
    batcher,
    batches,
    alone,
    hold: () => {
      gate = new Promise((resolve) => (open = resolve));
    },
    release: () => {
      gate = null;
      open();
    },
  };
}

describe('CallBatcher', () => {
  it('runs the calls of one turn together, at most maxBatch at a time, each with its own answer', async () => {
    const { batcher, batches, alone } = doubling();
    expect(await Promise.all([1, 2, 3, 4, 5].map((i) => batcher.run(i)))).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    expect(alone).toEqual([]);
    // A call alone runs alone.
    expect(await batcher.run(7)).toBe(14);
    expect(alone).toEqual([7]);
  });

  it('keeps the calls that come in while a batch runs for the next batch, all together', async () => {
    const { batcher, batches, hold, release } = doubling();
    hold();
    const first = Promise.all([1, 2].map((i) => batcher.run(i)));
    // Let the first batch start, then call three times over several turns while it is held.
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2]]);
    const later: Promise<number>[] = [];
    for (const i of [3, 4, 5]) {
      later.push(batcher.run(i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(batches).toEqual([[1, 2]]);
    release();
    expect(await first).toEqual([2, 4]);
    expect(await Promise.all(later)).toEqual([6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4, 5]]);
  });

  it('runs each call of a failed batch alone, with its own answer or error', async () => {
    const { batcher, alone } = doubling({ failBatches: true });
    const results = await Promise.allSettled([1, -2, 3].map((i) => batcher.run(i)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([2, 'no double for -2', 6]);
    expect(alone.sort()).toEqual([-2, 1, 3]);
  });
});
