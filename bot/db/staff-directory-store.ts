import type { DirectoryChanges, DirectoryDepartment, DirectoryStaff, StaffDirectory } from '../core/ports/staff-directory.js';
import type { StoreContext } from './store-context.js';

/** Rows per `updateMany … IN (…)` statement. */
const BATCH = 200;
/** A whole organisation's file is thousands of rows at most: the transaction is given the time that needs. */
const DIRECTORY_TX = { maxWait: 30_000, timeout: 600_000 } as const;

/** `StaffDirectory` over Prisma. */
export class PrismaStaffDirectory implements StaffDirectory {
  constructor(
    private readonly db: StoreContext,
    /** Called after changes are committed (drops the cached organisation snapshot). */
    private readonly onChange: () => void = () => {},
  ) {}

  async readDirectory(): Promise<{ staff: DirectoryStaff[]; departments: DirectoryDepartment[] }> {
    const [staff, departments] = await Promise.all([
      this.db.prisma.staff.findMany({ select: { id: true, wecomUserId: true, name: true, departmentId: true, roles: true, supervisorId: true, active: true, source: true } }),
      this.db.prisma.department.findMany({ select: { id: true, code: true, name: true, parentId: true, path: true, headId: true } }),
    ]);
    return { staff, departments };
  }

  async applyDirectoryChanges(changes: DirectoryChanges): Promise<void> {
    await this.db.prisma.$transaction(async (tx) => {
      for (const d of changes.createDepartments ?? []) await tx.department.create({ data: { id: d.id, code: d.code, name: d.name, parentId: d.parentId, path: d.path } });
      for (const { id, ...data } of changes.updateDepartments ?? []) await tx.department.update({ where: { id }, data });
      for (const w of changes.writeStaff ?? []) {
        if (w.create) {
          const { create: _create, ...data } = w;
          await tx.staff.create({ data });
        } else {
          const { create: _create, id, ...data } = w;
          await tx.staff.update({ where: { id }, data });
        }
      }
      for (const s of changes.supervisors ?? []) await tx.staff.update({ where: { id: s.staffId }, data: { supervisorId: s.supervisorId } });
      // headId is unique: a member moving to head another department stops heading the old one first.
      for (const h of changes.heads ?? []) {
        if (h.headId) await tx.department.updateMany({ where: { headId: h.headId, NOT: { id: h.departmentId } }, data: { headId: null } });
        await tx.department.update({ where: { id: h.departmentId }, data: { headId: h.headId } });
      }
      const deactivate = changes.deactivate;
      for (let i = 0; deactivate && i < deactivate.ids.length; i += BATCH) {
        const ids = deactivate.ids.slice(i, i + BATCH);
        await tx.staff.updateMany({ where: { id: { in: ids }, ...(deactivate.source ? { source: deactivate.source } : {}) }, data: { active: false } });
      }
      const touched = changes.touchSynced;
      for (let i = 0; touched && i < touched.ids.length; i += BATCH) {
        await tx.staff.updateMany({ where: { id: { in: touched.ids.slice(i, i + BATCH) } }, data: { syncedAt: touched.at } });
      }
    }, DIRECTORY_TX);
    this.onChange();
  }
}
