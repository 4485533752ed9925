import type { OrgStore } from '../core/ports/org.js';
import { parseRoles, type OrgSnapshot } from '../core/model.js';
import type { MemoryState } from './memory-state.js';

/** `OrgStore` in memory. The snapshot is read afresh each time (nothing to cache), so staff changes show at once. */
export class MemoryOrgStore implements OrgStore {
  constructor(private readonly state: MemoryState) {}

  async loadOrgSnapshot(): Promise<OrgSnapshot> {
    return this.state.transact((tx) => ({
      staff: new Map(
        [...tx.staff.all()].map((s) => [
          s.id,
          { id: s.id, wecomUserId: s.wecomUserId, name: s.name, departmentId: s.departmentId, roles: parseRoles(s.roles), supervisorId: s.supervisorId, active: s.active },
        ]),
      ),
      departments: new Map([...tx.department.all()].map((d) => [d.id, { id: d.id, code: d.code, name: d.name, parentId: d.parentId, headId: d.headId }])),
    }));
  }

  /** Nothing is cached in memory. */
  invalidateOrgCache(): void {}

  async findStaffByWecomUserId(wecomUserId: string): Promise<{ id: string; name: string; active: boolean } | null> {
    return this.state.transact((tx) => {
      const s = tx.staff.byUnique('wecomUserId', wecomUserId);
      return s ? { id: s.id, name: s.name, active: s.active } : null;
    });
  }
}
