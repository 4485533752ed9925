import type { CoreDeps } from '../core/deps.js';
import type { Logger } from '../logger.js';
import { processPendingInbound, type InboundHandler } from '../core/inbox/process-inbound.js';
import { JobCutoff, type CutoffResult } from '../core/cutoff.js';

/**
 * How long a drain waits after the first poke before claiming: callbacks arriving meanwhile are handled
 * by the same batch. This is the delay between a webhook's answer and its effect when the service is idle.
 */
export const INBOX_DRAIN_DELAY_MS = 5;

/**
 * Events a drain handles at once, on either database. Their writes that come at the same moment (the replies
 * they put in the outbox, their outcomes) are committed together (bot/db/call-batcher.ts): on SQLite, whose
 * commits wait for the disk on the process's thread, that is one commit for several events instead of two per
 * event; on PostgreSQL, fewer round trips (its pool has 10 connections).
 */
export const INBOX_DRAIN_CONCURRENCY = 8;

/** Events one drain handles before it lets the next poke start a fresh one (keeps a run's leases fresh). */
const DRAIN_RUN_LIMIT = 200;

/** Handles the inbox's waiting events in this process, off the webhook's request path. */
export interface InboxDrain {
  /** Something was recorded (or may be waiting): a drain starts shortly unless one is running, which then goes on. */
  poke(): void;
  /** Resolves when no drain is running or scheduled (shutdown; the events it handled are finished). */
  idle(): Promise<void>;
  /** No further drains start; resolves once the running one has finished. */
  stop(): Promise<void>;
  /**
   * The shutdown deadline passed: the running drain starts no further event, and the events it claimed but
   * has not started are handed back at once (core/cutoff.ts). Resolves once handed back, with how many.
   */
  cutOff(): Promise<CutoffResult>;
}

/**
 * The in-process inbox drain (`huifang start --role all|jobs`): webhooks record their event, answer, and
 * poke it; {@link INBOX_DRAIN_DELAY_MS} later it claims the waiting events in batches and handles them,
 * `concurrency` at a time (huifang.ts: {@link INBOX_DRAIN_CONCURRENCY}), through `processPendingInbound` (the same claim, lease, backoff and DEAD rules as the
 * `process-inbox` job). One drain runs at a time per process; a poke during a run makes it look again
 * before it ends, so nothing poked is left waiting. Claims are atomic, so drains of several replicas
 * share the work and never handle an event twice. A failed drain is logged; the events stay waiting
 * for the next poke or the `process-inbox` job.
 */
export function createInboxDrain(
  deps: CoreDeps,
  handlers: Readonly<Record<string, InboundHandler>>,
  logger: Logger,
  options: { delayMs?: number; concurrency?: number } = {},
): InboxDrain {
  const delayMs = options.delayMs ?? INBOX_DRAIN_DELAY_MS;
  const concurrency = options.concurrency ?? 1;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const cutoff = new JobCutoff();
  let cutting: Promise<CutoffResult> | null = null;

  const run = async () => {
    try {
      do {
        again = false;
        const results = await processPendingInbound(deps, handlers, DRAIN_RUN_LIMIT, concurrency, cutoff);
        // A full run may have left events behind: look again, as after a poke.
        if (results.length >= DRAIN_RUN_LIMIT) again = true;
      } while (again && !stopped);
    } catch (err) {
      logger.error({ err }, 'inbox drain failed; the events stay waiting for the next drain or the process-inbox job');
    } finally {
      running = null;
    }
  };

  const start = () => {
    timer = null;
    if (stopped) return;
    running = run();
  };

  return {
    poke() {
      if (stopped) return;
      if (running) again = true;
      else if (!timer) timer = setTimeout(start, delayMs);
    },
    async idle() {
      while (timer || running) {
        if (running) await running;
        else await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running;
    },
    cutOff() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      return (cutting ??= cutoff.cutOff());
    },
  };
}
