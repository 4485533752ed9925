import type { Huifang } from '../bot/huifang.js';
import { dispatchOutbox } from '../bot/core/outbox/dispatch-outbox.js';

/** Every 10 seconds: send what the outbox holds (off WeCom's congested :00/:30 marks). Each outcome is an `outbox:*` event. */
export const schedule = '3,13,23,33,43,53 * * * * *';

export async function run(app: Huifang) {
  return dispatchOutbox(app.deps, { channels: app.channels, jitter: app.jitter, deadLetter: app.deadLetter, contact: app.config.customerContact });
}
