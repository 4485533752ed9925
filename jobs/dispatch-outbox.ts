import type { Huifang } from '../bot/huifang.js';
import type { JobCutoffSignal } from '../bot/core/cutoff.js';
import { dispatchOutbox } from '../bot/core/outbox/dispatch-outbox.js';
import { fanOutWebhooks } from '../bot/core/webhooks/fan-out-webhooks.js';

/**
 * Every 10 seconds: queue webhook deliveries for the events recorded since the last run
 * (docs/webhooks.md), then send what the outbox holds (off WeCom's congested :00/:30 marks). Each
 * outcome is an `outbox:*` event.
 */
export const schedule = '3,13,23,33,43,53 * * * * *';

export async function run(app: Huifang, cutoff?: JobCutoffSignal) {
  // A failing fan-out must not hold back every other message: it is logged, and the next run catches up.
  const webhooks = await fanOutWebhooks({ clock: app.clock, webhooks: app.webhooks }).catch((err: unknown) => {
    app.logger.error({ err }, 'queueing webhook deliveries failed; the next run catches up');
    return null;
  });
  const summary = await dispatchOutbox(app.deps, { channels: app.channels, jitter: app.jitter, deadLetter: app.deadLetter, contact: app.config.customerContact, ...(cutoff ? { cutoff } : {}) });
  return { ...summary, webhooksQueued: webhooks?.queued ?? 0 };
}
