import type { Huifang } from '../bot/huifang.js';
import { topUpQuotas } from '../bot/core/policies/quota-top-up.js';

/**
 * Every hour: a sampling quota with a `min` that is short of it near the end of its week or month takes
 * follow-ups the draw passed over (bot/core/policies/quota-top-up.ts).
 */
export const schedule = '37 23 * * * *';

export async function run(app: Huifang) {
  return topUpQuotas(app.deps);
}
