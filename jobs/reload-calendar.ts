import type { Huifang } from '../bot/huifang.js';

/**
 * Every five minutes: lays the calendar days entered in the console (next year's holidays, local
 * closures) over the shipped calendar, so every replica follows a change made on another.
 */
export const schedule = '15 */5 * * * *';

export async function run(app: Huifang) {
  await app.reloadCalendarOverlay();
  return {};
}
