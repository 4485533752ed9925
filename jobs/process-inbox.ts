import type { Huifang } from '../bot/huifang.js';
import { processPendingInbound } from '../bot/core/inbox/process-inbound.js';
import { inboundHandlers } from '../bot/inbound/handlers.js';
import type { JobCutoffSignal } from '../bot/core/cutoff.js';

/**
 * Every minute: inbound events left unprocessed (crash after recording, or no inbox drain running) or failed
 * and due again (backoff) are (re)processed, claimed in batches as the inbox drain claims them
 * (bot/inbound/inbox-drain.ts); an event out of attempts is DEAD (`huifang inbox dead`).
 */
export const schedule = '27 * * * * *';

export async function run(app: Huifang, cutoff?: JobCutoffSignal) {
  // Cut off at the shutdown deadline: the claimed events not started yet are handed back (core/cutoff.ts).
  const results = await processPendingInbound(app.deps, inboundHandlers, undefined, undefined, cutoff);
  return {
    processed: results.filter((r) => r.status === 'PROCESSED').length,
    rejected: results.filter((r) => r.status === 'REJECTED').length,
    failed: results.filter((r) => r.status === 'FAILED').length,
    dead: results.filter((r) => r.status === 'DEAD').length,
  };
}
