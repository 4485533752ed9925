import type { CustomerRecord, NewAuditEntry } from '../records.js';

export interface CustomerInput {
  externalId: string | null;
  name: string;
  salutation: string | null;
  phoneE164: string | null;
  phoneMasked: string | null;
  wechatOpenId: string | null;
  tags: string[];
  consentMarketing: boolean | null;
  consentSurvey: boolean | null;
  /** When the source system reports the customer deceased: every open follow-up of theirs ends at once. */
  deceasedAt?: Date | null;
}

/**
 * What a customer's opt-out covers: `marketing` messages only, or `all` customer messages including
 * surveys (HUIFANG_OPTOUT_SCOPE).
 */
export type OptOutScope = 'marketing' | 'all';

/** Customers: who they are, how to reach them, and whether they may be contacted. */
export interface CustomerStore {
  /** Finds or creates the customer by externalId, then phone; updates the given contact fields. */
  upsertCustomer(input: CustomerInput): Promise<CustomerRecord>;
  findCustomerByPhone(phoneE164: string): Promise<CustomerRecord | null>;
  /** The customers holding any of these external ids, phones or WeChat openids (for a batch of cases). */
  findCustomersByKeys(keys: { externalIds: readonly string[]; phones: readonly string[]; wechatOpenIds: readonly string[] }): Promise<CustomerRecord[]>;
  /** The customers with these ids (one query), for the consent check just before sending. */
  findCustomersByIds(ids: readonly string[]): Promise<Map<string, CustomerRecord>>;
  /**
   * Records an opt-out. With scope `all` (default) open surveys end and every unsent customer message is
   * cancelled; with `marketing` only unsent marketing messages are (surveys follow the consent setting).
   */
  optOutCustomer(customerId: string, at: Date, source: string, audit: NewAuditEntry, scope?: OptOutScope): Promise<void>;
  /**
   * Records that the customer agrees to be contacted again (an opt-in taken down by staff, with its
   * reason in the audit entry): clears the opt-out; `consent` sets the survey and marketing consents given.
   */
  optInCustomer(customerId: string, consent: { survey?: boolean; marketing?: boolean }, audit: NewAuditEntry): Promise<boolean>;
}

/** A customer as a customer file import compares it with a row. */
export interface ImportedCustomer {
  id: string;
  externalId: string | null;
  name: string;
  salutation: string | null;
  phoneE164: string | null;
  wechatOpenId: string | null;
  tags: string[];
  /** `YYYY-MM-DD` or `MM-DD`. */
  birthday: string | null;
  consentSurvey: boolean;
  consentMarketing: boolean;
  optedOutAt: Date | null;
}

/** The fields a customer file sets; absent fields are left as they are. */
export interface ImportedCustomerFields {
  name?: string;
  salutation?: string;
  phoneE164?: string;
  phoneMasked?: string;
  wechatOpenId?: string;
  birthday?: string;
  consentSurvey?: boolean;
  consentMarketing?: boolean;
  externalId?: string;
  tags?: string[];
}

/** Customers as the customer file import reads and writes them, a batch at a time. */
export interface CustomerImportStore {
  /** The customers with any of these external ids or phones (E.164). */
  findCustomersForImport(keys: { externalIds: readonly string[]; phones: readonly string[] }): Promise<ImportedCustomer[]>;
  /** Creates and updates one batch in one transaction. */
  writeCustomerBatch(batch: { create: (Omit<ImportedCustomerFields, 'externalId'> & { id: string; name: string; externalId: string | null; tags: string[] })[]; update: { id: string; fields: ImportedCustomerFields }[] }): Promise<void>;
}
