import type { Huifang } from '../bot/huifang.js';
import { climbEscalations } from '../bot/core/escalation/act-on-escalation.js';

/** Every minute: escalations past their deadline climb to the next level of their chain (both owners told). */
export const schedule = '37 * * * * *';

export async function run(app: Huifang) {
  return climbEscalations(app.deps);
}
