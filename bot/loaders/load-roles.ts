import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { YamlSource } from './yaml-source.js';

/** The file listing the role names packs may use (`role:<name>`), next to the packs. */
export const ROLES_FILE = 'roles.yaml';

/**
 * The roles policy packs may name (templates/policies/roles.yaml), with their Chinese labels, so
 * that an import file may say `nurse` or `护士`. A label such as `经理 / 院长 / 分管领导` gives three
 * aliases; text in full-width parentheses is a note, not part of the alias.
 */
export interface RoleCatalogue {
  /** Role names, e.g. `nurse`. */
  readonly names: ReadonlySet<string>;
  /** True when there is no roles file: then any snake_case role name is accepted. */
  readonly open: boolean;
  /** The role a name or label stands for, or null. */
  resolve(text: string): string | null;
}

const rolesSchema = z
  .object(
    {
      roles: z.record(
        z.string().regex(/^[a-z_]+$/, 'a role name is lower-case letters and "_" (packs name it as role:<name>)'),
        z.string({ invalid_type_error: 'give the role a label, e.g. 护士 or 经理 / 院长' }),
        { required_error: 'expected a "roles:" map of role name → label', invalid_type_error: 'expected a "roles:" map of role name → label' },
      ),
    },
    { invalid_type_error: 'expected a "roles:" map of role name → label' },
  )
  .strict();

/**
 * Loads `roles.yaml` from the policies folder, validated (problems name file, line and reason, as a
 * {@link DataLoadError}); without the file every role name is accepted, by the policy loader and the
 * staff import alike.
 */
export function loadRoleCatalogue(policiesDir: string): RoleCatalogue {
  const file = join(policiesDir, ROLES_FILE);
  const open = !existsSync(file);
  const roles: Record<string, string> = open ? {} : new YamlSource(readFileSync(file, 'utf8'), file).validate(rolesSchema, 'role list').roles;
  const byAlias = new Map<string, string>();
  for (const [name, label] of Object.entries(roles)) {
    byAlias.set(name.toLowerCase(), name);
    for (const part of label.split('/')) {
      const alias = part.replace(/（.*?）|\(.*?\)/g, '').trim();
      // An alias shared by two roles is ambiguous: neither gets it.
      if (alias === '') continue;
      if (byAlias.has(alias) && byAlias.get(alias) !== name) byAlias.set(alias, '');
      else byAlias.set(alias, name);
    }
  }
  return {
    names: new Set(Object.keys(roles)),
    open,
    resolve(text: string) {
      const t = text.normalize('NFKC').trim();
      const hit = byAlias.get(t) ?? byAlias.get(t.toLowerCase());
      if (hit) return hit;
      return open && /^[a-z][a-z0-9_]*$/.test(t) ? t : null;
    },
  };
}

/** The role names packs may use, or null when there is no roles file (then any role name is accepted). */
export function loadRoles(policiesDir: string): Set<string> | null {
  const catalogue = loadRoleCatalogue(policiesDir);
  return catalogue.open ? null : new Set(catalogue.names);
}
