/**
 * `huifang staff sync-wecom`: departments and members from the WeCom contact list (通讯录) of the
 * application's visible range (可见范围), through `department/list` and `user/list` (or, when the
 * application may not call `user/list`, `user/list_id` + `user/get`).
 *
 * Guarantees:
 * - Departments are keyed by code `wecom:<department id>`, members by `wecomUserId`; a second run
 *   with nothing changed in WeCom writes nothing but `syncedAt`.
 * - Rows it creates carry `source = 'wecom'`. Members with `source = 'wecom'` that WeCom no longer
 *   lists (or lists as disabled or gone) are deactivated; members from an import
 *   (`source = 'import'`) are never changed, whatever WeCom says.
 * - Roles are Huifang's own (WeCom has none): the sync never changes them. Set them with
 *   `huifang import staff` (a file of `wecom_user_id,roles` rows is enough).
 * - WeCom's 直属上级 (`direct_leader`) sets the supervisor and 部门负责人 (`department_leader`) the
 *   department head when WeCom gives them; otherwise what was set locally stays.
 * - A listing with no members at all deactivates nobody (an application that lost its visibility
 *   must not empty the organisation); it is an error naming the setting to fix.
 */
import type { StaffDirectory } from '../core/ports/staff-directory.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import { ChannelError } from '../core/errors.js';
import type { WecomDepartment, WecomMember } from '../channels/wecom/wecom-client.js';

/** What the sync needs from WeCom: the contact methods of `WecomClient`. */
export interface WecomContactSource {
  listDepartments(): Promise<WecomDepartment[]>;
  listDepartmentMembers(departmentId: number): Promise<WecomMember[]>;
  listMemberIds(cursor?: string, limit?: number): Promise<{ members: { userid: string; department: number }[]; nextCursor: string }>;
  getMember(userid: string): Promise<WecomMember>;
}

export interface SyncWecomContactsDeps {
  directory: StaffDirectory;
  wecom: WecomContactSource;
  clock: Clock;
  ids: IdGenerator;
}

export interface SyncWecomContactsSummary {
  departmentsSeen: number;
  departmentsCreated: number;
  departmentsUpdated: number;
  membersSeen: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  /** Members WeCom lists that exist as imported rows (left alone). */
  keptImported: number;
  /** `user/list` or `user/list_id+user/get`. */
  listing: 'user/list' | 'user/list_id';
  dryRun: boolean;
  /** Things skipped, for the operator (a supervisor loop, a member heading two departments). */
  notices: string[];
}

