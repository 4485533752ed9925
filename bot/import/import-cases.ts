/**
 * `huifang import cases FILE.csv`: cases from a spreadsheet or a HIS/CRM export, through the same
 * translation (`translateCaseBody`) and use case (`submitCase`) as `POST /api/v1/cases`, so the
 * policies plan exactly the follow-ups the API would (templates/import/README.md documents the
 * columns).
 *
 * Guarantees:
 * - Idempotent on type + external id, as the API: a row for a case that exists updates it (a new
 *   milestone adds steps, a closure cancels what is open); an identical row changes nothing.
 * - Two passes over the streamed file: the first validates every row exactly as the API validates
 *   a body (and that a policy handles its type); any problem rejects the whole file unless
 *   `skipInvalid`. It keeps the translations of the first 100,000 rows, so the file is read a second
 *   time only beyond them. The second submits the rows in file order, batch after batch, as one submission
 *   (`submitCaseBatches`: each row gets the outcome `submitCase` would give it, with the sampling
 *   counts and quota places of the rows before it, whichever batch they were in; new cases are
 *   written with multi-row inserts, one transaction per chunk), reporting progress after each batch.
 * - Times are ISO-8601 with an offset, or local date-times (`2026-11-03 15:30`) in the business
 *   timezone, as spreadsheets write them.
 * - Phone numbers appear in problems and summaries only masked.
 */
import type { Huifang } from '../huifang.js';
import { DomainError } from '../core/errors.js';
import type { SubmitCaseInput } from '../core/cases/submit-case.js';
import { submitCaseBatches } from '../core/cases/submit-cases.js';
import { fromLocal } from '../core/time.js';
import { caseBody, translateCaseBody, type CaseBody } from '../cases/case-body.js';
import { parseYesNo, type ColumnSpec, type CsvRow, type HeaderOptions, type ImportProblem } from './read-csv.js';
import { EARLIEST_INSTANT, INSTANT_RANGE_TEXT, LATEST_INSTANT, isInstantInRange } from '../inbound-text.js';

/** Columns of a case file; Chinese and English headers are both accepted; `attr.NAME` and `milestone.NAME` columns are free. */
export const CASE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'type', aliases: ['类型', '案例类型', 'caseType'], required: true },
  { name: 'external_id', aliases: ['外部编号', '单号', '编号', '病例号', '住院号', 'externalId'], required: true },
  { name: 'occurred_at', aliases: ['发生时间', '时间', '出院时间', '受理时间', 'occurredAt'], required: true },
  { name: 'closed_at', aliases: ['结案时间', '关闭时间', 'closedAt'] },
  { name: 'department', aliases: ['部门编码', '科室编码', 'department_code', 'departmentCode'] },
  { name: 'responsible_staff', aliases: ['责任人', '负责人', '责任人账号', 'responsibleStaff'] },
  { name: 'subject_staff', aliases: ['被投诉人', '涉及员工', 'subjectStaff'] },
  { name: 'customer_external_id', aliases: ['客户编号', '患者编号', '病人ID', '业主编号', 'customerExternalId'] },
  { name: 'customer_name', aliases: ['客户姓名', '患者姓名', '姓名', 'customerName'], required: true },
  { name: 'customer_salutation', aliases: ['称呼', 'customerSalutation'] },
  { name: 'customer_phone', aliases: ['手机', '手机号', '电话', '联系电话', 'customerPhone'] },
  { name: 'customer_wechat_openid', aliases: ['微信openid', 'openid', 'customerWechatOpenId'] },
  { name: 'customer_tags', aliases: ['标签', 'customerTags'] },
  { name: 'customer_consent_survey', aliases: ['同意回访', 'customerConsentSurvey'] },
  { name: 'customer_consent_marketing', aliases: ['同意营销', 'customerConsentMarketing'] },
  { name: 'customer_deceased_at', aliases: ['死亡时间', 'customerDeceasedAt'] },
];

