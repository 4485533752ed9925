/**
 * `huifang import customers FILE.csv`: customers and their contact preferences from a spreadsheet
 * (templates/import/README.md documents the columns).
 *
 * Guarantees:
 * - Idempotent: a row finds its customer by external id, else by phone (as the cases API does);
 *   importing the same file again changes nothing and says so.
 * - Two passes over the streamed file: the first validates every row (phones normalised to E.164,
 *   dates, yes/no cells, duplicates inside the file, a phone that already belongs to another
 *   customer); any problem rejects the whole file unless `skipInvalid`. The second writes in
 *   transactions of `batchSize` rows.
 * - An import never withdraws an opt-out and never re-enables a customer; `opted_out = yes` opts the
 *   customer out as an SMS `R` would (open surveys end, unsent customer messages are cancelled).
 * - Tags are added to the customer's tags, never removed. A blank cell keeps the current value.
 * - Phone numbers appear in problems and summaries only masked.
 */
import type { CustomerImportStore, ImportedCustomer, ImportedCustomerFields } from '../core/ports/customers.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { NewAuditEntry } from '../core/records.js';
import { DomainError } from '../core/errors.js';
import { maskPhone, normalizePhone } from '../core/phone.js';
import { parseYesNo, type ColumnSpec, type CsvRow, type ImportProblem } from './read-csv.js';

/** Columns of a customer file; Chinese and English headers are both accepted. */
export const CUSTOMER_COLUMNS: readonly ColumnSpec[] = [
  { name: 'external_id', aliases: ['客户编号', '患者编号', '病人ID', '业主编号', '会员号', 'externalId'] },
  { name: 'name', aliases: ['姓名', '客户姓名', '患者姓名'] },
  { name: 'salutation', aliases: ['称呼'] },
  { name: 'phone', aliases: ['手机', '手机号', '手机号码', '电话', '联系电话', 'mobile'] },
  { name: 'wechat_openid', aliases: ['微信openid', 'openid', 'wechatOpenId'] },
  { name: 'tags', aliases: ['标签'] },
  { name: 'birthday', aliases: ['生日', '出生日期'] },
  { name: 'consent_survey', aliases: ['同意回访', '接受回访', 'consentSurvey'] },
  { name: 'consent_marketing', aliases: ['同意营销', '接受营销', 'consentMarketing'] },
  { name: 'opted_out', aliases: ['拒收', '退订', 'optedOut', 'opt_out'] },
];

export interface ImportCustomersDeps {
  customers: CustomerImportStore;
  clock: Clock;
  ids: IdGenerator;
  /** The store's opt-out (ends open surveys, cancels unsent customer messages, audits). */
  optOutCustomer(customerId: string, at: Date, source: string, audit: NewAuditEntry): Promise<void>;
}

export interface ImportCustomersOptions {
  dryRun?: boolean;
  skipInvalid?: boolean;
  /** Rows per transaction [500]. */
  batchSize?: number;
  /** Called after each written batch with the rows done so far and the total. */
  onProgress?(done: number, total: number): void;
}

export interface ImportCustomersSummary {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  optedOut: number;
  skipped: number;
  dryRun: boolean;
  rejected: boolean;
  problems: ImportProblem[];
}

interface CustomerRow {
  line: number;
  externalId: string | null;
  name: string | null;
  salutation: string | null;
  phone: { e164: string; masked: string } | null;
  wechatOpenId: string | null;
  tags: string[];
  birthday: string | null;
  consentSurvey: boolean | null;
  consentMarketing: boolean | null;
  optedOut: boolean;
}

const TAG_SEPARATORS = /[,，、;；|]+/;

