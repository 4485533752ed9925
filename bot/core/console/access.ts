/**
 * Who may see and do what in the console (管理台). Pure: from the signed-in account and the
 * organisation, the role and the scope every console query is filtered by.
 *
 * - `admin` (管理员): everything, and the settings.
 * - 审计员 `auditor`: everything, read only, and the audit log.
 * - 负责人 `manager`: a department head (the department they head and everything below it), or a staff
 *   member holding a manager-level role (their own department and everything below it).
 * - 员工 `staff`: their own tasks, and the cases and escalations those belong to.
 */
import type { OrgSnapshot } from '../model.js';

export type ConsoleRole = 'admin' | 'auditor' | 'manager' | 'staff';

/** Roles (templates/policies/roles.yaml) that give a staff member their department's view. */
export const CONSOLE_MANAGER_ROLES: readonly string[] = ['manager', 'department_head', 'head_nurse', 'supervisor'];

/** What the rows a console page shows are limited to. */
export type ConsoleScope =
  | { kind: 'all' }
  /** Cases (and their follow-ups, escalations, customers) of these departments. */
  | { kind: 'departments'; departmentIds: readonly string[]; rootDepartmentId: string }
  /** Follow-ups assigned to this staff member, escalations they own, and the cases of those. */
  | { kind: 'own'; staffId: string };

/** A console account as access decisions see it. */
export interface ConsoleAccount {
  id: string;
  name: string;
  staffId: string | null;
  /** `admin` or `auditor` set on the account; null when the role follows the staff member's position. */
  role: 'admin' | 'auditor' | null;
  active: boolean;
}

/** The signed-in person: account, role, scope and what they may do. */
export interface ConsoleAccess {
  account: ConsoleAccount;
  role: ConsoleRole;
  scope: ConsoleScope;
  /** The staff member behind the account, when there is one. */
  staffId: string | null;
  /** May change things (everyone but auditors). */
  canWrite: boolean;
  /** May see the audit log (administrators and auditors). */
  canAudit: boolean;
  /** May change settings, calendar entries and complaint topics (administrators). */
  canAdminister: boolean;
}

/**
 * The access of an account, or null when it may not sign in (inactive, or its staff member has left
 * or is no longer in the organisation).
 */
export function accessOf(account: ConsoleAccount, org: OrgSnapshot): ConsoleAccess | null {
  if (!account.active) return null;
  const staff = account.staffId ? org.staff.get(account.staffId) : undefined;
  if (account.staffId && (!staff || !staff.active)) return null;
  const base = { account, staffId: account.staffId };
  if (account.role === 'admin') return { ...base, role: 'admin', scope: { kind: 'all' }, canWrite: true, canAudit: true, canAdminister: true };
  if (account.role === 'auditor') return { ...base, role: 'auditor', scope: { kind: 'all' }, canWrite: false, canAudit: true, canAdminister: false };
  if (!staff) return null;
  const headed = [...org.departments.values()].find((d) => d.headId === staff.id);
  const root = headed?.id ?? (staff.roles.some((r) => CONSOLE_MANAGER_ROLES.includes(r)) ? staff.departmentId : null);
  if (root) {
    return { ...base, role: 'manager', scope: { kind: 'departments', departmentIds: subtreeOf(org, root), rootDepartmentId: root }, canWrite: true, canAudit: false, canAdminister: false };
  }
  return { ...base, role: 'staff', scope: { kind: 'own', staffId: staff.id }, canWrite: true, canAudit: false, canAdminister: false };
}

/** A department and every department below it (by parent links; cycles are cut). */
export function subtreeOf(org: OrgSnapshot, rootId: string): string[] {
  const children = new Map<string, string[]>();
  for (const d of org.departments.values()) {
    if (!d.parentId) continue;
    const list = children.get(d.parentId) ?? [];
    list.push(d.id);
    children.set(d.parentId, list);
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    out.push(id);
    for (const c of children.get(id) ?? []) visit(c);
  };
  visit(rootId);
  return out;
}

/** Whether a staff member is inside the scope (for reassignment targets and staff filters). */
export function staffInScope(scope: ConsoleScope, org: OrgSnapshot, staffId: string): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'own') return scope.staffId === staffId;
  const staff = org.staff.get(staffId);
  return staff !== undefined && scope.departmentIds.includes(staff.departmentId);
}