/** Header options for a case file: the columns plus `attr.` / `属性.` and `milestone.` / `节点.` columns. */
export const CASE_HEADER: HeaderOptions = {
  columns: CASE_COLUMNS,
  prefixes: [
    { prefix: 'attr.', aliases: ['属性.', 'attribute.', 'attributes.'] },
    { prefix: 'milestone.', aliases: ['节点.', 'milestones.'] },
  ],
};

export interface ImportCasesOptions {
  dryRun?: boolean;
  skipInvalid?: boolean;
  /** Rows read and translated together, and between progress reports [2,000: several chunks of `submitCaseBatches`]. */
  batchSize?: number;
  /** Rows whose translations the first pass keeps for the second, which reads the file again only beyond them [100,000, about 1 KiB each]. */
  keptRows?: number;
  /** Who submitted them, for the audit log [`import`]. */
  submittedBy?: string;
  onProgress?(done: number, total: number): void;
}

export interface ImportCasesSummary {
  rows: number;
  created: number;
  /** Rows for cases that already existed (updated, or unchanged when identical). */
  resubmitted: number;
  followUpsAdded: number;
  /**
   * New cases that no step of their policy fits (nothing planned, nothing waiting), by line, with the
   * attributes whose values no step names — names only, never values (a diagnosis is health data).
   */
  noStepApplies: { line: number; attributes: string[] }[];
  /** Rows that passed validation but were refused when submitted (listed in `problems`). */
  failed: number;
  skipped: number;
  dryRun: boolean;
  rejected: boolean;
  problems: ImportProblem[];
}

/** Rows whose translation the first pass keeps for the second by default (about 1 KiB each: some 90 MiB at most). */
const KEPT_ROWS = 100_000;

type TranslatedCase = ReturnType<typeof translateCaseBody>;

