import type { IdGenerator } from '../core/clock.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { DigestRecipient } from '../core/ports/digests.js';
import { MANAGER_ROLES } from '../core/digests/send-weekly-digests.js';
import type { MemoryState, MemoryTx } from './memory-state.js';
import { insertOutbox } from './writes.js';

/**
 * Everyone who receives the weekly digest and the monthly report: active department heads (for the
 * department they head) and active staff holding a role in `MANAGER_ROLES` (for their own department),
 * ordered by name, then id (as bot/db/manager-messages.ts).
 */
export function listManagerRecipients(tx: MemoryTx): DigestRecipient[] {
  const byStaff = new Map<string, DigestRecipient>();
  for (const d of tx.department.filter((d) => d.headId !== null)) {
    const head = tx.staff.get(d.headId!);
    if (!head?.active) continue;
    byStaff.set(head.id, { staffId: head.id, wecomUserId: head.wecomUserId, name: head.name, rootDepartmentId: d.id, basis: 'head' });
  }
  for (const s of tx.staff.filter((s) => s.active)) {
    const roles = s.roles.split(',').map((r) => r.trim());
    if (byStaff.has(s.id) || !roles.some((r) => MANAGER_ROLES.includes(r))) continue;
    byStaff.set(s.id, { staffId: s.id, wecomUserId: s.wecomUserId, name: s.name, rootDepartmentId: s.departmentId, basis: 'role' });
  }
  return [...byStaff.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN') || a.staffId.localeCompare(b.staffId));
}

/** What the digest and report stores share: which manager messages exist, and enqueueing one exactly once. */
export class MemoryManagerMessageOutbox {
  constructor(
    protected readonly state: MemoryState,
    protected readonly ids: IdGenerator,
  ) {}

  async existingOutboxKeys(keys: readonly string[]): Promise<Set<string>> {
    return this.state.transact((tx) => new Set(keys.filter((k) => tx.outbox.byUnique('idempotencyKey', k))));
  }

  async enqueueEachOnce(messages: readonly NewOutboxMessage[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (const m of messages) if (await this.enqueueOnce(m)) inserted.add(m.idempotencyKey);
    return inserted;
  }

  async enqueueOnce(message: NewOutboxMessage): Promise<boolean> {
    return this.state.transact((tx) => insertOutbox(tx, this.ids, [message]) === 1);
  }
}
