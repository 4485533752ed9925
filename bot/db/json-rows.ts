/**
 * A whole set of rows bound as ONE parameter: a JSON array of arrays, read back as a table by the database
 * (`json_array_elements` on PostgreSQL, `json_each` on SQLite). Set-based statements of fixed SQL
 * (bot/db/fixed-sql.ts) join it or select from it, e.g. a compare-and-set of a thousand rows in one
 * `UPDATE … FROM`, or a multi-row `INSERT … SELECT`. Against a `VALUES` list of one placeholder per value,
 * the statement text is the same whatever the number of rows (nothing to parse and plan again per size), the
 * driver binds one string instead of tens of thousands of values, and neither database's bound-parameter limit
 * (32,766 on SQLite, 65,535 on PostgreSQL) caps the rows per statement.
 *
 * Values are written as each database stores them through Prisma: a `Date` as ISO text with `+00:00` (what the
 * SQLite adapter writes, so that text comparisons keep working; PostgreSQL reads the same text into its
 * `timestamp(3)` columns, which hold UTC), a boolean as 1/0 on SQLite.
 */
import type { DbCapabilities } from './client.js';
import type { FixedSqlQueries } from './fixed-sql.js';
import { insertSqliteValues } from './sqlite-values.js';

/**
 * A `Date` as the SQLite adapter stores it (`toISOString()` with `+00:00` for `Z`, @prisma/adapter-better-sqlite3
 * `mapArg`), so that rows written either way compare and sort alike. An invalid date throws, as it does there.
 */
export function sqliteDateText(value: Date): string {
  return value.toISOString().replace('Z', '+00:00');
}

/**
 * `format` made once per instant: the rows of a batch share a few instants (created, updated, due times), and
 * formatting each cell again is a measurable part of writing them.
 */
export function oncePerInstant(format: (value: Date) => string): (value: Date) => string {
  const texts = new Map<number, string>();
  return (value) => {
    const t = value.getTime();
    let text = texts.get(t);
    if (text === undefined) texts.set(t, (text = format(value)));
    return text;
  };
}

/**
 * How a column is typed when read back: text, integer or instant. `json` (only in {@link insertJsonObjects}): the
 * value is any JSON value, and a text column receives its JSON text (`null` gives NULL).
 */
export type JsonRowKind = 'text' | 'int' | 'date' | 'json';

/** The SQL type each kind is read as on PostgreSQL. */
const PG_TYPE: Readonly<Record<Exclude<JsonRowKind, 'json'>, string>> = { text: 'text', int: 'integer', date: 'timestamp(3)' };

/**
 * A sub-select reading the rows bound at its one `?` (see {@link jsonRowsParam}) as `alias` with the given
 * columns, in their order: `(SELECT … FROM json_each(?)) AS v`. Use it where a table may stand.
 */
export function jsonRows(capabilities: DbCapabilities, alias: string, columns: Readonly<Record<string, Exclude<JsonRowKind, 'json'>>>): string {
  const list = Object.entries(columns);
  if (capabilities.provider === 'postgresql') {
    const select = list.map(([name, kind], i) => `CAST(e.value ->> ${i} AS ${PG_TYPE[kind]}) AS "${name}"`).join(', ');
    return `(SELECT ${select} FROM jsonb_array_elements(CAST(? AS jsonb)) AS e(value)) AS ${alias}`;
  }
  // `->>` gives SQLite's own value: TEXT for a string, INTEGER for a whole number, NULL for null.
  const select = list.map(([name], i) => `e.value ->> ${i} AS "${name}"`).join(', ');
  return `(SELECT ${select} FROM json_each(?) AS e) AS ${alias}`;
}

/**
 * `column IN values` for a batch's look-ups, with `params` to bind. On SQLite the values go as one JSON array
 * (`IN (SELECT value FROM json_each(?))`): a statement of one text whatever the number of values, which the
 * connection keeps prepared. On PostgreSQL they go as one placeholder each, in statements of up to 1,000 values:
 * such a statement is planned for its values each time, where one prepared text would keep the plan made for the
 * table's size when it was first run (a scan of the whole table once that had been cheaper).
 */
export function inTextList(capabilities: DbCapabilities, column: string, values: readonly string[]): { sql: string; params: unknown[] }[] {
  if (capabilities.provider !== 'postgresql') return [{ sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] }];
  const out: { sql: string; params: unknown[] }[] = [];
  for (let i = 0; i < values.length; i += 1_000) {
    const chunk = values.slice(i, i + 1_000);
    out.push({ sql: `${column} IN (${chunk.map(() => '?').join(', ')})`, params: chunk });
  }
  return out;
}

/** The parameter of {@link jsonRows}: each row gives its values in the columns' order. */
export function jsonRowsParam(capabilities: DbCapabilities, rows: readonly (readonly unknown[])[]): string {
  const store = storedValues(capabilities);
  // Dates (and SQLite's booleans) in their stored form first, then one native JSON.stringify of the whole batch.
  return JSON.stringify(rows.map((row) => row.map(store)));
}

/**
 * A value as {@link jsonRowsParam} binds it, with a batch's instants each formatted once: a `Date` as the text the
 * SQLite adapter writes (PostgreSQL reads it alike), a boolean as 1/0 on SQLite, `undefined` as null.
 */
