import type { CustomerRecord, NewAuditEntry } from '../core/records.js';
import type { CustomerInput, CustomerStore, OptOutScope } from '../core/ports/customers.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation, parseJson, toCustomerRecord, toJson } from './rows.js';
import { cancelOpenFollowUps, chunks, insertAudit } from './writes.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { CUSTOMER_COLUMNS, customerFromSql } from './sql-rows.js';
import { byKeyProbes } from './by-key-probes.js';
import { CallBatcher } from './call-batcher.js';
import { typedValues } from './typed-values.js';

/** The PostgreSQL statements of `findCustomersByKeys`, by unique key column. */
const BY_KEY = {
  externalId: byKeyProbes('Customer', CUSTOMER_COLUMNS, ['externalId']),
  phoneE164: byKeyProbes('Customer', CUSTOMER_COLUMNS, ['phoneE164']),
  wechatOpenId: byKeyProbes('Customer', CUSTOMER_COLUMNS, ['wechatOpenId']),
} as const;

/** `CustomerStore` over Prisma. */
export class PrismaCustomerStore implements CustomerStore {
  private readonly sql: FixedSql;
  private readonly phoneLookups: CallBatcher<string, CustomerRecord | null>;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
    this.phoneLookups = new CallBatcher((phones) => this.findCustomersByPhones(phones));
  }

  async upsertCustomer(input: CustomerInput): Promise<CustomerRecord> {
    for (let attempt = 0; ; attempt++) {
      const existing =
        (input.externalId ? await this.db.prisma.customer.findUnique({ where: { externalId: input.externalId } }) : null) ??
        (input.phoneE164 ? await this.db.prisma.customer.findUnique({ where: { phoneE164: input.phoneE164 } }) : null);
      const data = {
        name: input.name,
        ...(input.salutation ? { salutation: input.salutation } : {}),
        ...(input.phoneE164 ? { phoneE164: input.phoneE164, phoneMasked: input.phoneMasked } : {}),
        ...(input.wechatOpenId ? { wechatOpenId: input.wechatOpenId } : {}),
        ...(input.consentMarketing !== null ? { consentMarketing: input.consentMarketing } : {}),
        ...(input.consentSurvey !== null ? { consentSurvey: input.consentSurvey } : {}),
      };
      try {
        if (existing) {
          const becameDeceased = input.deceasedAt && !existing.deceasedAt;
          const row = await this.db.prisma.$transaction(async (tx) => {
            const updated = await tx.customer.update({
              where: { id: existing.id },
              data: {
                ...data,
                ...(input.externalId && !existing.externalId ? { externalId: input.externalId } : {}),
                ...(becameDeceased ? { deceasedAt: input.deceasedAt } : {}),
                // A new phone number is worth texting again, even if the old one was reported invalid.
                ...(input.phoneE164 && input.phoneE164 !== existing.phoneE164 ? { phoneInvalidAt: null } : {}),
                tags: toJson(mergeTags(existing.tags, input.tags)),
              },
            });
            // Never contact the family of a deceased customer: every open follow-up of theirs ends now.
            if (becameDeceased) await cancelOpenFollowUps(tx, { customerId: existing.id }, 'CUSTOMER_DECEASED', input.deceasedAt!);
            return updated;
          }, TX_OPTIONS);
          return toCustomerRecord(row);
        }
        const row = await this.db.prisma.customer.create({
          data: { id: this.db.ids.next(), externalId: input.externalId, tags: toJson(input.tags), ...(input.deceasedAt ? { deceasedAt: input.deceasedAt } : {}), ...data },
        });
        return toCustomerRecord(row);
      } catch (err) {
        // A concurrent request created the same customer: read it again, once.
        if (isUniqueViolation(err) && attempt === 0) continue;
        throw err;
      }
    }
  }

  /** Fixed SQL on the driver adapter (bot/db/fixed-sql.ts): every batch of cases asks it once. */
  async findCustomersByKeys(keys: { externalIds: readonly string[]; phones: readonly string[]; wechatOpenIds: readonly string[] }): Promise<CustomerRecord[]> {
    const found = new Map<string, CustomerRecord>();
    for (const [column, values] of [['externalId', keys.externalIds], ['phoneE164', keys.phones], ['wechatOpenId', keys.wechatOpenIds]] as const) {
      if (values.length === 0) continue;
      if (this.db.capabilities.provider === 'postgresql') {
        // Each key a probe of its unique index (bot/db/by-key-probes.ts), the table just grown or not.
        const rows = await this.sql.query(BY_KEY[column], [[...new Set(values)]]);
        for (const row of rows) found.set(String(row.id), customerFromSql(row));
        continue;
      }
      for (const chunk of chunks([...new Set(values)], 500)) {
        const rows = await this.sql.query(`SELECT ${CUSTOMER_COLUMNS} FROM "Customer" WHERE "${column}" IN (${chunk.map(() => '?').join(', ')})`, chunk);
        for (const row of rows) found.set(String(row.id), customerFromSql(row));
      }
    }
    return [...found.values()];
  }

  /** Fixed SQL on the driver adapter: every SMS reply starts here (inbox drain). */
  /**
   * Every SMS reply looks its customer up: the look-ups of replies handled at once are one statement
   * ({@link findCustomersByPhones}); each call gets its own answer.
   */
  findCustomerByPhone(phoneE164: string): Promise<CustomerRecord | null> {
    return this.phoneLookups.run(phoneE164);
  }

  /** The customers with these phones, in the order asked (null for a phone no customer has). */
  async findCustomersByPhones(phones: readonly string[]): Promise<(CustomerRecord | null)[]> {
    const values = typedValues(this.db.capabilities, ['text'], [...new Set(phones)].map((p) => [p]));
    const rows = await this.sql.query(`WITH q (p) AS (${values.text}) SELECT ${CUSTOMER_COLUMNS} FROM "Customer" JOIN q ON "phoneE164" = q.p`, values.params);
    const found = new Map(rows.map((row) => [row.phoneE164 as string, customerFromSql(row)]));
    return phones.map((p) => found.get(p) ?? null);
  }

  async findCustomersByIds(ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.prisma.customer.findMany({ where: { id: { in: [...ids] } } });
    return new Map(rows.map((r) => [r.id, toCustomerRecord(r)]));
  }

  async optInCustomer(customerId: string, consent: { survey?: boolean; marketing?: boolean }, audit: NewAuditEntry): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.customer.updateMany({
        where: { id: customerId },
        data: {
          optedOutAt: null,
          optOutSource: null,
          ...(consent.survey === undefined ? {} : { consentSurvey: consent.survey }),
          ...(consent.marketing === undefined ? {} : { consentMarketing: consent.marketing }),
        },
      });
      if (count !== 1) return false;
      await insertAudit(tx, this.db.ids, [audit]);
      return true;
    }, TX_OPTIONS);
  }

  async optOutCustomer(customerId: string, at: Date, source: string, audit: NewAuditEntry, scope: OptOutScope = 'all'): Promise<void> {
    await this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.customer.updateMany({ where: { id: customerId, optedOutAt: null }, data: { optedOutAt: at, optOutSource: source } });
      if (count !== 1) return;
      if (scope === 'all') {
        // An opted-out customer is never contacted again: open surveys end, unsent messages are cancelled.
        await cancelOpenFollowUps(tx, { customerId, action: 'CUSTOMER_SURVEY' }, 'CUSTOMER_OPTED_OUT', at);
      }
      await tx.outboxMessage.updateMany({
        where: {
          recipientType: 'customer',
          recipientId: customerId,
          status: 'PENDING',
          // Scope `marketing`: surveys the policy requires continue; greetings and other marketing stop.
          ...(scope === 'marketing' ? { kind: 'customer_notice', payload: { contains: '"purpose":"marketing"' } } : {}),
        },
        data: { status: 'CANCELLED', lastErrorCode: 'CUSTOMER_OPTED_OUT' },
      });
      await insertAudit(tx, this.db.ids, [audit]);
    }, TX_OPTIONS);
  }
}

function mergeTags(existing: string, added: string[]): string[] {
  const tags = new Set(parseJson<string[]>(existing, []));
  for (const t of added) tags.add(t);
  return [...tags];
}
