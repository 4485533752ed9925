import type { DirectoryChanges, StaffDirectory } from '../core/ports/staff-directory.js';
import type { CustomerImportStore } from '../core/ports/customers.js';
import { parseRoles, type OrgSnapshot } from '../core/model.js';

/**
 * The example organisation used by the demo and the sandbox: a hospital with one ward (P4 discharge
 * follow-ups) and a property-management company with one service centre (P7 complaint follow-ups),
 * each with staff, supervisors, a department head and a manager, plus customers.
 * Idempotent: departments are keyed by code, staff by WeCom user id, customers by external id.
 */
export const EXAMPLE_DEPARTMENTS = [
  { code: 'hospital', name: '仁和医院', parent: null, head: 'yuanzhang.liu' },
  { code: 'cardiology', name: '心内科病区', parent: 'hospital', head: 'kezhuren.wang' },
  { code: 'property', name: '锦绣物业公司', parent: null, head: 'jingli.zhao' },
  { code: 'service-centre', name: '锦绣花园客服中心', parent: 'property', head: 'zhuguan.sun' },
] as const;

export const EXAMPLE_STAFF = [
  { wecomUserId: 'yuanzhang.liu', name: '刘院长', department: 'hospital', roles: 'manager', supervisor: null },
  { wecomUserId: 'kezhuren.wang', name: '王主任', department: 'cardiology', roles: 'department_head,doctor', supervisor: 'yuanzhang.liu' },
  { wecomUserId: 'hushizhang.chen', name: '陈护士长', department: 'cardiology', roles: 'head_nurse,supervisor', supervisor: 'kezhuren.wang' },
  { wecomUserId: 'hushi.li', name: '李护士', department: 'cardiology', roles: 'nurse', supervisor: 'hushizhang.chen' },
  { wecomUserId: 'hushi.zhou', name: '周护士', department: 'cardiology', roles: 'nurse', supervisor: 'hushizhang.chen' },
  { wecomUserId: 'jingli.zhao', name: '赵经理', department: 'property', roles: 'manager', supervisor: null },
  { wecomUserId: 'zhuguan.sun', name: '孙主管', department: 'service-centre', roles: 'department_head,supervisor', supervisor: 'jingli.zhao' },
  { wecomUserId: 'zhuli.wu', name: '吴助理', department: 'service-centre', roles: 'property_assistant', supervisor: 'zhuguan.sun' },
  { wecomUserId: 'zhuli.zheng', name: '郑助理', department: 'service-centre', roles: 'property_assistant', supervisor: 'zhuguan.sun' },
  { wecomUserId: 'weixiu.qian', name: '钱师傅', department: 'service-centre', roles: 'repair', supervisor: 'zhuguan.sun' },
] as const;

/** Sample customers: patients of the ward and owners of the estate (phones in a test number range). */
export const EXAMPLE_CUSTOMERS = [
  { externalId: 'P-0001', name: '王秀英', salutation: '王女士', phone: '+8613800000001' },
  { externalId: 'P-0002', name: '张伟', salutation: '张先生', phone: '+8613800000002' },
  { externalId: 'P-0003', name: '李娜', salutation: '李女士', phone: '+8613800000003' },
  { externalId: 'P-0004', name: '刘洋', salutation: '刘先生', phone: '+8613800000004' },
  { externalId: 'O-0101', name: '陈静', salutation: '陈女士', phone: '+8613900000101' },
  { externalId: 'O-0102', name: '杨磊', salutation: '杨先生', phone: '+8613900000102' },
  { externalId: 'O-0103', name: '黄敏', salutation: '黄女士', phone: '+8613900000103' },
] as const;

function maskE164(e164: string): string {
  const national = e164.replace(/^\+86/, '');
  return `${national.slice(0, 3)}****${national.slice(-4)}`;
}

/**
 * Creates (or completes) the example organisation through the directory writers, as a staff and a
 * customer file would; returns staff ids by WeCom user id. Idempotent: keyed by department code,
 * WeCom user id and customer external id.
 */
