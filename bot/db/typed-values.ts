import type { DbCapabilities } from './client.js';

/** The type a column of a `VALUES` list takes. */
export type ValueType = 'text' | 'timestamp' | 'int';

const CAST: Readonly<Record<ValueType, string>> = { text: '::text', timestamp: '::timestamp(3)', int: '::int' };

/**
 * The rows of a `VALUES` list (`(?, ?), (?, ?)`) with their parameters, for a statement that joins a batch
 * of rows (`WITH v (a, b) AS (VALUES …) UPDATE … FROM v`). PostgreSQL types a bare parameter of a `VALUES`
 * list as text, so each is cast to its column's type there (a `Date` is sent as untyped text,
 * bot/db/client.ts); SQLite compares the bound values as they are. Placeholders are `?` (fixed SQL).
 */
export function typedValues(capabilities: DbCapabilities, types: readonly ValueType[], rows: readonly (readonly unknown[])[]): { text: string; params: unknown[] } {
  const postgres = capabilities.provider === 'postgresql';
  const tuple = `(${types.map((t) => (postgres ? `?${CAST[t]}` : '?')).join(', ')})`;
  const params: unknown[] = [];
  for (const row of rows) {
    if (row.length !== types.length) throw new Error(`a VALUES row has ${row.length} values for ${types.length} columns`);
    params.push(...row);
  }
  return { text: rows.map(() => tuple).join(', '), params };
}
