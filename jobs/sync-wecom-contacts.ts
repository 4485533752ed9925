import type { Huifang } from '../bot/huifang.js';
import { runWecomContactSync } from '../bot/staff/run-wecom-contact-sync.js';

/**
 * Daily at 03:23 (off the busy :00/:30 minutes WeCom warns about): mirrors the WeCom contact list
 * into departments and staff. Only with HUIFANG_WECOM_CONTACT_SYNC=1 and WeCom configured;
 * otherwise it does nothing. Idempotent: a second run the same day changes only `syncedAt`.
 */
export const schedule = '0 23 3 * * *';

export async function run(app: Huifang) {
  if (!app.config.wecomContactSync || !app.config.wecom) return { enabled: false };
  const { departmentsCreated, departmentsUpdated, created, updated, deactivated, membersSeen, notices } = await runWecomContactSync(app);
  for (const notice of notices) app.logger.warn({ job: 'sync-wecom-contacts', notice }, 'wecom contact sync notice');
  return { membersSeen, created, updated, deactivated, departmentsCreated, departmentsUpdated };
}