/** Imports customer rows (see the module comment). `rows` is called once per pass. */
export async function importCustomers(deps: ImportCustomersDeps, rows: () => AsyncIterable<CsvRow>, options: ImportCustomersOptions = {}): Promise<ImportCustomersSummary> {
  const batchSize = options.batchSize ?? 500;
  const problems: ImportProblem[] = [];
  const badLines = new Set<number>();
  const problem = (line: number, column: string | undefined, message: string) => {
    problems.push({ line, ...(column ? { column } : {}), message });
    badLines.add(line);
  };
  const summary: ImportCustomersSummary = { rows: 0, created: 0, updated: 0, unchanged: 0, optedOut: 0, skipped: 0, dryRun: options.dryRun ?? false, rejected: false, problems };

  // ---- pass 1: validate everything, classify (so a dry run reports what would happen)
  const byExternalId = new Map<string, number>();
  const byPhone = new Map<string, { line: number; externalId: string | null }>();
  let pending: CustomerRow[] = [];
  const checkBatch = async (batch: CustomerRow[]) => {
    const { existingByExternal, existingByPhone } = await loadExisting(deps.customers, batch);
    for (const row of batch) {
      const current = (row.externalId ? existingByExternal.get(row.externalId) : undefined) ?? (row.phone ? existingByPhone.get(row.phone.e164) : undefined);
      if (row.phone) {
        const owner = existingByPhone.get(row.phone.e164);
        if (owner && current && (owner.id !== current.id || (row.externalId !== null && owner.externalId !== null && owner.externalId !== row.externalId))) {
          problem(row.line, 'phone', `${row.phone.masked} already belongs to another customer${owner.externalId ? ` (${owner.externalId})` : ''}`);
          continue;
        }
      }
      if (!current && !row.name) {
        problem(row.line, 'name', 'a new customer needs a name (姓名)');
        continue;
      }
      if (!current) summary.created += 1;
      else if (differs(current, row)) summary.updated += 1;
      else summary.unchanged += 1;
      if (row.optedOut && !current?.optedOutAt) summary.optedOut += 1;
    }
  };
  for await (const raw of rows()) {
    summary.rows += 1;
    const row = parseCustomerRow(raw, problem);
    if (!row) continue;
    if (row.externalId) {
      const earlier = byExternalId.get(row.externalId);
      if (earlier !== undefined) {
        problem(row.line, 'external_id', `customer ${row.externalId} is already on line ${earlier}`);
        continue;
      }
      byExternalId.set(row.externalId, row.line);
    }
    if (row.phone) {
      const earlier = byPhone.get(row.phone.e164);
      if (earlier) {
        problem(row.line, 'phone', `${row.phone.masked} is already on line ${earlier.line}${row.externalId || earlier.externalId ? ' for another customer' : ''}`);
        continue;
      }
      byPhone.set(row.phone.e164, { line: row.line, externalId: row.externalId });
    }
    pending.push(row);
    if (pending.length >= batchSize) {
      await checkBatch(pending);
      pending = [];
    }
  }
  await checkBatch(pending);
  problems.sort((a, b) => a.line - b.line);
  summary.skipped = badLines.size;
  if (problems.length > 0 && !options.skipInvalid) return { ...summary, created: 0, updated: 0, unchanged: 0, optedOut: 0, rejected: true, dryRun: true };
  if (options.dryRun) return summary;

  // ---- pass 2: write
  const total = summary.rows;
  let done = 0;
  const optOuts: string[] = [];
  const writeBatch = async (batch: CustomerRow[]) => {
    const { existingByExternal, existingByPhone } = await loadExisting(deps.customers, batch);
    const write: Parameters<CustomerImportStore['writeCustomerBatch']>[0] = { create: [], update: [] };
    for (const row of batch) {
      const current = (row.externalId ? existingByExternal.get(row.externalId) : undefined) ?? (row.phone ? existingByPhone.get(row.phone.e164) : undefined);
      const fields: ImportedCustomerFields = {
        ...(row.name ? { name: row.name } : {}),
        ...(row.salutation ? { salutation: row.salutation } : {}),
        ...(row.phone ? { phoneE164: row.phone.e164, phoneMasked: row.phone.masked } : {}),
        ...(row.wechatOpenId ? { wechatOpenId: row.wechatOpenId } : {}),
        ...(row.birthday ? { birthday: row.birthday } : {}),
        ...(row.consentSurvey !== null ? { consentSurvey: row.consentSurvey } : {}),
        ...(row.consentMarketing !== null ? { consentMarketing: row.consentMarketing } : {}),
      };
      if (!current) {
        const id = deps.ids.next();
        write.create.push({ ...fields, id, externalId: row.externalId, name: row.name!, tags: row.tags });
        if (row.optedOut) optOuts.push(id);
        continue;
      }
      if (differs(current, row)) {
        write.update.push({ id: current.id, fields: { ...fields, ...(row.externalId && !current.externalId ? { externalId: row.externalId } : {}), tags: mergeTags(current.tags, row.tags) } });
      }
      if (row.optedOut && !current.optedOutAt) optOuts.push(current.id);
    }
    await deps.customers.writeCustomerBatch(write);
    done += batch.length;
    options.onProgress?.(done, total);
  };
  pending = [];
  for await (const raw of rows()) {
    if (badLines.has(raw.line)) continue;
    const row = parseCustomerRow(raw, () => undefined);
    if (!row) continue;
    pending.push(row);
    if (pending.length >= batchSize) {
      await writeBatch(pending);
      pending = [];
    }
  }
  if (pending.length > 0) await writeBatch(pending);
  const at = deps.clock.now();
  for (const customerId of optOuts) {
    await deps.optOutCustomer(customerId, at, 'import', {
      at,
      actorType: 'SYSTEM',
      actorId: 'import customers',
      action: 'customer.opted_out',
      entityType: 'Customer',
      entityId: customerId,
      details: { source: 'import' },
    });
  }
  return summary;
}

