import type { Huifang } from '../bot/huifang.js';
import { runWecomContactSync } from '../bot/staff/run-wecom-contact-sync.js';
import { runWecomContactMatch } from '../bot/contacts/run-wecom-contacts.js';

/**
 * Daily at 03:23 (off the busy :00/:30 minutes WeCom warns about): mirrors the WeCom contact list
 * into departments and staff. Only with HUIFANG_WECOM_CONTACT_SYNC=1 and WeCom configured;
 * otherwise it does nothing. Idempotent: a second run the same day changes only `syncedAt`.
 * With WECOM_CUSTOMER_CONTACT=1 it then matches customers to the members' external contacts
 * (客户联系, as `huifang wecom-contacts match` does).
 */
export const schedule = '0 23 3 * * *';

export async function run(app: Huifang) {
  if (!app.config.wecomContactSync || !app.config.wecom) return { enabled: false };
  const { departmentsCreated, departmentsUpdated, created, updated, deactivated, membersSeen, notices } = await runWecomContactSync(app);
  for (const notice of notices) app.logger.warn({ job: 'sync-wecom-contacts', notice }, 'wecom contact sync notice');
  if (!app.config.wecom.customerContact.enabled) return { membersSeen, created, updated, deactivated, departmentsCreated, departmentsUpdated };
  const match = await runWecomContactMatch(app);
  return { membersSeen, created, updated, deactivated, departmentsCreated, departmentsUpdated, customerContacts: { ...match.byOutcome, changed: match.changed, contactsWithoutCustomer: match.contactsWithoutCustomer } };
}
