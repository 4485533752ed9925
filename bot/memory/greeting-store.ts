import type { IdGenerator } from '../core/clock.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { GreetingCustomerQuery, GreetingRow, GreetingRowWithOutbox, GreetingStore } from '../core/ports/greetings.js';
import type { ExistingGreeting, NewGreetingRow } from '../core/greetings/plan-greetings.js';
import type { GreetingCustomer } from '../core/greetings/eligibility.js';
import { UniqueConstraintError, type CustomerRow, type GreetingDeliveryRow, type MemoryState, type MemoryTx } from './memory-state.js';
import { compareIds, parseJson } from './rows.js';
import { insertOutbox } from './writes.js';
import { storedBirthdaysOn } from '../core/greetings/occasions.js';

const copy = (d: Date | null): Date | null => (d ? new Date(d.getTime()) : null);

function toGreetingCustomer(row: CustomerRow, openCaseTypes: readonly string[]): GreetingCustomer {
  const tags = parseJson<unknown>(row.tags, []);
  return {
    id: row.id,
    name: row.name,
    salutation: row.salutation,
    phoneE164: row.phoneE164,
    phoneMasked: row.phoneMasked,
    wechatOpenId: row.wechatOpenId,
    wecomExternalId: row.wecomExternalId,
    wecomFollowUserId: row.wecomFollowUserId,
    consentMarketing: row.consentMarketing,
    consentSurvey: row.consentSurvey,
    optedOutAt: copy(row.optedOutAt),
    deceasedAt: copy(row.deceasedAt),
    phoneInvalidAt: copy(row.phoneInvalidAt),
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
    birthday: row.birthday,
    openCaseTypes,
  };
}

function toGreetingRow(r: GreetingDeliveryRow): GreetingRow {
  return {
    id: r.id,
    campaign: r.campaign,
    occasionKey: r.occasionKey,
    customerId: r.customerId,
    status: r.status,
    skipReason: r.skipReason,
    channel: r.channel,
    segment: r.segment,
    scheduledAt: new Date(r.scheduledAt.getTime()),
    outboxMessageId: r.outboxMessageId,
  };
}

