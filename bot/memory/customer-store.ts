import type { IdGenerator } from '../core/clock.js';
import type { CustomerRecord, NewAuditEntry } from '../core/records.js';
import type { CustomerInput, CustomerStore, OptOutScope } from '../core/ports/customers.js';
import type { MemoryState } from './memory-state.js';
import { parseJson, toCustomerRecord, toJson } from './rows.js';
import { cancelOpenFollowUps, insertAudit } from './writes.js';

/** `CustomerStore` in memory. */
export class MemoryCustomerStore implements CustomerStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async upsertCustomer(input: CustomerInput): Promise<CustomerRecord> {
    return this.state.transact((tx) => {
      const existing =
        (input.externalId ? tx.customer.byUnique('externalId', input.externalId) : undefined) ??
        (input.phoneE164 ? tx.customer.byUnique('phoneE164', input.phoneE164) : undefined);
      const data = {
        name: input.name,
        ...(input.salutation ? { salutation: input.salutation } : {}),
        ...(input.phoneE164 ? { phoneE164: input.phoneE164, phoneMasked: input.phoneMasked } : {}),
        ...(input.wechatOpenId ? { wechatOpenId: input.wechatOpenId } : {}),
        ...(input.consentMarketing !== null ? { consentMarketing: input.consentMarketing } : {}),
        ...(input.consentSurvey !== null ? { consentSurvey: input.consentSurvey } : {}),
      };
      if (existing) {
        const becameDeceased = input.deceasedAt && !existing.deceasedAt;
        const updated = tx.customer.update(existing.id, {
          ...data,
          ...(input.externalId && !existing.externalId ? { externalId: input.externalId } : {}),
          ...(becameDeceased ? { deceasedAt: input.deceasedAt! } : {}),
          // A new phone number is worth texting again, even if the old one was reported invalid.
          ...(input.phoneE164 && input.phoneE164 !== existing.phoneE164 ? { phoneInvalidAt: null } : {}),
          tags: toJson(mergeTags(existing.tags, input.tags)),
        });
        // Never contact the family of a deceased customer: every open follow-up of theirs ends now.
        if (becameDeceased) cancelOpenFollowUps(tx, (f) => f.customerId === existing.id, 'CUSTOMER_DECEASED', input.deceasedAt!);
        return toCustomerRecord(updated);
      }
      const row = tx.customer.insert({ id: this.ids.next(), externalId: input.externalId, tags: toJson(input.tags), ...(input.deceasedAt ? { deceasedAt: input.deceasedAt } : {}), ...data });
      return toCustomerRecord(row);
    });
  }

  async findCustomersByKeys(keys: { externalIds: readonly string[]; phones: readonly string[]; wechatOpenIds: readonly string[] }): Promise<CustomerRecord[]> {
    return this.state.transact((tx) => {
      const found = new Map<string, CustomerRecord>();
      for (const [index, values] of [['externalId', keys.externalIds], ['phoneE164', keys.phones], ['wechatOpenId', keys.wechatOpenIds]] as const) {
        for (const value of values) {
          const row = tx.customer.byUnique(index, value);
          if (row) found.set(row.id, toCustomerRecord(row));
        }
      }
      return [...found.values()];
    });
  }

  async findCustomerByPhone(phoneE164: string): Promise<CustomerRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.customer.byUnique('phoneE164', phoneE164);
      return row ? toCustomerRecord(row) : null;
    });
  }

  async findCustomersByIds(ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
    return this.state.transact((tx) => {
      const out = new Map<string, CustomerRecord>();
      for (const id of ids) {
        const row = tx.customer.get(id);
        if (row) out.set(id, toCustomerRecord(row));
      }
      return out;
    });
  }

  async optInCustomer(customerId: string, consent: { survey?: boolean; marketing?: boolean }, audit: NewAuditEntry): Promise<boolean> {
    return this.state.transact((tx) => {
      if (!tx.customer.get(customerId)) return false;
      tx.customer.update(customerId, {
        optedOutAt: null,
        optOutSource: null,
        ...(consent.survey === undefined ? {} : { consentSurvey: consent.survey }),
        ...(consent.marketing === undefined ? {} : { consentMarketing: consent.marketing }),
      });
      insertAudit(tx, this.ids, [audit]);
      return true;
    });
  }

  async optOutCustomer(customerId: string, at: Date, source: string, audit: NewAuditEntry, scope: OptOutScope = 'all'): Promise<void> {
    this.state.transact((tx) => {
      const marked = tx.customer.updateWhere((c) => c.id === customerId && c.optedOutAt === null, { optedOutAt: at, optOutSource: source });
      if (marked !== 1) return;
      if (scope === 'all') {
        // An opted-out customer is never contacted again: open surveys end, unsent messages are cancelled.
        cancelOpenFollowUps(tx, (f) => f.customerId === customerId && f.action === 'CUSTOMER_SURVEY', 'CUSTOMER_OPTED_OUT', at);
      }
      tx.outbox.updateWhere(
        (m) =>
          m.recipientType === 'customer' &&
          m.recipientId === customerId &&
          m.status === 'PENDING' &&
          // Scope `marketing`: surveys the policy requires continue; greetings and other marketing stop.
          (scope !== 'marketing' || (m.kind === 'customer_notice' && m.payload.includes('"purpose":"marketing"'))),
        { status: 'CANCELLED', lastErrorCode: 'CUSTOMER_OPTED_OUT' },
      );
      insertAudit(tx, this.ids, [audit]);
    });
  }
}

function mergeTags(existing: string, added: string[]): string[] {
  const tags = new Set(parseJson<string[]>(existing, []));
  for (const t of added) tags.add(t);
  return [...tags];
}