/** Imports case rows (see the module comment). `rows` is called once per pass (the second only for a file of more rows than `keptRows`). */
export async function importCases(app: Huifang, rows: () => AsyncIterable<CsvRow>, options: ImportCasesOptions = {}): Promise<ImportCasesSummary> {
  const batchSize = options.batchSize ?? 2000;
  const keptRows = options.keptRows ?? KEPT_ROWS;
  const problems: ImportProblem[] = [];
  const badLines = new Set<number>();
  const summary: ImportCasesSummary = { rows: 0, created: 0, resubmitted: 0, followUpsAdded: 0, noStepApplies: [], failed: 0, skipped: 0, dryRun: options.dryRun ?? false, rejected: false, problems };
  const org = await app.deps.org.loadOrgSnapshot();
  const toInput = (row: CsvRow) => {
    const body = toCaseBody(row, app.config.timezone);
    if ('problems' in body) return body;
    const parsed = caseBody.safeParse(body.body);
    if (!parsed.success) return { problems: parsed.error.issues.map((i) => ({ line: row.line, column: columnOf(i.path), message: i.message })) };
    if (!app.deps.policies.forCaseType(parsed.data.type)) {
      const known = app.deps.policies.all().flatMap((p) => p.caseTypes).join(', ');
      return { problems: [{ line: row.line, column: 'type', message: `no policy handles case type "${parsed.data.type}" (known: ${known})` }] };
    }
    try {
      return { input: translateCaseBody(parsed.data, org) };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
      return { problems: [{ line: row.line, ...(field ? { column: columnOf(field.split('.')) } : {}), message: err.message }] };
    }
  };

  // ---- pass 1: validate every row. The translations of the first `keptRows` rows are kept for pass 2 (reading and
  // translating a row costs about as much CPU as planning it), so that only a larger file is read a second time.
  const kept: ({ line: number; input: TranslatedCase } | undefined)[] = [];
  let keptUpTo = 0;
  for await (const row of rows()) {
    summary.rows += 1;
    const result = toInput(row);
    if ('problems' in result) {
      problems.push(...result.problems.map((p) => ({ line: p.line, ...(p.column ? { column: p.column } : {}), message: p.message })));
      badLines.add(row.line);
    } else if (keptUpTo === summary.rows - 1 && kept.length < keptRows && !options.dryRun) {
      kept.push({ line: row.line, input: result.input });
    }
    if (keptUpTo === summary.rows - 1 && ('problems' in result || kept.at(-1)?.line === row.line)) keptUpTo = summary.rows;
  }
  summary.skipped = badLines.size;
  if (problems.length > 0 && !options.skipInvalid) return { ...summary, rejected: true, dryRun: true };
  if (options.dryRun) return summary;

  // ---- pass 2: submit, in file order (a later row may add a milestone to an earlier case), a batch at a time
  // through one submission (submitCaseBatches): each row's outcome is the one submitCase would give it. The
  // next batch is read and translated while the chunk before is written; counts and quota places carry from
  // one batch to the next, so nothing waits at a batch's end.
  const total = summary.rows - badLines.size;
  let done = 0;
  const lines: number[][] = [];
  const submittedBy = options.submittedBy ?? 'import';
  async function* batches(): AsyncGenerator<SubmitCaseInput[]> {
    let batch: SubmitCaseInput[] = [];
    let batchLines: number[] = [];
    const take = (line: number, input: TranslatedCase) => {
      batch.push({ submittedBy, ...input });
      batchLines.push(line);
      if (batch.length < batchSize) return null;
      lines.push(batchLines);
      const full = batch;
      batch = [];
      batchLines = [];
      return full;
    };
    for (let i = 0; i < kept.length; i++) {
      const { line, input } = kept[i]!;
      // Let go of it: the submission holds what it still needs.
      kept[i] = undefined;
      const full = take(line, input);
      if (full) yield full;
    }
    if (keptUpTo < summary.rows) {
      // The rows beyond those kept: read and translated again.
      let n = 0;
      for await (const row of rows()) {
        if (++n <= keptUpTo || badLines.has(row.line)) continue;
        const result = toInput(row);
        if ('problems' in result) continue;
        const full = take(row.line, result.input);
        if (full) yield full;
      }
    }
    if (batch.length > 0) {
      lines.push(batchLines);
      yield batch;
    }
  }
  for await (const outcomes of submitCaseBatches(app.deps, batches())) {
    const batchLines = lines.shift()!;
    outcomes.forEach((outcome, i) => {
      const line = batchLines[i]!;
      if (outcome instanceof DomainError) {
        summary.failed += 1;
        problems.push({ line, message: outcome.message });
        return;
      }
      if (outcome.created) summary.created += 1;
      else summary.resubmitted += 1;
      summary.followUpsAdded += outcome.followUpsAdded;
      if (outcome.noStepApplies) summary.noStepApplies.push({ line, attributes: outcome.noStepApplies });
    });
    done += outcomes.length;
    options.onProgress?.(done, total);
  }
  return summary;
}

/** The column a body path (`customer.phone`, `attributes.age`) came from. */
function columnOf(path: readonly (string | number)[]): string {
  const [head, second] = path.map(String);
  if (head === 'customer' && second) return `customer_${snake(second)}`;
  if (head === 'attributes' && second) return `attr.${second}`;
  if (head === 'milestones' && second) return `milestone.${second}`;
  return snake(head ?? '');
}

