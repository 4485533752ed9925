import type { OrgSnapshot } from '../model.js';

/** The organisation (staff and departments) as assignment, routing and scoping read it. */
export interface OrgStore {
  /** The organisation as assignee resolution sees it; may be cached briefly by the adapter. */
  loadOrgSnapshot(): Promise<OrgSnapshot>;
  /** Drops a cached snapshot, so the next read sees staff or department changes made meanwhile. */
  invalidateOrgCache(): void;
  findStaffByWecomUserId(wecomUserId: string): Promise<{ id: string; name: string; active: boolean } | null>;
}
