/**
 * A PostgreSQL statement reading the rows of a table by a list of unique keys, one probe of the key's index per key.
 *
 * The keys are bound as one text array per key column, so the text is the same whatever the number of keys and
 * each connection prepares it once. An `IN (…)` list is planned from the table's statistics, and a table that has
 * just grown by a bulk write has none yet (autovacuum analyses it a minute later at the earliest): the planner then
 * reads the whole table for a few hundred keys, a read that grows with every chunk written. Here each key is looked
 * up in its own subquery (`OFFSET 0` keeps the planner from turning it back into a join it could hash), and with a
 * unique index on the key columns the planner expects one row per key, statistics or not.
 */
export function byKeyProbes(table: string, select: string, columns: readonly string[]): string {
  const keys = columns.map((_, i) => `k${i}`);
  return (
    `SELECT r.* FROM unnest(${columns.map(() => '?::text[]').join(', ')}) AS k(${keys.join(', ')}) ` +
    `CROSS JOIN LATERAL (SELECT ${select} FROM "${table}" WHERE ${columns.map((c, i) => `"${c}" = k.${keys[i]}`).join(' AND ')} OFFSET 0) AS r`
  );
}
