import type { DbCapabilities } from './client.js';

/** The type a column of a batch's rows takes. */
export type ValueType = 'text' | 'timestamp' | 'int';

const PG_TYPE: Readonly<Record<ValueType, string>> = { text: 'text', timestamp: 'timestamp(3)', int: 'int4' };

/** The PostgreSQL row source of each list of column types, made once (its text never changes). */
const PG_ROWS_TEXT = new Map<string, string>();

/** PostgreSQL's row source for rows of these column types: `SELECT (r->>0)::text, … FROM json_array_elements(?::json) AS e (r)`. */
export function pgRowsText(types: readonly ValueType[]): string {
  const signature = types.join(',');
  let text = PG_ROWS_TEXT.get(signature);
  if (text === undefined) PG_ROWS_TEXT.set(signature, (text = `SELECT ${types.map((t, i) => `(r->>${i})::${PG_TYPE[t]}`).join(', ')} FROM json_array_elements(?::json) AS e (r)`));
  return text;
}

/**
 * The rows of a batch as a row source with its parameters, for a statement that joins them
 * (`WITH v (a, b) AS (${text}) UPDATE … FROM v`). On PostgreSQL the rows go as one JSON parameter, an array
 * of rows ({@link pgRowsText}): the text is the same however many rows the batch has (the connection
 * prepares it once, bot/db/client.ts), and the rows are one `JSON.stringify` instead of one bound value per
 * cell; a `Date` goes as its UTC ISO text (a `timestamp` column keeps the wall-clock fields and ignores the
 * `Z`). SQLite has no such function: there it is a `VALUES` list (`VALUES (?, ?), (?, ?)`) whose bound
 * values it compares as they are. Placeholders are `?` (fixed SQL).
 */
export function typedValues(capabilities: DbCapabilities, types: readonly ValueType[], rows: readonly (readonly unknown[])[]): { text: string; params: unknown[] } {
  for (const row of rows) {
    if (row.length !== types.length) throw new Error(`a VALUES row has ${row.length} values for ${types.length} columns`);
  }
  if (capabilities.provider === 'postgresql') return { text: pgRowsText(types), params: [JSON.stringify(rows)] };
  const tuple = `(${types.map(() => '?').join(', ')})`;
  const params: unknown[] = [];
  for (const row of rows) params.push(...row);
  return { text: `VALUES ${rows.map(() => tuple).join(', ')}`, params };
}
