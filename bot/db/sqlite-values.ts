/**
 * Multi-row `INSERT … VALUES (?, …), (?, …)` on SQLite, every value bound on its own. SQLite runs in this
 * process: binding a value costs no round trip and no parse, where rows sent as one JSON text
 * (bot/db/json-rows.ts) are encoded here and parsed again there, cell by cell. The texts stay short enough to be
 * kept prepared (bot/db/client.ts), so a batch's inserts take a handful of statements the connection compiled once.
 */
import { PREPARED_TEXT_MAX_CHARS } from './client.js';

/**
 * Rows in the next SQLite `INSERT`, `left` to go: as many as keep its text within {@link PREPARED_TEXT_MAX_CHARS},
 * so that the connection keeps it prepared instead of compiling a statement of thousands of rows for every chunk of
 * a batch; the rows left after the last full statement go in statements of a power of two rows, so that a table's
 * inserts take a handful of texts.
 */
function sqliteStatementRows(left: number, headChars: number, tupleChars: number): number {
  const full = Math.max(1, Math.floor((PREPARED_TEXT_MAX_CHARS - headChars) / (tupleChars + 2)));
  if (left >= full) return full;
  let size = 1;
  while (size * 2 <= left) size *= 2;
  return size;
}

/**
 * Inserts `rows` (each giving `columns`' values in order) into `table` on SQLite through `execute`, with `onConflict`
 * (e.g. `ON CONFLICT ("key") DO NOTHING`) after each statement's rows. Values are bound as `store` makes them (as
 * given without it: a date already as its text, a boolean as 1/0). Resolves with the rows inserted.
 */
export async function insertSqliteValues(
  execute: (text: string, params: unknown[]) => Promise<number>,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  options?: { onConflict?: string; store?: (value: unknown) => unknown },
): Promise<number>;
/**
 * The same for rows of any form, whose values `valuesOf` gives, statement by statement: the values of a statement's
 * rows are made just before it runs and are garbage after it, never those of the whole batch at once (its JSON
 * texts, say, which would otherwise outlive the young collections the batch's statements set off).
 */
export async function insertSqliteValues<R>(
  execute: (text: string, params: unknown[]) => Promise<number>,
  table: string,
  columns: readonly string[],
  rows: readonly R[],
  options: { onConflict?: string; store?: (value: unknown) => unknown; valuesOf: (row: R) => readonly unknown[] },
): Promise<number>;
export async function insertSqliteValues(
  execute: (text: string, params: unknown[]) => Promise<number>,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[],
  options: { onConflict?: string; store?: (value: unknown) => unknown; valuesOf?: (row: unknown) => readonly unknown[] } = {},
): Promise<number> {
  const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES `;
  const tail = options.onConflict ? ` ${options.onConflict}` : '';
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const store = options.store;
  const valuesOf = options.valuesOf ?? ((row: unknown) => row as readonly unknown[]);
  let inserted = 0;
  for (let i = 0; i < rows.length; ) {
    const size = sqliteStatementRows(rows.length - i, head.length + tail.length, tuple.length);
    const params: unknown[] = [];
    for (let r = i; r < i + size; r++) for (const value of valuesOf(rows[r])) params.push(store ? store(value) : value);
    inserted += await execute(head + new Array<string>(size).fill(tuple).join(', ') + tail, params);
    i += size;
  }
  return inserted;
}