export function storedValues(capabilities: DbCapabilities): (value: unknown) => unknown {
  const sqlite = capabilities.provider === 'sqlite';
  // A batch's rows share a few instants (created, updated, due times).
  const dateText = oncePerInstant(sqliteDateText);
  return (value) => {
    if (value instanceof Date) return dateText(value);
    if (sqlite && typeof value === 'boolean') return value ? 1 : 0;
    return value === undefined ? null : value;
  };
}

/**
 * Inserts rows given as objects with one `INSERT … SELECT` from {@link jsonRows} per set of fields given (a field
 * left `undefined` keeps the column's database default, as with `createMany`). `kinds` names every column that may
 * be given, with its kind. Raw SQL keeps no Prisma defaults: give `createdAt`/`updatedAt` and every DateTime column.
 * `onConflict` (e.g. `ON CONFLICT ("idempotencyKey") DO NOTHING`) is appended to each statement; without it a
 * unique violation fails the statement (P2002), and the caller's transaction with it. Resolves with the rows inserted.
 *
 * A column of kind `json` (at most one per table) takes a JSON value, written out once: on PostgreSQL the values go
 * as a second parameter, a JSON array read beside the rows (`ROWS FROM`) as type `json`, whose elements keep the
 * exact text `JSON.stringify` made; inside the rows they would be strings, escaped once more and unescaped there.
 * On SQLite each value is bound on its own (bot/db/sqlite-values.ts), which in this process costs less than a
 * JSON text to encode and parse; a `json` value is bound as its `JSON.stringify` text.
 */
export async function insertJsonObjects(
  sql: FixedSqlQueries,
  capabilities: DbCapabilities,
  table: string,
  kinds: Readonly<Record<string, JsonRowKind>>,
  rows: readonly Readonly<Record<string, unknown>>[],
  onConflict = '',
): Promise<number> {
  const all = Object.keys(kinds);
  const jsonColumns = all.filter((name) => kinds[name] === 'json');
  if (jsonColumns.length > 1) throw new Error(`insertJsonObjects: at most one json column (${table}: ${jsonColumns.join(', ')})`);
  const jsonColumn = jsonColumns[0];
  const sqlite = capabilities.provider === 'sqlite';
  if (all.length > 31) throw new Error(`insertJsonObjects: at most 31 columns (${table}: ${all.length})`);
  const groups = new Map<number, { names: string[]; objects: Readonly<Record<string, unknown>>[] }>();
  for (const row of rows) {
    // The fields given, as one bit per column: rows of a batch mostly share one set.
    let signature = 0;
    for (let i = 0; i < all.length; i++) if (row[all[i]!] !== undefined) signature |= 1 << i;
    let group = groups.get(signature);
    if (!group) {
      // On PostgreSQL the json column travels apart from the rows; on SQLite it is bound with them.
      const names = all.filter((name) => row[name] !== undefined && (sqlite || name !== jsonColumn));
      groups.set(signature, (group = { names, objects: [] }));
    }
    group.objects.push(row);
  }
  // Each row's values in their stored form (as jsonRowsParam binds them), the json column's as its text.
  const store = storedValues(capabilities);
  const valuesOf = (names: readonly string[], row: Readonly<Record<string, unknown>>) => {
    const values = new Array<unknown>(names.length);
    for (let i = 0; i < values.length; i++) {
      const name = names[i]!;
      values[i] = name === jsonColumn ? jsonText(row[name]) : store(row[name]);
    }
    return values;
  };
  let inserted = 0;
  for (const group of groups.values()) {
    if (sqlite) {
      // Each statement's values (the json texts above all) are made just before it runs (bot/db/sqlite-values.ts).
      inserted += await insertSqliteValues((text, params) => sql.execute(text, params), table, group.names, group.objects, {
        onConflict,
        valuesOf: (row) => valuesOf(group.names, row),
      });
      continue;
    }
    const values = group.objects.map((row) => valuesOf(group.names, row));
    const json = jsonColumn === undefined ? [] : group.objects.flatMap((row) => (row[jsonColumn] === undefined ? [] : [row[jsonColumn]]));
    const select = group.names.map((name, i) => `CAST(e.value ->> ${i} AS ${PG_TYPE[kinds[name] as Exclude<JsonRowKind, 'json'>]})`);
    const names = [...group.names];
    const params = [JSON.stringify(values)];
    let from = 'jsonb_array_elements(CAST(? AS jsonb)) AS e(value)';
    if (json.length > 0) {
      // A JSON null is SQL NULL; any other value is its text, as JSON.stringify wrote it.
      select.push(`NULLIF(e.j::text, 'null')`);
      names.push(jsonColumn!);
      params.push(JSON.stringify(json));
      from = 'ROWS FROM (jsonb_array_elements(CAST(? AS jsonb)), json_array_elements(CAST(? AS json))) AS e(value, j)';
    }
    const list = names.map((name) => `"${name}"`).join(', ');
    inserted += await sql.execute(`INSERT INTO "${table}" (${list}) SELECT ${select.join(', ')} FROM ${from} ${onConflict}`, params);
  }
  return inserted;
}

/** A `json` column's value as the text it stores: `null` stays NULL. */
function jsonText(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}
