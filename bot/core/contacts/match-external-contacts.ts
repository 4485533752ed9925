import type { Clock } from '../clock.js';
import type { ContactMatchCustomer, ExternalContactDirectory, ExternalContactEntry, WecomContactStore } from '../ports/wecom-contacts.js';
import { maskPhone, normalizePhone } from '../phone.js';

/** How one customer came out of the match. */
export type ContactMatchOutcome =
  /** Matched (or still matched) by a phone number a member noted for the contact (备注手机号). */
  | 'MATCHED_BY_MOBILE'
  /** Matched by name: the only contact with the customer's name, and the only customer with it. */
  | 'MATCHED_BY_NAME'
  /** The external contact on file is still there, though no rule finds it again (the noted phone was removed): kept. */
  | 'KEPT'
  /** The external contact on file is gone (the customer or the member deleted the other): cleared. */
  | 'CLEARED'
  /** Several different contacts fit (same phone on two WeChat accounts, or a shared name): left as it was. */
  | 'AMBIGUOUS'
  /** No contact fits. */
  | 'UNMATCHED';

export interface ContactMatchLine {
  customerId: string;
  /** The customer's phone, masked. */
  phone: string | null;
  outcome: ContactMatchOutcome;
  /** The member who sends to them, when matched. */
  followUserId: string | null;
  /** Whether the customer's record changes (false: already so, or a dry run's unchanged line). */
  changed: boolean;
}

export interface ContactMatchReport {
  customers: number;
  /** External-contact pairs WeCom listed (one per customer and member). */
  contacts: number;
  byOutcome: Record<ContactMatchOutcome, number>;
  /** Customers whose record changes (or, with `dryRun`, would). */
  changed: number;
  /** Contacts no customer matched (the organisation does not hold them, or they lack a noted phone). */
  contactsWithoutCustomer: number;
  lines: ContactMatchLine[];
  dryRun: boolean;
}

/**
 * Matches customers to the corp's WeCom external contacts (客户联系, docs/protocols/wecom.md §12.4), so
 * that a `wecom_contact` step can reach them through the member who has them as a contact.
 *
 * A customer matches a contact when one of the phone numbers a member noted for it (remark_mobiles)
 * is the customer's phone; failing that, when the customer's name is the contact's remark or WeChat
 * name and both are unique (one customer with the name, one external contact with it). When several
 * members have the customer, the one already on file is kept, else the first by UserID. A customer
 * whose contact is gone is cleared; an ambiguous one is left as it was. With `dryRun` nothing is
 * written. The report lists every customer (phones masked).
 */
export async function matchExternalContacts(
  deps: { clock: Clock; store: WecomContactStore; directory: ExternalContactDirectory },
  options: { dryRun?: boolean; pageSize?: number } = {},
): Promise<ContactMatchReport> {
  const entries = await deps.directory.listExternalContacts();
  const byMobile = new Map<string, ExternalContactEntry[]>();
  const byName = new Map<string, ExternalContactEntry[]>();
  for (const e of entries) {
    for (const raw of e.mobiles) {
      const phone = tryNormalize(raw);
      if (phone) byMobile.set(phone, [...(byMobile.get(phone) ?? []), e]);
    }
    for (const name of new Set([e.remark.trim(), e.name.trim()].filter(Boolean))) byName.set(name, [...(byName.get(name) ?? []), e]);
  }
  const customers: ContactMatchCustomer[] = [];
  for (let after: string | null = null; ; ) {
    const page = await deps.store.listCustomersForContactMatch(after, options.pageSize ?? 1000);
    customers.push(...page);
    if (page.length < (options.pageSize ?? 1000)) break;
    after = page[page.length - 1]!.id;
  }
  const nameCount = new Map<string, number>();
  for (const c of customers) nameCount.set(c.name.trim(), (nameCount.get(c.name.trim()) ?? 0) + 1);

  const report: ContactMatchReport = {
    customers: customers.length,
    contacts: entries.length,
    byOutcome: { MATCHED_BY_MOBILE: 0, MATCHED_BY_NAME: 0, KEPT: 0, CLEARED: 0, AMBIGUOUS: 0, UNMATCHED: 0 },
    changed: 0,
    contactsWithoutCustomer: 0,
    lines: [],
    dryRun: options.dryRun ?? false,
  };
  const used = new Set<string>();
  const changes: { customerId: string; externalUserId: string | null; followUserId: string | null }[] = [];
  for (const c of customers) {
    let outcome: ContactMatchOutcome;
    let chosen: ExternalContactEntry | null = null;
    const mobileFits = c.phoneE164 ? (byMobile.get(c.phoneE164) ?? []) : [];
    const name = c.name.trim();
    const nameFits = nameCount.get(name) === 1 ? (byName.get(name) ?? []) : [];
    const fits = mobileFits.length > 0 ? mobileFits : nameFits;
    const contactIds = new Set(fits.map((e) => e.externalUserId));
    if (contactIds.size > 1) outcome = 'AMBIGUOUS';
    else if (contactIds.size === 1) {
      outcome = mobileFits.length > 0 ? 'MATCHED_BY_MOBILE' : 'MATCHED_BY_NAME';
      chosen = fits.find((e) => e.followUserId === c.wecomFollowUserId) ?? [...fits].sort((a, b) => (a.followUserId < b.followUserId ? -1 : 1))[0]!;
    } else if (c.wecomExternalId && !entries.some((e) => e.externalUserId === c.wecomExternalId && e.followUserId === c.wecomFollowUserId)) outcome = 'CLEARED';
    else outcome = c.wecomExternalId ? 'KEPT' : 'UNMATCHED';
    if (outcome === 'KEPT') chosen = entries.find((e) => e.externalUserId === c.wecomExternalId && e.followUserId === c.wecomFollowUserId) ?? null;
    if (chosen) used.add(chosen.externalUserId);
    const next = outcome === 'CLEARED' ? { externalUserId: null, followUserId: null } : chosen ? { externalUserId: chosen.externalUserId, followUserId: chosen.followUserId } : null;
    const changed = next !== null && (next.externalUserId !== c.wecomExternalId || next.followUserId !== c.wecomFollowUserId);
    if (changed) changes.push({ customerId: c.id, ...next });
    report.byOutcome[outcome]++;
    if (changed) report.changed++;
    report.lines.push({ customerId: c.id, phone: c.phoneE164 ? maskPhone(c.phoneE164) : null, outcome, followUserId: next?.followUserId ?? c.wecomFollowUserId, changed });
  }
  report.contactsWithoutCustomer = new Set(entries.map((e) => e.externalUserId).filter((id) => !used.has(id))).size;
  if (!report.dryRun) await deps.store.saveContactMatches(changes, deps.clock.now());
  return report;
}

function tryNormalize(raw: string): string | null {
  try {
    return normalizePhone(raw).e164;
  } catch {
    return null;
  }
}
