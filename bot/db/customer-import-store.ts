import type { CustomerImportStore, ImportedCustomer, ImportedCustomerFields } from '../core/ports/customers.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { parseJson } from './rows.js';

/** `CustomerImportStore` over Prisma (tags are a JSON list in a text column). */
export class PrismaCustomerImportStore implements CustomerImportStore {
  constructor(private readonly db: StoreContext) {}

  async findCustomersForImport(keys: { externalIds: readonly string[]; phones: readonly string[] }): Promise<ImportedCustomer[]> {
    const select = { id: true, externalId: true, name: true, salutation: true, phoneE164: true, wechatOpenId: true, tags: true, birthday: true, consentSurvey: true, consentMarketing: true, optedOutAt: true } as const;
    const { prisma } = this.db;
    const [a, b] = await Promise.all([
      keys.externalIds.length ? prisma.customer.findMany({ where: { externalId: { in: [...keys.externalIds] } }, select }) : [],
      keys.phones.length ? prisma.customer.findMany({ where: { phoneE164: { in: [...keys.phones] } }, select }) : [],
    ]);
    const byId = new Map([...a, ...b].map((c) => [c.id, { ...c, tags: parseJson<string[]>(c.tags, []) }]));
    return [...byId.values()];
  }

  async writeCustomerBatch(batch: Parameters<CustomerImportStore['writeCustomerBatch']>[0]): Promise<void> {
    const data = ({ tags, ...fields }: Omit<ImportedCustomerFields, 'externalId'>) => ({ ...fields, ...(tags ? { tags: JSON.stringify(tags) } : {}) });
    await this.db.prisma.$transaction(async (tx) => {
      for (const c of batch.create) await tx.customer.create({ data: { ...data(c), id: c.id, name: c.name, externalId: c.externalId } });
      for (const u of batch.update) await tx.customer.update({ where: { id: u.id }, data: { ...data(u.fields), ...(u.fields.externalId ? { externalId: u.fields.externalId } : {}) } });
    }, TX_OPTIONS);
  }
}