async function loadExisting(customers: CustomerImportStore, batch: CustomerRow[]) {
  const externalIds = batch.map((r) => r.externalId).filter((x): x is string => x !== null);
  const phones = batch.map((r) => r.phone?.e164).filter((x): x is string => x !== undefined);
  const found = await customers.findCustomersForImport({ externalIds, phones });
  return {
    existingByExternal: new Map<string, ImportedCustomer>(found.filter((c) => c.externalId !== null).map((c) => [c.externalId!, c])),
    existingByPhone: new Map<string, ImportedCustomer>(found.filter((c) => c.phoneE164 !== null).map((c) => [c.phoneE164!, c])),
  };
}

function differs(current: ImportedCustomer, row: CustomerRow): boolean {
  const tags = current.tags;
  return (
    (row.name !== null && row.name !== current.name) ||
    (row.salutation !== null && row.salutation !== current.salutation) ||
    (row.phone !== null && row.phone.e164 !== current.phoneE164) ||
    (row.wechatOpenId !== null && row.wechatOpenId !== current.wechatOpenId) ||
    (row.birthday !== null && row.birthday !== current.birthday) ||
    (row.consentSurvey !== null && row.consentSurvey !== current.consentSurvey) ||
    (row.consentMarketing !== null && row.consentMarketing !== current.consentMarketing) ||
    (row.externalId !== null && current.externalId === null) ||
    row.tags.some((t) => !tags.includes(t))
  );
}

function mergeTags(existing: readonly string[], added: string[]): string[] {
  const tags = new Set(existing);
  for (const t of added) tags.add(t);
  return [...tags];
}

function parseCustomerRow({ line, cells }: CsvRow, problem: (line: number, column: string | undefined, message: string) => void): CustomerRow | null {
  let ok = true;
  const fail = (column: string, message: string) => {
    problem(line, column, message);
    ok = false;
  };
  const externalId = cells.external_id ?? null;
  if (externalId !== null && externalId.length > 128) fail('external_id', 'is longer than 128 characters');
  let phone: CustomerRow['phone'] = null;
  if (cells.phone) {
    try {
      phone = normalizePhone(cells.phone);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      // The number itself is never repeated: it may be a real one with a typo.
      fail('phone', `not a valid phone number (${maskPhone(cells.phone)})`);
    }
  }
  if (externalId === null && cells.phone === undefined) fail('external_id', 'a customer needs an external id (客户编号) or a phone (手机)');
  const yesNo = (column: string): boolean | null => {
    const text = cells[column];
    if (text === undefined) return null;
    const value = parseYesNo(text);
    if (value === null) fail(column, `"${text}" is not yes or no (是/否, yes/no, 1/0)`);
    return value;
  };
  let birthday: string | null = null;
  if (cells.birthday) {
    birthday = parseBirthday(cells.birthday);
    if (birthday === null) fail('birthday', `"${cells.birthday}" is not a date such as 1958-03-21, 1958/3/21, 1958年3月21日 or 03-21`);
  }
  let optedOut = false;
  if (cells.opted_out) {
    // A date in the column (when the customer asked) counts as yes.
    optedOut = parseBirthday(cells.opted_out) !== null || (parseYesNo(cells.opted_out) ?? (fail('opted_out', `"${cells.opted_out}" is not yes or no`), false));
  }
  const row: CustomerRow = {
    line,
    externalId,
    name: cells.name ?? null,
    salutation: cells.salutation ?? null,
    phone,
    wechatOpenId: cells.wechat_openid ?? null,
    tags: (cells.tags ?? '').split(TAG_SEPARATORS).map((t) => t.trim()).filter(Boolean),
    birthday,
    consentSurvey: yesNo('consent_survey'),
    consentMarketing: yesNo('consent_marketing'),
    optedOut,
  };
  if (row.name !== null && row.name.length > 64) fail('name', 'is longer than 64 characters');
  if (row.tags.some((t) => t.length > 32)) fail('tags', 'a tag is longer than 32 characters');
  return ok ? row : null;
}

/** `YYYY-MM-DD` (from 1958-03-21, 1958/3/21, 1958.3.21, 1958年3月21日) or `MM-DD` (03-21, 3月21日); null if not a date. */
export function parseBirthday(text: string): string | null {
  const t = text.normalize('NFKC').trim();
  const pad = (n: number) => String(n).padStart(2, '0');
  const valid = (y: number | null, m: number, d: number) => {
    const probe = new Date(Date.UTC(y ?? 2000, m - 1, d));
    return probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d && (y === null || (y >= 1880 && y <= 2200));
  };
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$/.exec(t);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return valid(y, mo, d) ? `${y}-${pad(mo)}-${pad(d)}` : null;
  }
  m = /^(\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  if (m) {
    const [mo, d] = [Number(m[1]), Number(m[2])];
    return valid(null, mo, d) ? `${pad(mo)}-${pad(d)}` : null;
  }
  return null;
}
