import type { DirectoryChanges, DirectoryDepartment, DirectoryStaff, StaffDirectory } from '../core/ports/staff-directory.js';
import type { MemoryState } from './memory-state.js';

/** `StaffDirectory` in memory: every change of one call in one transaction, in the order the port lists. */
export class MemoryStaffDirectory implements StaffDirectory {
  constructor(
    private readonly state: MemoryState,
    /** Called after changes are committed. */
    private readonly onChange: () => void = () => {},
  ) {}

  async readDirectory(): Promise<{ staff: DirectoryStaff[]; departments: DirectoryDepartment[] }> {
    return this.state.transact((tx) => ({
      staff: [...tx.staff.all()].map((s) => ({ id: s.id, wecomUserId: s.wecomUserId, name: s.name, departmentId: s.departmentId, roles: s.roles, supervisorId: s.supervisorId, active: s.active, source: s.source })),
      departments: [...tx.department.all()].map((d) => ({ id: d.id, code: d.code, name: d.name, parentId: d.parentId, path: d.path, headId: d.headId })),
    }));
  }

  async applyDirectoryChanges(changes: DirectoryChanges): Promise<void> {
    this.state.transact((tx) => {
      for (const d of changes.createDepartments ?? []) tx.department.insert({ id: d.id, code: d.code, name: d.name, parentId: d.parentId, path: d.path });
      for (const { id, ...data } of changes.updateDepartments ?? []) tx.department.update(id, data);
      for (const w of changes.writeStaff ?? []) {
        if (w.create) {
          const { create: _create, ...data } = w;
          tx.staff.insert({ syncedAt: null, ...data });
        } else {
          const { create: _create, id, ...data } = w;
          tx.staff.update(id, data);
        }
      }
      for (const s of changes.supervisors ?? []) tx.staff.update(s.staffId, { supervisorId: s.supervisorId });
      // headId is unique: a member moving to head another department stops heading the old one first.
      for (const h of changes.heads ?? []) {
        if (h.headId) tx.department.updateWhere((d) => d.headId === h.headId && d.id !== h.departmentId, { headId: null });
        tx.department.update(h.departmentId, { headId: h.headId });
      }
      const deactivate = changes.deactivate;
      if (deactivate) {
        const ids = new Set(deactivate.ids);
        tx.staff.updateWhere((s) => ids.has(s.id) && (!deactivate.source || s.source === deactivate.source), { active: false });
      }
      const touched = changes.touchSynced;
      if (touched) {
        const ids = new Set(touched.ids);
        tx.staff.updateWhere((s) => ids.has(s.id), { syncedAt: touched.at });
      }
    });
    this.onChange();
  }
}
