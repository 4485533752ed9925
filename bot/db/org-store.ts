import type { OrgStore } from '../core/ports/org.js';
import type { OrgSnapshot } from '../core/model.js';
import { parseRoles } from '../core/model.js';
import type { StoreContext } from './store-context.js';
import { fixedSql } from './fixed-sql.js';
import type { DbClient } from './client.js';
import { CallBatcher } from './call-batcher.js';
import { typedValues } from './typed-values.js';

type StaffByWecomUserId = { id: string; name: string; active: boolean };

/**
 * `OrgStore` over Prisma. The snapshot is cached for a moment ({@link PrismaOrgStore} `orgCacheMs`,
 * 2 s by default): assignment reads it for every follow-up of a batch.
 */
/** The organisation in `db` as it is now (for commands that only read it). */
export function readOrgSnapshot(db: DbClient): Promise<OrgSnapshot> {
  return new PrismaOrgStore({ prisma: db.prisma, capabilities: db.capabilities, ids: { next: () => '' } }, { orgCacheMs: 0 }).loadOrgSnapshot();
}

export class PrismaOrgStore implements OrgStore {
  #org: { snapshot: OrgSnapshot; loadedAt: number } | null = null;

  readonly #staffLookups: CallBatcher<string, StaffByWecomUserId | null>;

  constructor(
    private readonly db: StoreContext,
    private readonly options: { orgCacheMs?: number } = {},
  ) {
    this.#staffLookups = new CallBatcher((wecomUserIds) => this.findStaffByWecomUserIds(wecomUserIds));
  }

  async loadOrgSnapshot(): Promise<OrgSnapshot> {
    const ttl = this.options.orgCacheMs ?? 2_000;
    // The cache age is measured on the process's monotonic clock: an adapter concern, not domain time.
    if (this.#org && performance.now() - this.#org.loadedAt < ttl) return this.#org.snapshot;
    const [staff, departments] = await Promise.all([this.db.prisma.staff.findMany(), this.db.prisma.department.findMany()]);
    const snapshot: OrgSnapshot = {
      staff: new Map(
        staff.map((s) => [
          s.id,
          { id: s.id, wecomUserId: s.wecomUserId, name: s.name, departmentId: s.departmentId, roles: parseRoles(s.roles), supervisorId: s.supervisorId, active: s.active },
        ]),
      ),
      departments: new Map(departments.map((d) => [d.id, { id: d.id, code: d.code, name: d.name, parentId: d.parentId, headId: d.headId }])),
    };
    this.#org = { snapshot, loadedAt: performance.now() };
    return snapshot;
  }

  /** Drops the cached organisation (after staff or department changes). */
  invalidateOrgCache(): void {
    this.#org = null;
  }

  /**
   * Fixed SQL on the driver adapter (bot/db/fixed-sql.ts): every WeCom callback from a member looks them up. The
   * look-ups of events handled at once are one statement ({@link findStaffByWecomUserIds}); each call gets its own answer.
   */
  findStaffByWecomUserId(wecomUserId: string): Promise<StaffByWecomUserId | null> {
    return this.#staffLookups.run(wecomUserId);
  }

  /** The members with these WeCom UserIDs, in the order asked (null for an id no member has). */
  async findStaffByWecomUserIds(wecomUserIds: readonly string[]): Promise<(StaffByWecomUserId | null)[]> {
    const values = typedValues(this.db.capabilities, ['text'], [...new Set(wecomUserIds)].map((u) => [u]));
    const rows = await fixedSql(this.db).query<{ id: string; name: string; active: unknown; wecomUserId: string }>(
      `WITH q (u) AS (${values.text}) SELECT s."id", s."name", s."active", s."wecomUserId" FROM "Staff" AS s JOIN q ON s."wecomUserId" = q.u`,
      values.params,
    );
    // PostgreSQL answers a boolean; SQLite keeps 0 or 1, which its adapter hands over as the text '0' or '1'.
    const found = new Map(rows.map((row) => [row.wecomUserId, { id: row.id, name: row.name, active: Number(row.active) === 1 }]));
    return wecomUserIds.map((u) => found.get(u) ?? null);
  }
}
