import type { DbCapabilities } from './client.js';

/** The type a column of a batch's rows takes. */
export type ValueType = 'text' | 'timestamp' | 'int';

const PG_ARRAY_TYPE: Readonly<Record<ValueType, string>> = { text: 'text[]', timestamp: 'timestamp(3)[]', int: 'int4[]' };

/** The PostgreSQL row source of each list of column types, made once (its text never changes). */
const UNNEST_TEXT = new Map<string, string>();

/**
 * The rows of a batch as a row source with its parameters, for a statement that joins them
 * (`WITH v (a, b) AS (${text}) UPDATE … FROM v`). On PostgreSQL it is `SELECT * FROM unnest(?::text[],
 * ?::timestamp(3)[], …)`: one array parameter per column however many rows the batch has, so the text
 * never changes (the connection prepares it once, bot/db/client.ts) and the rows go as one text per
 * column instead of one bound value per cell; a `Date` goes as its UTC ISO text (a `timestamp` column keeps
 * the wall-clock fields and ignores the `Z`, as bot/db/writes.ts `insertColumns` does). SQLite has no
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
    if (text === undefined) UNNEST_TEXT.set(signature, (text = `SELECT * FROM unnest(${types.map((t) => `?::${PG_ARRAY_TYPE[t]}`).join(', ')})`));
    const params: unknown[] = new Array(types.length);
    for (let c = 0; c < types.length; c++) {
      const column = new Array<unknown>(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const value = rows[r]![c];
        column[r] = value === undefined ? null : value instanceof Date ? value.toISOString() : value;
      }
      params[c] = column;
    }
    return { text, params };
  }
  const tuple = `(${types.map(() => '?').join(', ')})`;
  const params: unknown[] = [];
  for (const row of rows) params.push(...row);
  return { text: `VALUES ${rows.map(() => tuple).join(', ')}`, params };
}
