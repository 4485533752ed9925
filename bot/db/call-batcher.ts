/**
 * Runs the calls of a store method made during one turn of the event loop as one batch: the dispatcher's
 * concurrent sends mark, deliver and complete their messages at nearly the same moment, and one statement
 * for all of them costs little more than one for each (docs in README, "Benchmarks").
 *
 * Each call still gets its own answer. The batch runs on the next turn (`setImmediate`), with whatever calls
 * came in meanwhile; while a batch is running, the calls that come in wait for it and then run together as
 * the next one (a group commit: one batch at a time, as large as the load makes it, and no wait at all when
 * nothing is running). If the batch fails, each of its calls runs
 * alone, as it would have without batching, and gets its own result or error — so a batch that fails
 * part-way (one message's statement, a dropped connection) leaves each message as it would have been alone.
 * The batch must therefore be all or nothing (one statement, or one transaction).
 */
export class CallBatcher<T, R> {
  private pending: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private running = false;

  private readonly runOne: (item: T) => Promise<R>;

  /**
   * @param runBatch runs several calls at once, all or nothing; answers in the order of `items`.
   * @param runOne runs one call alone (a batch of one, and each call of a failed batch) [`runBatch` with one item].
   * @param maxBatch calls per batch at most (bound parameters stay under both databases' limits).
   */
  constructor(
    private readonly runBatch: (items: T[]) => Promise<R[]>,
    runOne?: (item: T) => Promise<R>,
    private readonly maxBatch = 100,
  ) {
    this.runOne = runOne ?? (async (item) => (await runBatch([item]))[0]!);
  }

  /** Runs `item` with the other calls of this turn. */
  run(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Runs the pending calls on the next turn, unless a batch is running (its end schedules them). */
  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = true;
      void this.flush().finally(() => {
        this.running = false;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const calls = this.pending;
    this.pending = [];
    for (let i = 0; i < calls.length; i += this.maxBatch) {
      const chunk = calls.slice(i, i + this.maxBatch);
      let results: R[] | null = null;
      if (chunk.length > 1) {
        try {
          results = await this.runBatch(chunk.map((c) => c.item));
        } catch {
          // Not swallowed: each call now runs alone, and whatever made the batch fail fails that call
          // (or, if it concerned one message only, that message) with its own error.
          results = null;
        }
      }
      if (results) chunk.forEach((c, j) => c.resolve(results[j]!));
      else await Promise.all(chunk.map((c) => this.runOne(c.item).then(c.resolve, c.reject)));
    }
  }
}
