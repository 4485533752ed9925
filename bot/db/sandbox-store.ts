import type { SandboxState, SandboxViews } from '../core/ports/read-models.js';
import type { StoreContext } from './store-context.js';

/**
 * What the sandbox page reads of the sandbox's deliveries (`SandboxDelivery`, written with each message's SENT
 * outcome by bot/db/outbox-store.ts): each staff member's WeCom inbox and each customer's phone. Customers
 * appear with masked phones only.
 */
export class PrismaSandboxStore implements SandboxViews {
  constructor(private readonly db: StoreContext) {}

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
