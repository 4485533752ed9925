import type { Huifang } from '../bot/huifang.js';
import type { JobCutoffSignal } from '../bot/core/cutoff.js';
import { dispatchOutbox } from '../bot/core/outbox/dispatch-outbox.js';
import { fanOutWebhooks } from '../bot/core/webhooks/fan-out-webhooks.js';

/**
 * Every 10 seconds: queue webhook deliveries for the events recorded since the last run
 * (docs/webhooks.md), then send what the outbox holds (off WeCom's congested :00/:30 marks), then
 * forget the shared limit windows, and the sends counted for WeCom's per-member caps, that ended long ago.
 * Each outcome is an `outbox:*` event.
 */
export const schedule = '3,13,23,33,43,53 * * * * *';

/**
 * How long a shared limit window is kept after it ended (a WeCom 45009 block's strikes count across a day),
 * and a counted send after it left its longest window (the hour).
 */
const ENDED_WINDOW_KEPT_MS = 86_400_000;

export async function run(app: Huifang, cutoff?: JobCutoffSignal) {
  // A failing fan-out must not hold back every other message: it is logged, and the next run catches up.
  const webhooks = await fanOutWebhooks({ clock: app.clock, webhooks: app.webhooks }).catch((err: unknown) => {
    app.logger.error({ err }, 'queueing webhook deliveries failed; the next run catches up');
    return null;
  });
  const summary = await dispatchOutbox(app.deps, { channels: app.channels, jitter: app.jitter, deadLetter: app.deadLetter, contact: app.config.customerContact, ...(cutoff ? { cutoff } : {}) });
  // Shared limit windows and counted sends that ended a day ago decide nothing any more (two indexed DELETEs).
  const windowsForgotten = await app.deps.windows.forgetEnded(new Date(app.clock.now().getTime() - ENDED_WINDOW_KEPT_MS));
  return { ...summary, webhooksQueued: webhooks?.queued ?? 0, windowsForgotten };
}
