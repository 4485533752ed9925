import type { PrismaClient } from './client.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { DigestRecipient } from '../core/ports/digests.js';
import { MANAGER_ROLES } from '../core/digests/send-weekly-digests.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation } from './rows.js';
import { insertOutbox } from './writes.js';

/**
 * Everyone who receives the weekly digest and the monthly report: active department heads (for the
 * department they head) and active staff holding a role in `MANAGER_ROLES` (for the department they head,
 * else their own department). Ordered by name, then id, so runs are deterministic. Those who are also
 * console administrators are marked `administrator`.
 */
export async function listManagerRecipients(prisma: PrismaClient): Promise<DigestRecipient[]> {
  const [heads, roleHolders] = await Promise.all([
    prisma.department.findMany({
      where: { headId: { not: null }, head: { active: true } },
      select: { id: true, head: { select: { id: true, wecomUserId: true, name: true } } },
    }),
    prisma.staff.findMany({
      where: { active: true, OR: MANAGER_ROLES.map((role) => ({ roles: { contains: role } })) },
      select: { id: true, wecomUserId: true, name: true, roles: true, departmentId: true },
    }),
  ]);
  const byStaff = new Map<string, DigestRecipient>();
  for (const d of heads) {
    if (!d.head) continue;
    byStaff.set(d.head.id, { staffId: d.head.id, wecomUserId: d.head.wecomUserId, name: d.head.name, rootDepartmentId: d.id, basis: 'head' });
  }
  for (const s of roleHolders) {
    // `contains` is a prefilter; the roles field is a comma-separated list of exact names.
    const roles = s.roles.split(',').map((r) => r.trim());
    if (byStaff.has(s.id) || !roles.some((r) => MANAGER_ROLES.includes(r))) continue;
    byStaff.set(s.id, { staffId: s.id, wecomUserId: s.wecomUserId, name: s.name, rootDepartmentId: s.departmentId, basis: 'role' });
  }
  // Administrators are few; all of them are read (an IN list of every manager could exceed SQLite's parameter limit).
  const admins = await prisma.consoleUser.findMany({ where: { role: 'admin', active: true, staffId: { not: null } }, select: { staffId: true } });
  for (const a of admins) {
    const r = a.staffId ? byStaff.get(a.staffId) : undefined;
    if (r) r.administrator = true;
  }
  return [...byStaff.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN') || a.staffId.localeCompare(b.staffId));
}

/**
 * What the digest and report stores share: which manager messages already exist, and enqueueing one
 * exactly once (the outbox key is unique; a replica that inserted it first wins).
 */
export class ManagerMessageOutbox {
  constructor(protected readonly db: StoreContext) {}

  async existingOutboxKeys(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    // In slices: one IN list of a thousand keys would exceed SQLite's bound-parameter limit.
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db.prisma.outboxMessage.findMany({ where: { idempotencyKey: { in: keys.slice(i, i + 500) } }, select: { idempotencyKey: true } });
      for (const r of rows) found.add(r.idempotencyKey);
    }
    return found;
  }

  async enqueueEachOnce(messages: readonly NewOutboxMessage[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (let i = 0; i < messages.length; i += 200) {
      const chunk = messages.slice(i, i + 200);
      const keys = chunk.map((m) => m.idempotencyKey);
      // Ours are the rows that carry an id this call generated: whichever replica's insert won a key,
      // only its own row has its id, so a key is never counted by two callers.
      const mine = new Set<string>();
      const ids = {
        next: () => {
          const id = this.db.ids.next();
          mine.add(id);
          return id;
        },
      };
      try {
        await this.db.prisma.$transaction(async (tx) => {
          const existing = new Set((await tx.outboxMessage.findMany({ where: { idempotencyKey: { in: keys } }, select: { idempotencyKey: true } })).map((r) => r.idempotencyKey));
          await insertOutbox(tx, ids, chunk.filter((m) => !existing.has(m.idempotencyKey)), undefined, this.db.capabilities);
        }, TX_OPTIONS);
      } catch (error) {
        // Another replica inserted one of the keys meanwhile: the chunk rolled back; one by one.
        if (!isUniqueViolation(error)) throw error;
        mine.clear();
        for (const m of chunk) {
          try {
            await this.db.prisma.$transaction((tx) => insertOutbox(tx, ids, [m]), TX_OPTIONS);
          } catch (inner) {
            if (!isUniqueViolation(inner)) throw inner;
          }
        }
      }
      const rows = await this.db.prisma.outboxMessage.findMany({ where: { idempotencyKey: { in: keys } }, select: { id: true, idempotencyKey: true } });
      for (const r of rows) if (mine.has(r.id)) inserted.add(r.idempotencyKey);
    }
    return inserted;
  }

  async enqueueOnce(message: NewOutboxMessage): Promise<boolean> {
    try {
      return (await this.db.prisma.$transaction((tx) => insertOutbox(tx, this.db.ids, [message]), TX_OPTIONS)) === 1;
    } catch (error) {
      // Another replica inserted the same key between our check and our insert.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}

