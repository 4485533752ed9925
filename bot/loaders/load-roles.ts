import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The roles policy packs may name (templates/policies/roles.yaml), with their Chinese labels, so
 * that an import file may say `nurse` or `护士`. A label such as `经理 / 院长 / 分管领导` gives three
 * aliases; text in full-width parentheses is a note, not part of the alias.
 */
export interface RoleCatalogue {
  /** Role names, e.g. `nurse`. */
  readonly names: ReadonlySet<string>;
  /** The role a name or label stands for, or null. */
  resolve(text: string): string | null;
}

/** Loads `roles.yaml` from the policies folder; without the file every role name is accepted (as the policy loader does). */
export function loadRoleCatalogue(policiesDir: string): RoleCatalogue {
  const file = join(policiesDir, 'roles.yaml');
  const roles: Record<string, string> = existsSync(file) ? ((parse(readFileSync(file, 'utf8')) as { roles?: Record<string, string> } | null)?.roles ?? {}) : {};
  const open = !existsSync(file);
  const byAlias = new Map<string, string>();
  for (const [name, label] of Object.entries(roles)) {
    byAlias.set(name.toLowerCase(), name);
    for (const part of String(label ?? '').split('/')) {
      const alias = part.replace(/（.*?）|\(.*?\)/g, '').trim();
      // An alias shared by two roles is ambiguous: neither gets it.
      if (alias === '') continue;
      if (byAlias.has(alias) && byAlias.get(alias) !== name) byAlias.set(alias, '');
      else byAlias.set(alias, name);
    }
  }
  return {
    names: new Set(Object.keys(roles)),
    resolve(text: string) {
      const t = text.normalize('NFKC').trim();
      const hit = byAlias.get(t) ?? byAlias.get(t.toLowerCase());
      if (hit) return hit;
      return open && /^[a-z][a-z0-9_]*$/.test(t) ? t : null;
    },
  };
}
