/**
 * Raw SQL for the statements Prisma's query API cannot express (claims with `UPDATE … RETURNING`,
 * batched compare-and-set). Placeholders differ: `?` on SQLite, `$1…` on PostgreSQL (bot/db/client.ts).
 */
import type { DbCapabilities } from './client.js';

/** A constant SQL fragment inlined by {@link sqlText} (never input). */
export class Verbatim {
  constructor(readonly text: string) {}
}

/** `FOR UPDATE SKIP LOCKED` where the database has it, else nothing (SQLite serialises writers). */
export function skipLocked(capabilities: DbCapabilities): Verbatim {
  return new Verbatim(capabilities.skipLocked ? 'FOR UPDATE SKIP LOCKED' : '');
}

/**
 * A tagged template rendering SQL with the provider's placeholders; `Verbatim` values are inlined,
 * everything else is bound: `` sqlText(caps)`… WHERE id = ${id}` `` → `[text, id]`.
 */
export function sqlText(capabilities: DbCapabilities) {
  return (parts: TemplateStringsArray, ...values: unknown[]): [string, ...unknown[]] => {
    const params: unknown[] = [];
    let text = parts[0]!;
    values.forEach((value, i) => {
      if (value instanceof Verbatim) text += value.text;
      else {
        params.push(value);
        text += capabilities.provider === 'postgresql' ? `$${params.length}` : '?';
      }
      text += parts[i + 1]!;
    });
    return [text, ...params];
  };
}

/** Rewrites `?` placeholders as `$1…` on PostgreSQL (SQLite keeps `?`). */
export function numbered(capabilities: DbCapabilities, text: string, params: unknown[]): [string, ...unknown[]] {
  if (capabilities.provider !== 'postgresql') return [text, ...params];
  // A multi-row INSERT has tens of thousands of placeholders: split once rather than a callback per match.
  const parts = text.split('?');
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i++) out += `$${i}${parts[i]}`;
  return [out, ...params];
}
