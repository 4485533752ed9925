import type { SandboxDelivery, SandboxDeliveryLog } from '../channels/sandbox/sandbox-channel.js';
import type { SandboxState, SandboxViews } from '../core/ports/read-models.js';
import type { StoreContext } from './store-context.js';
import { CallBatcher } from './call-batcher.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { typedValues } from './typed-values.js';

/**
 * The sandbox's deliveries (`SandboxDelivery`) and what the sandbox page reads: each staff member's
 * WeCom inbox and each customer's phone. Customers appear with masked phones only.
 */
export class PrismaSandboxStore implements SandboxDeliveryLog, SandboxViews {
  private readonly sql: FixedSql;
  private readonly deliveries: CallBatcher<SandboxDelivery, string>;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
    this.deliveries = new CallBatcher(
      (deliveries) => this.recordDeliveries(deliveries),
      async (delivery) => (await this.recordDeliveries([delivery]))[0]!,
    );
  }

  /** Deliveries of concurrent sends are recorded together (one multi-row INSERT; bot/db/call-batcher.ts). */
  async recordDelivery(delivery: SandboxDelivery): Promise<string> {
    return this.deliveries.run(delivery);
  }

  /**
   * Records each delivery unless its outbox message was delivered before (in this batch or earlier), and
   * returns the id of each message's delivery, in order. The INSERT is one statement, all or nothing.
   */
  async recordDeliveries(deliveries: readonly SandboxDelivery[]): Promise<string[]> {
    const ids: string[] = deliveries.map(() => this.db.ids.next());
    // PostgreSQL: one array per column (`unnest`), the same text for any number of rows, and the contents as
    // one JSON array of their texts as they are (bot/db/typed-values.ts).
    const values = typedValues(
      this.db.capabilities,
      ['text', 'text', 'text', 'text', 'text', 'json', 'timestamp'],
      deliveries.map((d, i) => [ids[i], d.channel, d.address, d.outboxMessageId, d.kind, d.content, d.deliveredAt]),
    );
    const inserted = await this.sql.query<{ id: string; outboxMessageId: string }>(
      `INSERT INTO "SandboxDelivery" ("id", "channel", "address", "outboxMessageId", "kind", "content", "deliveredAt") ${values.text} ` +
        'ON CONFLICT ("outboxMessageId") DO NOTHING RETURNING "id", "outboxMessageId"',
      values.params,
    );
    const delivered = new Map(inserted.map((r) => [r.outboxMessageId, r.id]));
    const missing = [...new Set(deliveries.map((d) => d.outboxMessageId).filter((m) => !delivered.has(m)))];
    if (missing.length > 0) {
      const existing = await this.sql.query<{ id: string; outboxMessageId: string }>(
        `SELECT "id", "outboxMessageId" FROM "SandboxDelivery" WHERE "outboxMessageId" IN (${missing.map(() => '?').join(', ')})`,
        missing,
      );
      for (const r of existing) delivered.set(r.outboxMessageId, r.id);
    }
    return deliveries.map((d) => {
      const id = delivered.get(d.outboxMessageId);
      if (id === undefined) throw this.sql.knownError(`No SandboxDelivery found for outbox message ${d.outboxMessageId}`, 'P2025');
      return id;
    });
  }

  async sandboxState(options: { perInbox?: number } = {}): Promise<SandboxState> {
    const prisma = this.db.prisma;
    const perInbox = options.perInbox ?? 30;
    const [staff, customers, deliveries] = await Promise.all([
      prisma.staff.findMany({ where: { active: true }, include: { department: { select: { name: true } } }, orderBy: { name: 'asc' } }),
      prisma.customer.findMany({ where: { phoneE164: { not: null } }, orderBy: { name: 'asc' }, take: 200 }),
      prisma.sandboxDelivery.findMany({ orderBy: { deliveredAt: 'desc' }, take: 1000 }),
    ]);
    const byAddress = new Map<string, typeof deliveries>();
    for (const d of deliveries) {
      const key = `${d.channel}:${d.address}`;
      const list = byAddress.get(key) ?? [];
      if (list.length < perInbox) list.push(d);
      byAddress.set(key, list);
    }
    const view = (d: (typeof deliveries)[number]) => ({ id: d.id, kind: d.kind, deliveredAt: d.deliveredAt.toISOString(), content: JSON.parse(d.content) as unknown });
    return {
      staff: staff.map((s) => ({
        wecomUserId: s.wecomUserId,
        name: s.name,
        department: s.department.name,
        roles: s.roles,
        messages: (byAddress.get(`wecom:${s.wecomUserId}`) ?? []).map(view),
      })),
      customers: customers.map((c) => ({
        id: c.id,
        name: c.name,
        phone: c.phoneMasked,
        optedOut: c.optedOutAt !== null,
        messages: (byAddress.get(`sms:${c.phoneE164}`) ?? []).map((d) => {
          const v = view(d);
          return { ...v, content: maskSandboxContent(v.content) };
        }),
      })),
    };
  }

  async customerPhone(customerId: string): Promise<string | null> {
    const customer = await this.db.prisma.customer.findUnique({ where: { id: customerId }, select: { phoneE164: true } });
    return customer?.phoneE164 ?? null;
  }

  async countCasesOfType(type: string): Promise<number> {
    return this.db.prisma.case.count({ where: { type } });
  }

  async deliveriesSince(since: Date, kinds: readonly string[]): Promise<{ id: string; content: unknown }[]> {
    const rows = await this.db.prisma.sandboxDelivery.findMany({ where: { deliveredAt: { gte: since }, kind: { in: [...kinds] } }, orderBy: { deliveredAt: 'asc' } });
    return rows.map((r) => ({ id: r.id, content: JSON.parse(r.content) as unknown }));
  }
}

/** Sandbox pages never show the full phone number the SMS was addressed to. */
function maskSandboxContent(content: unknown): unknown {
  if (content && typeof content === 'object' && 'to' in content) {
    const { to, ...rest } = content as { to: Record<string, unknown> };
    const { phoneE164: _phone, ...toRest } = to;
    return { ...rest, to: toRest };
  }
  return content;
}
