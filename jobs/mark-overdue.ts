import type { Huifang } from '../bot/huifang.js';

/** Every minute: staff tasks past their deadline become OVERDUE; unanswered surveys expire. */
export const schedule = '17 * * * * *';

export async function run(app: Huifang) {
  return app.deps.followUps.markOverdue(app.clock.now());
}
