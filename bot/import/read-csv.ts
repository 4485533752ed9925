/**
 * Reading CSV files exported by spreadsheets and HIS/CRM systems, streamed.
 *
 * Excel in mainland China saves "CSV" in the system code page (GBK, i.e. GB18030) unless the user
 * picks "CSV UTF-8", which writes a byte-order mark; other tools write UTF-8 without one. The
 * encoding is detected from the first bytes — a UTF-8 BOM, else valid UTF-8, else GB18030 (a
 * superset of GBK and GB2312) — or forced by the caller, and reported so the operator can tell.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { unsafeTextReason } from '../inbound-text.js';

/** An encoding a CSV file can be read in. */
export type CsvEncoding = 'utf-8' | 'gb18030';

/** How the encoding was chosen: `utf-8-bom`, `utf-8` (valid UTF-8 without BOM), `gb18030` (not UTF-8), or `forced`. */
export type CsvEncodingSource = 'utf-8-bom' | 'utf-8' | 'gb18030' | 'forced';

export interface DetectedEncoding {
  encoding: CsvEncoding;
  source: CsvEncodingSource;
  /** One line for the operator, e.g. `UTF-8 (with BOM)` or `GB18030/GBK (not valid UTF-8)`. */
  description: string;
}

/** One data row: its 1-based line number in the file (where the row starts) and its cells by header. */
export interface CsvRow {
  line: number;
  /** Cells by the header's canonical column name; blank cells are absent. Values are trimmed. */
  cells: Readonly<Record<string, string>>;
}

/** A problem with a file or a row, with the line it is on (1 = the header). */
export interface ImportProblem {
  line: number;
  /** Column (canonical name) the problem is in, when it is about one. */
  column?: string;
  message: string;
}

/** The file cannot be read as a CSV of the expected kind (encoding, header); nothing was imported. */
export class CsvFileError extends Error {
  override readonly name = 'CsvFileError';
  constructor(message: string, readonly problems: readonly ImportProblem[] = []) {
    super(message);
  }
}

/** A column of an import file: canonical name and the header spellings accepted for it. */
export interface ColumnSpec {
  name: string;
  /** Header texts accepted (compared trimmed, case-insensitively, ignoring spaces, `_` and `-`). */
  aliases: readonly string[];
  required?: boolean;
}

/** Columns whose name starts with one of these prefixes are passed through under their own name (`attr.severity`). */
export interface HeaderOptions {
  columns: readonly ColumnSpec[];
  /** Prefixes of free-form columns, e.g. `attr.`; matched case-insensitively and kept as written after the prefix. */
  prefixes?: readonly { prefix: string; aliases: readonly string[] }[];
}

const SAMPLE_BYTES = 256 * 1024;

/** Detects the encoding of `file` from its first 256 KiB (see the module comment). */
export async function detectCsvEncoding(file: string): Promise<DetectedEncoding> {
  const handle = await open(file, 'r');
  let sample: Buffer;
  let complete: boolean;
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, 0);
    sample = buffer.subarray(0, bytesRead);
    complete = bytesRead < SAMPLE_BYTES;
  } finally {
    await handle.close();
  }
  return detectEncodingOf(sample, complete);
}

/** Encoding of a byte sample; `complete` when the sample is the whole file (else a cut character at its end is forgiven). */
export function detectEncodingOf(sample: Buffer, complete: boolean): DetectedEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) {
    return { encoding: 'utf-8', source: 'utf-8-bom', description: 'UTF-8 (with BOM)' };
  }
  if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) {
    throw new CsvFileError('The file is UTF-16 ("Unicode text"); save it as "CSV UTF-8 (逗号分隔)" or plain CSV instead');
  }
  const checked = complete ? sample : sample.subarray(0, Math.max(0, sample.length - incompleteTail(sample)));
  if (isValidUtf8(checked)) return { encoding: 'utf-8', source: 'utf-8', description: 'UTF-8 (no BOM)' };
  return { encoding: 'gb18030', source: 'gb18030', description: 'GB18030/GBK (the file is not valid UTF-8)' };
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Bytes at the end of `bytes` that start a UTF-8 sequence the sample cut short (0–3). */
function incompleteTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

/** Normalises a header cell for comparison: NFKC, trimmed, lower case, without spaces, `_` and `-`. */
export function headerKey(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_\-（）()]/g, '');
}