export async function seedExampleOrganisation(
  target: { staff: StaffDirectory; customers: CustomerImportStore },
  newId: () => string,
): Promise<Map<string, string>> {
  const current = await target.staff.readDirectory();
  const departmentByCode = new Map(current.departments.map((d) => [d.code, d]));
  const changes: Required<Pick<DirectoryChanges, 'createDepartments' | 'updateDepartments' | 'writeStaff' | 'supervisors' | 'heads'>> = {
    createDepartments: [],
    updateDepartments: [],
    writeStaff: [],
    supervisors: [],
    heads: [],
  };
  const deptIds = new Map<string, string>();
  const paths = new Map<string, string>();
  for (const d of EXAMPLE_DEPARTMENTS) {
    const parentId = d.parent ? deptIds.get(d.parent)! : null;
    const existing = departmentByCode.get(d.code);
    const id = existing?.id ?? newId();
    if (existing) {
      if (existing.name !== d.name) changes.updateDepartments.push({ id, name: d.name });
      paths.set(id, existing.path);
    } else {
      const path = `${parentId ? paths.get(parentId)! : '/'}${id}/`;
      changes.createDepartments.push({ id, code: d.code, name: d.name, parentId, path });
      paths.set(id, path);
    }
    deptIds.set(d.code, id);
  }
  const staffByWecomId = new Map(current.staff.map((s) => [s.wecomUserId, s]));
  const staffIds = new Map<string, string>();
  for (const s of EXAMPLE_STAFF) {
    const existing = staffByWecomId.get(s.wecomUserId);
    const id = existing?.id ?? newId();
    changes.writeStaff.push(
      existing
        ? { create: false, id, name: s.name, roles: s.roles }
        : { create: true, id, wecomUserId: s.wecomUserId, name: s.name, departmentId: deptIds.get(s.department)!, roles: s.roles, active: true, source: 'import' },
    );
    staffIds.set(s.wecomUserId, id);
  }
  for (const s of EXAMPLE_STAFF) if (s.supervisor) changes.supervisors.push({ staffId: staffIds.get(s.wecomUserId)!, supervisorId: staffIds.get(s.supervisor)! });
  for (const d of EXAMPLE_DEPARTMENTS) changes.heads.push({ departmentId: deptIds.get(d.code)!, headId: staffIds.get(d.head)! });
  await target.staff.applyDirectoryChanges(changes);

  const known = new Set((await target.customers.findCustomersForImport({ externalIds: EXAMPLE_CUSTOMERS.map((c) => c.externalId), phones: [] })).map((c) => c.externalId));
  await target.customers.writeCustomerBatch({
    create: EXAMPLE_CUSTOMERS.filter((c) => !known.has(c.externalId)).map((c) => ({
      id: newId(),
      externalId: c.externalId,
      name: c.name,
      salutation: c.salutation,
      phoneE164: c.phone,
      phoneMasked: maskE164(c.phone),
      tags: [],
    })),
    update: [],
  });
  return staffIds;
}

/** The example organisation as an in-memory snapshot (no database needed), as `huifang simulate` uses it. */
export function exampleOrgSnapshot(): OrgSnapshot {
  const staff = new Map(
    EXAMPLE_STAFF.map((s) => [
      `ex:${s.wecomUserId}`,
      { id: `ex:${s.wecomUserId}`, wecomUserId: s.wecomUserId, name: s.name, departmentId: `ex:${s.department}`, roles: parseRoles(s.roles), supervisorId: s.supervisor ? `ex:${s.supervisor}` : null, active: true },
    ]),
  );
  const departments = new Map(
    EXAMPLE_DEPARTMENTS.map((d) => [`ex:${d.code}`, { id: `ex:${d.code}`, code: d.code, name: d.name, parentId: d.parent ? `ex:${d.parent}` : null, headId: `ex:${d.head}` }]),
  );
  return { staff, departments };
}
