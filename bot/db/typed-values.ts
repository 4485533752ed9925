import type { DbCapabilities } from './client.js';

/**
 * The type a column of a batch's rows takes. `json` is text that is already JSON (a message as the sandbox
 * keeps it): on PostgreSQL the column's values go as one JSON array, their text unchanged, and the row source
 * gives them as `json`, which an INSERT into a text column stores as that same text. A null there is JSON
 * `null`, not SQL NULL: a statement that takes the column only from some rows picks them by another column.
 */
export type ValueType = 'text' | 'timestamp' | 'int' | 'json';

/** The PostgreSQL set-returning call that gives one column's values from its one parameter. */
const PG_COLUMN_SOURCE: Readonly<Record<ValueType, string>> = {
  text: 'unnest(?::text[])',
  timestamp: 'unnest(?::timestamp(3)[])',
  int: 'unnest(?::int4[])',
  // Not `json_array_elements_text`: it would unescape a value that is a JSON string.
  json: 'json_array_elements(?::json)',
};

/** The PostgreSQL row source of each list of column types, made once (its text never changes). */
const UNNEST_TEXT = new Map<string, string>();

/**
 * The rows of a batch as a row source with its parameters, for a statement that joins them
 * (`WITH v (a, b) AS (${text}) UPDATE … FROM v`). On PostgreSQL it is `SELECT * FROM unnest(?::text[],
 * ?::timestamp(3)[], …)`: one array parameter per column however many rows the batch has, so the text
 * never changes (the connection prepares it once, bot/db/client.ts) and the rows go as one text per
 * column instead of one bound value per cell; a `Date` goes as its UTC ISO text (a `timestamp` column keeps
 * the wall-clock fields and ignores the `Z`, as bot/db/writes.ts `insertColumns` does); each array goes as its
 * literal text ({@link pgArrayLiteral}), and a `json` column as one JSON array of its values, joined as they
 * are: not escaped into an array literal (a few per cent of the dispatcher's CPU for the sandbox's messages). SQLite has no
 * arrays: there it is a `VALUES` list (`VALUES (?, ?), (?, ?)`) whose bound values it compares as they are.
 * Placeholders are `?` (fixed SQL).
 */
export function typedValues(capabilities: DbCapabilities, types: readonly ValueType[], rows: readonly (readonly unknown[])[]): { text: string; params: unknown[] } {
  for (const row of rows) {
    if (row.length !== types.length) throw new Error(`a VALUES row has ${row.length} values for ${types.length} columns`);
  }
  if (capabilities.provider === 'postgresql') {
    const signature = types.join(',');
    let text = UNNEST_TEXT.get(signature);
    if (text === undefined) {
      // `unnest(a, b)` is short for `ROWS FROM (unnest(a), unnest(b))`, which a JSON array's elements can join.
      text = types.includes('json')
        ? `SELECT * FROM ROWS FROM (${types.map((t) => PG_COLUMN_SOURCE[t]).join(', ')})`
        : `SELECT * FROM unnest(${types.map((t) => PG_COLUMN_SOURCE[t].slice('unnest('.length, -1)).join(', ')})`;
      UNNEST_TEXT.set(signature, text);
    }
    const params: unknown[] = new Array(types.length);
    for (let c = 0; c < types.length; c++) params[c] = types[c] === 'json' ? jsonArrayText(rows, c) : pgArrayLiteral(rows, c);
    return { text, params };
  }
  const tuple = `(${types.map(() => '?').join(', ')})`;
  const params: unknown[] = [];
  for (const row of rows) params.push(...row);
  return { text: `VALUES ${rows.map(() => tuple).join(', ')}`, params };
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * PostgreSQL's text of an array (`{"a","b\\"c",NULL}`) of column `column` of `rows` (or of `rows` themselves
 * when `column` is omitted), to bind as text and cast (`?::text[]`): what `pg` makes of a JS array, with a
 * quote or backslash looked for once per value rather than replaced twice. A `Date` is its UTC ISO text.
 */
export function pgArrayLiteral(rows: readonly unknown[], column?: number): string {
  let out = '{';
  for (let r = 0; r < rows.length; r++) {
    if (r > 0) out += ',';
    const value = column === undefined ? rows[r] : (rows[r] as readonly unknown[])[column];
    if (value === null || value === undefined) {
      out += 'NULL';
      continue;
    }
    const text = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
    out += NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, '\\$&')}"` : `"${text}"`;
  }
  return `${out}}`;
}

/** The JSON texts of column `column` of `rows` as one JSON array (`[{…},{…}]`), each value's text unchanged (null as `null`). */
function jsonArrayText(rows: readonly (readonly unknown[])[], column: number): string {
  let out = '[';
  for (let r = 0; r < rows.length; r++) {
    const value = rows[r]![column];
    if (value !== null && typeof value !== 'string') throw new Error(`a json column takes JSON text or null, not ${typeof value}`);
    if (r > 0) out += ',';
    out += value ?? 'null';
  }
  return `${out}]`;
}
