// `nearest:<role>` assignee rules: across to a sibling department, not only upwards (004 三: the
// customer-service department calls back the customers of the repair team beside it).
import { describe, expect, it } from 'vitest';
import { resolveRule } from '../../../../bot/core/policies/plan-follow-ups.js';
import type { DepartmentNode, OrgSnapshot, StaffMember } from '../../../../bot/core/model.js';

function org(departments: [string, string | null][], staff: [string, string, string[]][]): OrgSnapshot {
  return {
    departments: new Map(departments.map(([id, parentId]): [string, DepartmentNode] => [id, { id, code: id, name: id, parentId, headId: null }])),
    staff: new Map(staff.map(([id, departmentId, roles]): [string, StaffMember] => [id, { id, wecomUserId: id, name: id, departmentId, roles, supervisorId: null, active: true }])),
  };
}

// 水务公司 ├ 客服部 (客服专员 kefu.a, kefu.b)  ├ 管网部 └ 维修班 (repair case here)  └ 集团客服 far away under 集团
const company = org(
  [
    ['group', null],
    ['water', 'group'],
    ['service', 'water'],
    ['network', 'water'],
    ['repair', 'network'],
    ['group_service', 'group'],
  ],
  [
    ['kefu.a', 'service', ['customer_service']],
    ['kefu.b', 'service', ['customer_service']],
    ['kefu.group', 'group_service', ['customer_service']],
    ['weixiu.li', 'repair', ['repair']],
  ],
);
const repairCase = { id: 'case-1', departmentId: 'repair', responsibleStaffId: 'weixiu.li' };

describe('nearest:<role>', () => {
  it('finds the role in a sibling department when none is up the case’s own line', () => {
    expect(resolveRule('role:customer_service', repairCase, company, null)).toBeNull();
    expect(['kefu.a', 'kefu.b']).toContain(resolveRule('nearest:customer_service', repairCase, company, null)?.id);
  });

  it('prefers the nearest level: the company’s own customer service before the group’s', () => {
    const onlyGroup = org(
      [...company.departments.values()].map((d): [string, string | null] => [d.id, d.parentId]),
      [['kefu.group', 'group_service', ['customer_service']]],
    );
    expect(resolveRule('nearest:customer_service', repairCase, company, null)?.id).not.toBe('kefu.group');
    expect(resolveRule('nearest:customer_service', repairCase, onlyGroup, null)?.id).toBe('kefu.group');
  });

  it('is stable for a case, skips excluded and inactive staff, and finds nobody when nobody has the role', () => {
    const first = resolveRule('nearest:customer_service', repairCase, company, null)!.id;
    expect(resolveRule('nearest:customer_service', repairCase, company, null)!.id).toBe(first);
    const other = first === 'kefu.a' ? 'kefu.b' : 'kefu.a';
    expect(resolveRule('nearest:customer_service', repairCase, company, [first])?.id).toBe(other);
    expect(resolveRule('nearest:customer_service', repairCase, company, ['kefu.a', 'kefu.b'])?.id).toBe('kefu.group');
    expect(resolveRule('nearest:auditor', repairCase, company, null)).toBeNull();
  });
});
