/** A staff member as the directory writers (staff import, WeCom contact sync) read them. */
export interface DirectoryStaff {
  id: string;
  wecomUserId: string;
  name: string;
  departmentId: string;
  /** Role names, comma-separated. */
  roles: string;
  supervisorId: string | null;
  active: boolean;
  /** Where the row came from: `import` (a staff file or the example organisation) or `wecom` (the contact sync). */
  source: string;
}

/** A department as the directory writers read them. */
export interface DirectoryDepartment {
  id: string;
  code: string;
  name: string;
  parentId: string | null;
  /** Materialised path of ids from the root: `/rootId/childId/`. */
  path: string;
  headId: string | null;
}

/**
 * Changes to the organisation, applied in one transaction and in this order: departments created
 * (parents first), departments updated, staff created or updated, supervisor links, department
 * heads (a head moving to another department stops heading the old one first), deactivations.
 */
export interface DirectoryChanges {
  createDepartments?: { id: string; code: string; name: string; parentId: string | null; path: string }[];
  updateDepartments?: { id: string; name?: string; parentId?: string | null; path?: string }[];
  /** `create` rows need every field; updates change only the fields given. */
  writeStaff?: (
    | { create: true; id: string; wecomUserId: string; name: string; departmentId: string; roles: string; active: boolean; source: string; syncedAt?: Date }
    | { create: false; id: string; name?: string; departmentId?: string; roles?: string; active?: boolean; syncedAt?: Date }
  )[];
  supervisors?: { staffId: string; supervisorId: string | null }[];
  heads?: { departmentId: string; headId: string | null }[];
  /** Deactivates these members, only where their `source` matches (when given). */
  deactivate?: { ids: string[]; source?: string };
  /** Marks these members as seen by the contact sync at `at` without other changes. */
  touchSynced?: { ids: string[]; at: Date };
}

/**
 * The one port through which staff and departments are written: the staff file import, the WeCom
 * contact sync and the example organisation all go through it. Readers go through `OrgStore`.
 */
export interface StaffDirectory {
  /** Every staff member and department, active or not. */
  readDirectory(): Promise<{ staff: DirectoryStaff[]; departments: DirectoryDepartment[] }>;
  /** Applies the changes atomically: a failure part-way changes nothing. */
  applyDirectoryChanges(changes: DirectoryChanges): Promise<void>;
}