/** Maps header cells to canonical column names; unknown, duplicated and missing required columns are problems on line 1. */
export function mapHeader(header: readonly string[], options: HeaderOptions): { names: (string | null)[]; problems: ImportProblem[] } {
  const byAlias = new Map<string, string>();
  for (const column of options.columns) {
    byAlias.set(headerKey(column.name), column.name);
    for (const alias of column.aliases) byAlias.set(headerKey(alias), column.name);
  }
  const problems: ImportProblem[] = [];
  const seen = new Set<string>();
  const names = header.map((raw) => {
    const text = raw.normalize('NFKC').replace(/^\uFEFF/, '').trim();
    if (text === '') return null;
    let name = byAlias.get(headerKey(text));
    if (name === undefined) {
      for (const { prefix, aliases } of options.prefixes ?? []) {
        const match = [prefix, ...aliases].find((p) => text.toLowerCase().startsWith(p.toLowerCase()) && text.length > p.length);
        if (match) {
          name = `${prefix}${text.slice(match.length).trim()}`;
          break;
        }
      }
    }
    if (name === undefined) {
      const known = options.columns.map((c) => `${c.name} (${c.aliases.join(' / ')})`).join(', ');
      const prefixes = (options.prefixes ?? []).map((p) => `${p.prefix}NAME`).join(', ');
      problems.push({ line: 1, message: `unknown column "${text}"; known columns: ${known}${prefixes ? `, and ${prefixes}` : ''}` });
      return null;
    }
    if (seen.has(name)) problems.push({ line: 1, column: name, message: `column "${text}" appears twice (both mean ${name})` });
    seen.add(name);
    return name;
  });
  for (const column of options.columns) {
    if (column.required && !seen.has(column.name)) {
      problems.push({ line: 1, column: column.name, message: `required column ${column.name} (${column.aliases.join(' / ')}) is missing` });
    }
  }
  return { names, problems };
}

export interface OpenCsvOptions extends HeaderOptions {
  /** Read in this encoding instead of detecting it. */
  encoding?: CsvEncoding;
}

/** An opened CSV file: its encoding and an iterator over its data rows. */
export interface CsvReader {
  encoding: DetectedEncoding;
  /** Rows in file order, streamed (each call starts a new pass over the file). */
  rows(): AsyncGenerator<CsvRow>;
}

/**
 * Opens `file`: detects the encoding, reads and validates the header (a bad header is a
 * {@link CsvFileError} listing every problem). Rows are streamed by {@link CsvReader.rows}; each call
 * reads the file again, so an import can validate everything before it writes anything.
 */
export async function openCsv(file: string, options: OpenCsvOptions): Promise<CsvReader> {
  const encoding: DetectedEncoding = options.encoding
    ? { encoding: options.encoding, source: 'forced', description: `${options.encoding === 'utf-8' ? 'UTF-8' : 'GB18030/GBK'} (as requested)` }
    : await detectCsvEncoding(file);
  let names: (string | null)[] | null = null;
  // The parser and the decoder are loaded by an import, not by every process that imports this module (README, "Memory").
  const [{ parse }, { default: iconv }] = await Promise.all([import('csv-parse'), import('iconv-lite')]);
  const records = async function* (): AsyncGenerator<{ line: number; record: string[] }> {
    const parser = createReadStream(file)
      .pipe(iconv.decodeStream(encoding.encoding, { stripBOM: true }))
      .pipe(parse({ info: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true }));
    for await (const { info, record } of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) {
      // info.lines is the line a record ends on; quoted line breaks inside it move its start back.
      const breaks = record.reduce((n, cell) => n + (cell.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
      yield { line: info.lines - breaks, record };
    }
  };
  for await (const { record } of records()) {
    const mapped = mapHeader(record, options);
    if (mapped.problems.length > 0) throw new CsvFileError(`The header of ${file} is not usable`, mapped.problems);
    names = mapped.names;
    break;
  }
  if (names === null) throw new CsvFileError(`${file} is empty: expected a header line and data rows`);
  const header = names;
  return {
    encoding,
    async *rows() {
      let first = true;
      for await (const { line, record } of records()) {
        if (first) {
          first = false;
          continue;
        }
        const cells: Record<string, string> = {};
        const unsafe: ImportProblem[] = [];
        record.forEach((value, i) => {
          const name = header[i];
          const text = value.normalize('NFC').trim();
          // A NUL byte cannot be stored by PostgreSQL: refused on every database alike (bot/inbound-text.ts).
          const reason = unsafeTextReason(text);
          if (reason) unsafe.push({ line, ...(name ? { column: name } : {}), message: reason });
          else if (name && text !== '') cells[name] = text;
        });
        if (unsafe.length > 0) throw new CsvFileError(`${file} contains text that cannot be stored; nothing was imported`, unsafe);
        yield { line, cells };
      }
    },
  };
}

/** Yes/no cells: 是/否, 在职/离职, yes/no, y/n, true/false, 1/0, ✓. `null` for anything else. */
export function parseYesNo(text: string): boolean | null {
  const t = text.normalize('NFKC').trim().toLowerCase();
  if (['是', '有', '在职', '启用', '同意', 'yes', 'y', 'true', 't', '1', '✓', '√'].includes(t)) return true;
  if (['否', '无', '离职', '停用', '不同意', 'no', 'n', 'false', 'f', '0'].includes(t)) return false;
  return null;
}

/** Formats problems one per line, `line N [column]: message`, at most `limit` of them. */
export function formatProblems(problems: readonly ImportProblem[], limit = 50): string {
  const lines = problems.slice(0, limit).map((p) => `  line ${p.line}${p.column ? ` [${p.column}]` : ''}: ${p.message}`);
  if (problems.length > limit) lines.push(`  … and ${problems.length - limit} more`);
  return lines.join('\n');
}
