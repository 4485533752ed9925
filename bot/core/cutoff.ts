/**
 * How a running job is cut off at the shutdown deadline (`HUIFANG_SHUTDOWN_TIMEOUT_SECONDS`): the
 * signal tells it to take no further work (checked between sends and between claim rounds), and the
 * claims it still holds are handed back at once instead of waiting for their leases. A job registers
 * a release while it holds a claim ({@link JobCutoff.hold}); what it has already started (a send
 * handed to the provider) is not released but reconciled by the next claim.
 */
export interface JobCutoffSignal {
  readonly signal: AbortSignal;
  /**
   * Registers `release` (it hands back the claims of `what`, resolving with how many) while they are
   * held; call the returned function once they are settled.
   */
  hold(what: string, release: () => Promise<number>): () => void;
}

/** What a cut-off handed back, by kind of claim, and the releases that failed. */
export interface CutoffResult {
  released: Record<string, number>;
  failed: Error[];
}

export class JobCutoff implements JobCutoffSignal {
  readonly #controller = new AbortController();
  readonly #releases = new Set<{ what: string; release: () => Promise<number> }>();

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  hold(what: string, release: () => Promise<number>): () => void {
    const entry = { what, release };
    // Held after the cut-off (a claim that was already under way): handed back at once.
    if (this.#controller.signal.aborted) void release().catch(() => undefined);
    else this.#releases.add(entry);
    return () => {
      this.#releases.delete(entry);
    };
  }

  /** Aborts the signal, then runs every held release once; resolves when all have settled. */
  async cutOff(): Promise<CutoffResult> {
    this.#controller.abort();
    const entries = [...this.#releases];
    this.#releases.clear();
    const outcomes = await Promise.allSettled(entries.map((e) => e.release()));
    const result: CutoffResult = { released: {}, failed: [] };
    outcomes.forEach((outcome, i) => {
      const what = entries[i]!.what;
      if (outcome.status === 'fulfilled') result.released[what] = (result.released[what] ?? 0) + outcome.value;
      else result.failed.push(outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)));
    });
    return result;
  }
}

/** For a job that nobody cuts off (`huifang jobs run`, tests). */
export const NEVER_CUT_OFF: JobCutoffSignal = { signal: new AbortController().signal, hold: () => () => undefined };
