import type { SandboxMessageView, SandboxState, SandboxViews } from '../core/ports/read-models.js';
import type { MemoryState, SandboxDeliveryRow } from './memory-state.js';

/**
 * The sandbox's deliveries and what the sandbox page reads (as bot/db/sandbox-store.ts): each staff
 * member's WeCom inbox and each customer's phone, customers with masked phones only.
 */
export class MemorySandboxStore implements SandboxViews {
  constructor(private readonly state: MemoryState) {}

  async sandboxState(options: { perInbox?: number } = {}): Promise<SandboxState> {
    const perInbox = options.perInbox ?? 30;
    return this.state.transact((tx) => {
      const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      const staff = tx.staff.filter((s) => s.active).sort(byName);
      const customers = tx.customer
        .filter((c) => c.phoneE164 !== null)
        .sort(byName)
        .slice(0, 200);
      const deliveries = tx.sandboxDelivery
        .filter(() => true)
        .sort((a, b) => b.deliveredAt.getTime() - a.deliveredAt.getTime())
        .slice(0, 1000);
      const byAddress = new Map<string, SandboxDeliveryRow[]>();
      for (const d of deliveries) {
        const key = `${d.channel}:${d.address}`;
        const list = byAddress.get(key) ?? [];
        if (list.length < perInbox) list.push(d);
        byAddress.set(key, list);
      }
      const view = (d: SandboxDeliveryRow): SandboxMessageView => ({ id: d.id, kind: d.kind, deliveredAt: d.deliveredAt.toISOString(), content: JSON.parse(d.content) as unknown });
      return {
        staff: staff.map((s) => ({
          wecomUserId: s.wecomUserId,
          name: s.name,
          department: tx.department.get(s.departmentId)!.name,
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
    });
  }

  async customerPhone(customerId: string): Promise<string | null> {
    return this.state.transact((tx) => tx.customer.get(customerId)?.phoneE164 ?? null);
  }

  async countCasesOfType(type: string): Promise<number> {
    return this.state.transact((tx) => tx.case.count((c) => c.type === type));
  }

  async deliveriesSince(since: Date, kinds: readonly string[]): Promise<{ id: string; content: unknown }[]> {
    return this.state.transact((tx) =>
      tx.sandboxDelivery
        .filter((d) => d.deliveredAt >= since && kinds.includes(d.kind))
        .sort((a, b) => a.deliveredAt.getTime() - b.deliveredAt.getTime())
        .map((d) => ({ id: d.id, content: JSON.parse(d.content) as unknown })),
    );
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