function snake(text: string): string {
  return text.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The API body a row stands for: the same JSON a HIS would post. */
export function toCaseBody({ line, cells }: CsvRow, timeZone: string): { body: CaseBody } | { problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const instant = (column: string): string | undefined => {
    const text = cells[column];
    if (text === undefined) return undefined;
    const iso = toInstant(text, timeZone);
    if (iso === null) problems.push({ line, column, message: `"${text}" is not a date-time such as 2026-11-03 15:30 or 2026-11-03T15:30:00+08:00, ${INSTANT_RANGE_TEXT}` });
    return iso ?? undefined;
  };
  const yesNo = (column: string): boolean | undefined => {
    const text = cells[column];
    if (text === undefined) return undefined;
    const value = parseYesNo(text);
    if (value === null) problems.push({ line, column, message: `"${text}" is not yes or no (是/否, yes/no, 1/0)` });
    return value ?? undefined;
  };
  const attributes: Record<string, unknown> = {};
  const milestones: Record<string, string> = {};
  for (const [column, text] of Object.entries(cells)) {
    if (column.startsWith('attr.')) {
      const [name, kind] = column.slice('attr.'.length).split(':');
      attributes[name!] = kind === 'text' ? text : cellValue(text);
    } else if (column.startsWith('milestone.')) {
      const iso = instant(column);
      if (iso) milestones[column.slice('milestone.'.length)] = iso;
    }
  }
  const customer: Record<string, unknown> = {
    name: cells.customer_name,
    ...(cells.customer_external_id ? { externalId: cells.customer_external_id } : {}),
    ...(cells.customer_salutation ? { salutation: cells.customer_salutation } : {}),
    ...(cells.customer_phone ? { phone: cells.customer_phone } : {}),
    ...(cells.customer_wechat_openid ? { wechatOpenId: cells.customer_wechat_openid } : {}),
    ...(cells.customer_tags ? { tags: cells.customer_tags.split(/[,，、;；|]+/).map((t) => t.trim()).filter(Boolean) } : {}),
  };
  const consentSurvey = yesNo('customer_consent_survey');
  const consentMarketing = yesNo('customer_consent_marketing');
  const deceasedAt = instant('customer_deceased_at');
  if (consentSurvey !== undefined) customer.consentSurvey = consentSurvey;
  if (consentMarketing !== undefined) customer.consentMarketing = consentMarketing;
  if (deceasedAt !== undefined) customer.deceasedAt = deceasedAt;
  const occurredAt = instant('occurred_at');
  const closedAt = instant('closed_at');
  const body = {
    type: cells.type,
    externalId: cells.external_id,
    occurredAt,
    ...(closedAt ? { closedAt } : {}),
    ...(cells.department ? { department: cells.department } : {}),
    ...(cells.responsible_staff ? { responsibleStaff: cells.responsible_staff } : {}),
    ...(cells.subject_staff ? { subjectStaff: cells.subject_staff } : {}),
    customer,
    ...(Object.keys(attributes).length ? { attributes } : {}),
    ...(Object.keys(milestones).length ? { milestones } : {}),
  };
  return problems.length > 0 ? { problems } : { body: body as CaseBody };
}

/**
 * An attribute cell's value: `true`/`false` become booleans and plain decimal numbers (no leading
 * zero, so ids like `007` stay text) numbers; everything else stays text. `attr.NAME:text` keeps
 * the cell as text whatever it holds.
 */
function cellValue(text: string): unknown {
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/**
 * An ISO-8601 instant with offset from `text`: kept as is when it has an offset, else read as a
 * local date-time in `timeZone` (`2026-11-03 15:30`, `2026/11/3 15:30:00`, `2026-11-03` = midnight).
 */
export function toInstant(text: string, timeZone: string): string | null {
  const t = text.normalize('NFKC').trim();
  if (/[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t)) {
    const date = new Date(t.replace(' ', 'T'));
    return isInstantInRange(date) ? date.toISOString() : null;
  }
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2})[:：时](\d{2})(?:[:：分](\d{2}))?秒?)?$/.exec(t);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  // Date.UTC reads years 0–99 as 1900–1999: years outside the accepted range are refused first.
  if (year < EARLIEST_INSTANT.getUTCFullYear() || year > LATEST_INSTANT.getUTCFullYear()) return null;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCDate() !== day) return null;
  return fromLocal({ year, month, day, hour, minute, second }, timeZone).toISOString();
}