/** `GreetingStore` in memory (`GreetingDelivery` rows and `GreetingPlanRun` marks). */
export class MemoryGreetingStore implements GreetingStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async claimPlanningRun(campaign: string, sendDate: string, now: Date, everyMs: number): Promise<{ previous: Date | null; coveredAt: Date | null } | null> {
    return this.state.transact((tx) => {
      const row = tx.greetingPlanRun.get(`${campaign}\u0000${sendDate}`);
      if (!row) {
        tx.greetingPlanRun.insert({ campaign, sendDate, plannedAt: now, coveredAt: null });
        return { previous: null, coveredAt: null };
      }
      const due = row.plannedAt > now || now.getTime() - row.plannedAt.getTime() >= everyMs;
      if (!due) return null;
      tx.greetingPlanRun.update(`${campaign}\u0000${sendDate}`, { plannedAt: now });
      return { previous: new Date(row.plannedAt.getTime()), coveredAt: copy(row.coveredAt) };
    });
  }

  async completePlanningRun(campaign: string, sendDate: string, claimedAt: Date): Promise<void> {
    this.state.transact((tx) => {
      const key = `${campaign}\u0000${sendDate}`;
      const row = tx.greetingPlanRun.get(key);
      if (row && (row.coveredAt === null || row.coveredAt < claimedAt)) tx.greetingPlanRun.update(key, { coveredAt: claimedAt });
    });
  }

  async releasePlanningRun(campaign: string, sendDate: string, claimedAt: Date, previous: Date | null): Promise<void> {
    this.state.transact((tx) => {
      const key = `${campaign}\u0000${sendDate}`;
      // Only this claim's mark is undone: another run's later claim stays.
      if (tx.greetingPlanRun.get(key)?.plannedAt.getTime() !== claimedAt.getTime()) return;
      if (previous === null) tx.greetingPlanRun.delete(key);
      else tx.greetingPlanRun.update(key, { plannedAt: previous });
    });
  }

  /**
   * Customers in id order. Memory rows keep no change times, so `changedSince` narrows nothing here (the
   * port allows more customers than asked); `birthdays` matches the stored forms, as in the Prisma store.
   */
  async listCustomers(query: GreetingCustomerQuery = {}): Promise<GreetingCustomer[]> {
    const stored = query.birthdays ? new Set(storedBirthdaysOn(query.birthdays)) : null;
    const born = (row: CustomerRow) => stored === null || (row.birthday !== null && stored.has(row.birthday));
    return this.state.transact((tx) => {
      const typesOf = new Map<string, string[]>();
      for (const c of tx.case.filter((c) => c.status === 'OPEN')) {
        const list = typesOf.get(c.customerId) ?? [];
        if (!list.includes(c.type)) list.push(c.type);
        typesOf.set(c.customerId, list);
      }
      return [...tx.customer.all()].filter(born).sort((a, b) => compareIds(a.id, b.id)).map((row) => toGreetingCustomer(row, typesOf.get(row.id) ?? []));
    });
  }

  async findCustomers(ids: readonly string[]): Promise<Map<string, GreetingCustomer>> {
    return this.state.transact((tx) => {
      const out = new Map<string, GreetingCustomer>();
      for (const id of ids) {
        const row = tx.customer.get(id);
        if (row) out.set(id, toGreetingCustomer(row, []));
      }
      return out;
    });
  }

  async findByOccasions(occasionKeys: readonly string[], customerIds?: readonly string[]): Promise<ExistingGreeting[]> {
    const only = customerIds ? new Set(customerIds) : null;
    return this.state.transact((tx) =>
      tx.greetingDelivery
        .filter((r) => occasionKeys.includes(r.occasionKey) && (only === null || only.has(r.customerId)))
        .map((r) => ({ occasionKey: r.occasionKey, customerId: r.customerId, campaign: r.campaign, status: r.status as ExistingGreeting['status'], skipReason: r.skipReason, channel: r.channel, segment: r.segment })),
    );
  }

  async insertRows(campaign: string, rows: readonly NewGreetingRow[], now: Date): Promise<{ planned: number; skipped: number }> {
    const inserted = { planned: 0, skipped: 0 };
    // One transaction per row, as the Prisma store's one statement per row: a row another planner
    // inserted first is skipped, the others go in.
    for (const r of rows) {
      try {
        this.state.transact((tx) => {
          tx.greetingDelivery.insert({
            id: this.ids.next(),
            campaign,
            occasionKey: r.occasionKey,
            customerId: r.customerId,
            status: r.status,
            skipReason: r.skipReason,
            channel: r.channel,
            segment: r.segment,
            scheduledAt: r.scheduledAt,
            createdAt: now,
          });
        });
        if (r.status === 'PLANNED') inserted.planned++;
        else inserted.skipped++;
      } catch (err) {
        if (!(err instanceof UniqueConstraintError)) throw err;
      }
    }
    return inserted;
  }

  async listDueUnqueued(dueBy: Date, limit: number): Promise<GreetingRow[]> {
    return this.state.transact((tx) => this.due(tx, dueBy, limit, false).map(toGreetingRow));
  }

  async listQueued(dueBy: Date, limit: number): Promise<GreetingRowWithOutbox[]> {
    return this.state.transact((tx) => this.due(tx, dueBy, limit, true).map((r) => withOutbox(tx, r)));
  }

  async listForReport(occasionKey: string, campaign: string | null): Promise<GreetingRowWithOutbox[]> {
    return this.state.transact((tx) =>
      tx.greetingDelivery
        .filter((r) => r.occasionKey === occasionKey && (campaign === null || r.campaign === campaign))
        .sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || compareIds(a.customerId, b.customerId))
        .map((r) => withOutbox(tx, r)),
    );
  }

  async listOccasionKeys(campaign: string): Promise<{ occasionKey: string; rows: number }[]> {
    return this.state.transact((tx) => {
      const groups = new Map<string, { rows: number; latest: number }>();
      for (const r of tx.greetingDelivery.filter((r) => r.campaign === campaign)) {
        const g = groups.get(r.occasionKey) ?? { rows: 0, latest: 0 };
        g.rows++;
        g.latest = Math.max(g.latest, r.scheduledAt.getTime());
        groups.set(r.occasionKey, g);
      }
      return [...groups].sort((a, b) => b[1].latest - a[1].latest).map(([occasionKey, g]) => ({ occasionKey, rows: g.rows }));
    });
  }

  async enqueue(row: GreetingRow, channel: string, message: NewOutboxMessage, now: Date): Promise<boolean> {
    return this.state.transact((tx) => {
      insertOutbox(tx, this.ids, [message], now);
      const outbox = tx.outbox.byUnique('idempotencyKey', message.idempotencyKey);
      if (!outbox) return false;
      return (
        tx.greetingDelivery.updateWhere((r) => r.id === row.id && r.status === 'PLANNED' && r.outboxMessageId === row.outboxMessageId, { outboxMessageId: outbox.id, channel }) === 1
      );
    });
  }

  async finish(row: GreetingRow, status: 'SENT' | 'SKIPPED' | 'FAILED', skipReason: string | null, _now: Date): Promise<boolean> {
    return this.state.transact((tx) => tx.greetingDelivery.updateWhere((r) => r.id === row.id && r.status === 'PLANNED' && r.outboxMessageId === row.outboxMessageId, { status, skipReason }) === 1);
  }

  async cancelPending(outboxId: string, _now: Date): Promise<boolean> {
    return this.state.transact(
      (tx) =>
        tx.outbox.updateWhere((m) => m.id === outboxId && m.status === 'PENDING' && m.sendStartedAt === null, { status: 'CANCELLED', lastErrorCode: 'SEND_WINDOW_CLOSED', lastError: 'not sent: the greeting window closed' }) === 1,
    );
  }

  /** PLANNED rows due by `dueBy`, earliest first, queued (in the outbox) or not. */
  private due(tx: MemoryTx, dueBy: Date, limit: number, queued: boolean): GreetingDeliveryRow[] {
    return tx.greetingDelivery
      .filter((r) => r.status === 'PLANNED' && (r.outboxMessageId !== null) === queued && r.scheduledAt <= dueBy)
      .sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || compareIds(a.id, b.id))
      .slice(0, limit);
  }
}

function withOutbox(tx: MemoryTx, r: GreetingDeliveryRow): GreetingRowWithOutbox {
  const o = r.outboxMessageId ? tx.outbox.get(r.outboxMessageId) : undefined;
  return { ...toGreetingRow(r), outbox: o ? { id: o.id, status: o.status, lastErrorCode: o.lastErrorCode, sentAt: copy(o.sentAt), channel: o.channel } : null };
}
