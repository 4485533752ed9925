import type { NewAuditEntry } from '../core/records.js';
import type { AuditLog } from '../core/ports/audit.js';
import type { StoreContext } from './store-context.js';
import { auditData } from './writes.js';

/** `AuditLog` over Prisma: entries on their own (those that commit with a change go through bot/db/writes.ts). */
export class PrismaAuditLog implements AuditLog {
  constructor(private readonly db: StoreContext) {}

  async record(entry: NewAuditEntry): Promise<void> {
    await this.db.prisma.auditLog.create({ data: auditData(this.db.ids, entry) });
  }
}
