import type { Huifang } from '../bot/huifang.js';
import { runGreetings } from '../bot/core/greetings/run-greetings.js';

/**
 * Every minute: plans the day's holiday and birthday greetings of the enabled campaigns
 * (templates/campaigns), hands those due in the next minutes to the outbox with their spread send
 * times, and records how earlier ones ended. One row per customer and occasion (unique in the
 * database) makes repeated ticks and several replicas greet once.
 */
export const schedule = '0 * * * * *';

export async function run(app: Huifang) {
  return runGreetings(app.greetings, app.clock.now());
}