/** WeCom refused to show the contact list; the message says which setting to change. */
export class WecomContactAccessError extends Error {
  override readonly name = 'WecomContactAccessError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const WECOM_DEPARTMENT_CODE_PREFIX = 'wecom:';
const ACTIVE_STATUSES = new Set([1, 4]);

/** Synchronises departments and members from WeCom (see the module comment). */
export async function syncWecomContacts(deps: SyncWecomContactsDeps, options: { dryRun?: boolean } = {}): Promise<SyncWecomContactsSummary> {
  const now = deps.clock.now();
  const summary: SyncWecomContactsSummary = {
    departmentsSeen: 0,
    departmentsCreated: 0,
    departmentsUpdated: 0,
    membersSeen: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    deactivated: 0,
    keptImported: 0,
    listing: 'user/list',
    dryRun: options.dryRun ?? false,
    notices: [],
  };

  // ---- read WeCom
  const wecomDepartments = await readWecom('department/list', () => deps.wecom.listDepartments());
  if (wecomDepartments.length === 0) {
    throw new WecomContactAccessError(
      'WeCom lists no department for this application: grant the app visibility of the departments to sync ' +
        '(WeCom admin console → 应用管理 → the app → 可见范围); nothing was changed',
    );
  }
  summary.departmentsSeen = wecomDepartments.length;
  const members = new Map<string, WecomMember>();
  try {
    for (const d of wecomDepartments) {
      for (const m of await deps.wecom.listDepartmentMembers(d.id)) mergeMember(members, m);
    }
  } catch (err) {
    if (!(err instanceof ChannelError && err.providerCode === '48002')) throw accessError('user/list', err);
    // Not allowed to list members with details: list the ids, then read each member.
    summary.listing = 'user/list_id';
    members.clear();
    let cursor: string | undefined;
    const userids = new Set<string>();
    do {
      const page = await readWecom('user/list_id', () => deps.wecom.listMemberIds(cursor));
      for (const p of page.members) userids.add(p.userid);
      cursor = page.nextCursor || undefined;
    } while (cursor);
    for (const userid of userids) mergeMember(members, await readWecom('user/get', () => deps.wecom.getMember(userid)));
  }
  summary.membersSeen = members.size;
  if (members.size === 0) {
    throw new WecomContactAccessError(
      'WeCom lists no member for this application: grant the app visibility of the members to sync ' +
        '(WeCom admin console → 应用管理 → the app → 可见范围); nobody was deactivated',
    );
  }

  // ---- departments: plan creations and updates, parents first
  const directory = await deps.directory.readDirectory();
  const existingDepartments = directory.departments;
  const deptByCode = new Map(existingDepartments.map((d) => [d.code, d]));
  const deptById = new Map(existingDepartments.map((d) => [d.id, { ...d }]));
  const wecomIds = new Set(wecomDepartments.map((d) => d.id));
  const idOfWecomDept = new Map<number, string>();
  for (const d of wecomDepartments) idOfWecomDept.set(d.id, deptByCode.get(code(d.id))?.id ?? deps.ids.next());
  const deptWrites: { id: string; create: boolean; data: { code: string; name: string; parentId: string | null } }[] = [];
  for (const d of wecomDepartments) {
    const id = idOfWecomDept.get(d.id)!;
    // The top of the visible range has no visible parent: it becomes a top-level department.
    const parentId = wecomIds.has(d.parentId) ? idOfWecomDept.get(d.parentId)! : null;
    const current = deptByCode.get(code(d.id));
    const data = { code: code(d.id), name: d.name, parentId };
    if (!current) {
      deptWrites.push({ id, create: true, data });
      deptById.set(id, { id, ...data, path: '', headId: null });
      summary.departmentsCreated += 1;
    } else if (current.name !== d.name || current.parentId !== parentId) {
      deptWrites.push({ id, create: false, data });
      deptById.set(id, { ...current, ...data });
      summary.departmentsUpdated += 1;
    }
  }
  const paths = computePaths(deptById);
  for (const w of deptWrites) if (w.create) deptById.get(w.id)!.path = paths.get(w.id)!;

  // ---- members
  const existingStaff = directory.staff;
  const staffByKey = new Map(existingStaff.map((s) => [s.wecomUserId.toLowerCase(), s]));
  const staffById = new Map(existingStaff.map((s) => [s.id, s]));
  const idOfMember = new Map<string, string>();
  for (const [key] of members) idOfMember.set(key, staffByKey.get(key)?.id ?? deps.ids.next());
  const staffWrites: { id: string; create: boolean; data: { wecomUserId: string; name: string; departmentId: string; active: boolean } }[] = [];
  const seen: string[] = [];
  for (const [key, m] of members) {
    const current = staffByKey.get(key);
    if (current && current.source !== 'wecom') {
      summary.keptImported += 1;
      continue;
    }
    const visible = m.departments.filter((id) => wecomIds.has(id));
    const main = m.mainDepartment !== null && wecomIds.has(m.mainDepartment) ? m.mainDepartment : visible[0];
    if (main === undefined) {
      summary.notices.push(`${m.userid}: in no visible department; skipped`);
      continue;
    }
    const id = idOfMember.get(key)!;
    seen.push(id);
    const data = { wecomUserId: m.userid, name: m.name, departmentId: idOfWecomDept.get(main)!, active: ACTIVE_STATUSES.has(m.status) };
    if (!current) {
      staffWrites.push({ id, create: true, data });
      summary.created += 1;
    } else if (current.name !== data.name || current.departmentId !== data.departmentId || current.active !== data.active) {
      staffWrites.push({ id, create: false, data });
      summary.updated += 1;
    } else summary.unchanged += 1;
  }

  // Supervisors from direct_leader, unless that would make a loop.
  const supervisor = new Map<string, string | null>(existingStaff.map((s) => [s.id, s.supervisorId]));
  const supervisorWrites: { id: string; supervisorId: string }[] = [];
  for (const [key, m] of members) {
    const id = idOfMember.get(key)!;
    if (staffByKey.get(key) && staffByKey.get(key)!.source !== 'wecom') continue;
    const leader = m.directLeaders.map((u) => u.toLowerCase()).find((u) => idOfMember.has(u) || staffByKey.has(u));
    if (!leader) continue;
    const leaderId = idOfMember.get(leader) ?? staffByKey.get(leader)!.id;
    if ((supervisor.get(id) ?? null) === leaderId) continue;
    if (leadsBackTo(supervisor, leaderId, id)) {
      summary.notices.push(`${m.userid}: direct leader ${leader} would close a supervisor loop; supervisor left unchanged`);
      continue;
    }
    supervisor.set(id, leaderId);
    supervisorWrites.push({ id, supervisorId: leaderId });
    if (staffByKey.has(key) && !staffWrites.some((w) => w.id === id)) {
      summary.updated += 1;
      summary.unchanged -= 1;
    }
  }

  // Department heads from department_leader (one department per head: headId is unique).
  const headWrites: { departmentId: string; headId: string }[] = [];
  const heading = new Map<string, string>();
  for (const d of existingDepartments) if (d.headId) heading.set(d.headId, d.id);
  for (const d of wecomDepartments) {
    const deptId = idOfWecomDept.get(d.id)!;
    const leader = d.leaders.map((u) => u.toLowerCase()).find((u) => idOfMember.has(u) || staffByKey.has(u));
    if (!leader) continue;
    const headId = idOfMember.get(leader) ?? staffByKey.get(leader)!.id;
    if (deptById.get(deptId)?.headId === headId) continue;
    const other = heading.get(headId);
    if (other && other !== deptId && headWrites.some((w) => w.headId === headId)) {
      summary.notices.push(`${leader} leads several departments in WeCom; head of ${deptById.get(other)?.name ?? other} only`);
      continue;
    }
    heading.set(headId, deptId);
    headWrites.push({ departmentId: deptId, headId });
  }

  const seenIds = new Set(seen);
  const toDeactivate = existingStaff.filter((s) => s.source === 'wecom' && s.active && !seenIds.has(s.id));
  summary.deactivated = toDeactivate.length + staffWrites.filter((w) => !w.create && !w.data.active && staffById.get(w.id)?.active).length;
  if (options.dryRun) return summary;

  // ---- write
  // One transaction: a sync that fails part-way changes nothing.
  const ordered = [...deptWrites].sort((a, b) => (paths.get(a.id)?.length ?? 0) - (paths.get(b.id)?.length ?? 0));
  const unchangedSeen = seen.filter((id) => !staffWrites.some((w) => w.id === id));
  await deps.directory.applyDirectoryChanges({
    // New departments first without a parent (a parent may be new too), then every written one linked.
    createDepartments: ordered.filter((w) => w.create).map((w) => ({ id: w.id, code: w.data.code, name: w.data.name, parentId: null, path: paths.get(w.id)! })),
    updateDepartments: [
      ...ordered.map((w) => ({ id: w.id, name: w.data.name, parentId: w.data.parentId })),
      ...[...deptById.values()].filter((d) => d.path !== paths.get(d.id)).map((d) => ({ id: d.id, path: paths.get(d.id)! })),
    ],
    writeStaff: staffWrites.map((w) =>
      w.create
        ? { create: true as const, id: w.id, ...w.data, roles: '', source: 'wecom', syncedAt: now }
        : { create: false as const, id: w.id, name: w.data.name, departmentId: w.data.departmentId, active: w.data.active, syncedAt: now },
    ),
    supervisors: supervisorWrites.map((w) => ({ staffId: w.id, supervisorId: w.supervisorId })),
    heads: headWrites,
    touchSynced: { ids: unchangedSeen, at: now },
    deactivate: { ids: toDeactivate.map((s) => s.id), source: 'wecom' },
  });
  return summary;
}

function code(wecomDepartmentId: number): string {
  return `${WECOM_DEPARTMENT_CODE_PREFIX}${wecomDepartmentId}`;
}

function mergeMember(members: Map<string, WecomMember>, m: WecomMember): void {
  const key = m.userid.toLowerCase();
  const known = members.get(key);
  if (!known) members.set(key, { ...m, departments: [...m.departments] });
  else for (const d of m.departments) if (!known.departments.includes(d)) known.departments.push(d);
}

/** True when following supervisors up from `from` reaches `target` (so `target → from` would be a loop). */
function leadsBackTo(supervisor: Map<string, string | null>, from: string, target: string): boolean {
  const visited = new Set<string>();
  for (let at: string | null | undefined = from; at; at = supervisor.get(at)) {
    if (at === target) return true;
    if (visited.has(at)) return false;
    visited.add(at);
  }
  return false;
}

/** Materialised paths (`/rootId/childId/`) of every department from the parent links. */
function computePaths(departments: Map<string, { id: string; parentId: string | null }>): Map<string, string> {
  const paths = new Map<string, string>();
  const pathOf = (id: string, depth: number): string => {
    const known = paths.get(id);
    if (known) return known;
    const d = departments.get(id);
    const parent = d?.parentId && depth < 100 && departments.has(d.parentId) ? pathOf(d.parentId, depth + 1) : '/';
    const path = `${parent}${id}/`;
    paths.set(id, path);
    return path;
  };
  for (const id of departments.keys()) pathOf(id, 0);
  return paths;
}

async function readWecom<T>(api: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw accessError(api, err);
  }
}

/** Turns WeCom's refusals into operator errors naming the setting; other errors pass unchanged. */
function accessError(api: string, err: unknown): unknown {
  if (!(err instanceof ChannelError) || err.kind !== 'auth') return err;
  const hint =
    err.providerCode === '60011'
      ? 'grant the app visibility of the departments and members to sync (WeCom admin console → 应用管理 → the app → 可见范围; the top department syncs everyone)'
      : err.providerCode === '48002'
        ? `the app may not call ${api}; give it access to the contact list (通讯录) or use the contact-sync secret`
        : 'fix the WeCom configuration as the error says';
  return new WecomContactAccessError(`WeCom refused ${api} (errcode ${err.providerCode}): ${hint}. ${err.message}`, { cause: err });
}
