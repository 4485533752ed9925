import type { Huifang } from '../bot/huifang.js';
import { runCollectWecomContactResults } from '../bot/contacts/run-wecom-contacts.js';

/**
 * Every 10 minutes (at :07, off the busy :00/:30 WeCom warns about): asks WeCom what became of the
 * customer-contact (客户联系) messages queued for members, records delivered or failed, withdraws
 * those not sent within WECOM_CONTACT_CONFIRM_DAYS (or, for a survey whose deadline comes first, before
 * that deadline) and queues the next channel of their chain (WeChat, SMS).
 * Only with WECOM_CUSTOMER_CONTACT=1 and WeCom live; otherwise it does nothing.
 */
export const schedule = '0 7-59/10 * * * *';

export async function run(app: Huifang) {
  if (!app.config.wecom?.customerContact.enabled || app.config.channels.staff !== 'wecom') return { enabled: false };
  return runCollectWecomContactResults(app);
}
