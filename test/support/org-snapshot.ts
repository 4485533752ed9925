// In-memory OrgSnapshot of the example organisation for unit tests (no database): staff ids are
// their WeCom user ids and department ids their codes, so expectations read like the org chart.
import { fileURLToPath } from 'node:url';
import { EXAMPLE_DEPARTMENTS, EXAMPLE_STAFF } from '../../bot/example/example-organisation.js';
import type { DepartmentNode, OrgSnapshot, StaffMember } from '../../bot/core/model.js';
import type { PolicyDefinition } from '../../bot/core/policies/types.js';
import { loadPolicyPacks } from '../../bot/loaders/load-policies.js';

export const POLICIES_DIR = fileURLToPath(new URL('../../templates/policies', import.meta.url));

/** The shipped policy pack with this id (templates/policies). */
export function shippedPolicy(id: string): PolicyDefinition {
  const policy = loadPolicyPacks(POLICIES_DIR).find((p) => p.id === id);
  if (!policy) throw new Error(`no policy ${id} in ${POLICIES_DIR}`);
  return policy;
}

/** The example organisation; `inactive` lists WeCom ids of staff who have left. */
export function exampleOrg(options: { inactive?: string[] } = {}): OrgSnapshot {
  const inactive = new Set(options.inactive ?? []);
  const staff = new Map<string, StaffMember>(
    EXAMPLE_STAFF.map((s) => [
      s.wecomUserId,
      {
        id: s.wecomUserId,
        wecomUserId: s.wecomUserId,
        name: s.name,
        departmentId: s.department,
        roles: s.roles.split(','),
        supervisorId: s.supervisor,
        active: !inactive.has(s.wecomUserId),
      },
    ]),
  );
  const departments = new Map<string, DepartmentNode>(
    EXAMPLE_DEPARTMENTS.map((d) => [d.code, { id: d.code, code: d.code, name: d.name, parentId: d.parent, headId: d.head }]),
  );
  return { staff, departments };
}
