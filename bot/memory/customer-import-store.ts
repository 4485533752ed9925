import type { CustomerImportStore, ImportedCustomer, ImportedCustomerFields } from '../core/ports/customers.js';
import type { CustomerRow, MemoryState } from './memory-state.js';
import { parseJson } from './rows.js';

/** `CustomerImportStore` in memory (tags kept as a JSON list, as in the database). */
export class MemoryCustomerImportStore implements CustomerImportStore {
  constructor(private readonly state: MemoryState) {}

  async findCustomersForImport(keys: { externalIds: readonly string[]; phones: readonly string[] }): Promise<ImportedCustomer[]> {
    return this.state.transact((tx) => {
      const externalIds = new Set(keys.externalIds);
      const phones = new Set(keys.phones);
      const a = tx.customer.filter((c) => c.externalId !== null && externalIds.has(c.externalId));
      const b = tx.customer.filter((c) => c.phoneE164 !== null && phones.has(c.phoneE164));
      const byId = new Map([...a, ...b].map((c) => [c.id, imported(c)]));
      return [...byId.values()];
    });
  }

  async writeCustomerBatch(batch: Parameters<CustomerImportStore['writeCustomerBatch']>[0]): Promise<void> {
    const data = ({ tags, ...fields }: Omit<ImportedCustomerFields, 'externalId'>): Partial<CustomerRow> => ({ ...fields, ...(tags ? { tags: JSON.stringify(tags) } : {}) });
    this.state.transact((tx) => {
      for (const c of batch.create) tx.customer.insert({ ...data(c), id: c.id, name: c.name, externalId: c.externalId });
      for (const u of batch.update) tx.customer.update(u.id, { ...data(u.fields), ...(u.fields.externalId ? { externalId: u.fields.externalId } : {}) });
    });
  }
}

function imported(c: CustomerRow): ImportedCustomer {
  return {
    id: c.id,
    externalId: c.externalId,
    name: c.name,
    salutation: c.salutation,
    phoneE164: c.phoneE164,
    wechatOpenId: c.wechatOpenId,
    tags: parseJson<string[]>(c.tags, []),
    birthday: c.birthday,
    consentSurvey: c.consentSurvey,
    consentMarketing: c.consentMarketing,
    optedOutAt: c.optedOutAt ? new Date(c.optedOutAt.getTime()) : null,
  };
}
