import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { GreetingCustomerQuery, GreetingRow, GreetingRowWithOutbox, GreetingStore } from '../core/ports/greetings.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation, parseJson } from './rows.js';
import { insertOutbox } from './writes.js';
import type { ExistingGreeting, NewGreetingRow } from '../core/greetings/plan-greetings.js';
import type { GreetingCustomer } from '../core/greetings/eligibility.js';
import { storedBirthdaysOn } from '../core/greetings/occasions.js';

const CUSTOMER_PAGE = 2000;

/** More cases than this changed since the last complete run: planning reads every customer. */
const CHANGED_CASES_MAX = 5000;

const customerSelect = {
  id: true,
  name: true,
  salutation: true,
  phoneE164: true,
  phoneMasked: true,
  wechatOpenId: true,
  consentMarketing: true,
  consentSurvey: true,
  optedOutAt: true,
  deceasedAt: true,
  phoneInvalidAt: true,
  tags: true,
  birthday: true,
  wecomExternalId: true,
  wecomFollowUserId: true,
} as const;

type CustomerRow = {
  id: string;
  name: string;
  salutation: string | null;
  phoneE164: string | null;
  phoneMasked: string | null;
  wechatOpenId: string | null;
  consentMarketing: boolean;
  consentSurvey: boolean;
  optedOutAt: Date | null;
  deceasedAt: Date | null;
  phoneInvalidAt: Date | null;
  tags: string;
  birthday: string | null;
  wecomExternalId: string | null;
  wecomFollowUserId: string | null;
};

function toGreetingCustomer(row: CustomerRow, openCaseTypes: readonly string[]): GreetingCustomer {
  const tags = parseJson<unknown>(row.tags, []);
  return {
    id: row.id,
    name: row.name,
    salutation: row.salutation,
    phoneE164: row.phoneE164,
    phoneMasked: row.phoneMasked,
    wechatOpenId: row.wechatOpenId,
    consentMarketing: row.consentMarketing,
    consentSurvey: row.consentSurvey,
    optedOutAt: row.optedOutAt,
    deceasedAt: row.deceasedAt,
    phoneInvalidAt: row.phoneInvalidAt,
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
    birthday: row.birthday,
    wecomExternalId: row.wecomExternalId,
    wecomFollowUserId: row.wecomFollowUserId,
    openCaseTypes,
  };
}

/** `GreetingStore` over Prisma (`GreetingDelivery` rows and `GreetingPlanRun` marks). */
export class PrismaGreetingStore implements GreetingStore {
  constructor(private readonly db: StoreContext) {}

  private get prisma() {
    return this.db.prisma;
  }

  async claimPlanningRun(campaign: string, sendDate: string, now: Date, everyMs: number): Promise<{ previous: Date | null; coveredAt: Date | null } | null> {
    const key = { campaign_sendDate: { campaign, sendDate } };
    const row = await this.prisma.greetingPlanRun.findUnique({ where: key });
    if (!row) {
      try {
        await this.prisma.greetingPlanRun.create({ data: { campaign, sendDate, plannedAt: now } });
        return { previous: null, coveredAt: null };
      } catch (err) {
        if (isUniqueViolation(err)) return null;
        throw err;
      }
    }
    const due = row.plannedAt > now || now.getTime() - row.plannedAt.getTime() >= everyMs;
    if (!due) return null;
    // Compare-and-set on the time read: of two replicas, one moves it.
    const { count } = await this.prisma.greetingPlanRun.updateMany({ where: { campaign, sendDate, plannedAt: row.plannedAt }, data: { plannedAt: now } });
    return count === 1 ? { previous: row.plannedAt, coveredAt: row.coveredAt } : null;
  }

  async releasePlanningRun(campaign: string, sendDate: string, claimedAt: Date, previous: Date | null): Promise<void> {
    if (previous === null) await this.prisma.greetingPlanRun.deleteMany({ where: { campaign, sendDate, plannedAt: claimedAt } });
    else await this.prisma.greetingPlanRun.updateMany({ where: { campaign, sendDate, plannedAt: claimedAt }, data: { plannedAt: previous } });
  }

  async completePlanningRun(campaign: string, sendDate: string, claimedAt: Date): Promise<void> {
    await this.prisma.greetingPlanRun.updateMany({
      where: { campaign, sendDate, OR: [{ coveredAt: null }, { coveredAt: { lt: claimedAt } }] },
      data: { coveredAt: claimedAt },
    });
  }

  /**
   * Customers with what eligibility needs, read in pages by id, with the types of their OPEN cases.
   * Tags are a JSON list in a string column, so the audience is filtered by the caller. `changedSince`
   * is served by the `updatedAt` indexes of Customer and Case, `birthdays` by the `birthday` index.
   */
  async listCustomers(query: GreetingCustomerQuery = {}): Promise<GreetingCustomer[]> {
    const where: Prisma.CustomerWhereInput[] = [];
    if (query.birthdays) where.push({ birthday: { in: storedBirthdaysOn(query.birthdays) } });
    if (query.changedSince) {
      const since = query.changedSince;
      const changedCases = await this.prisma.case.findMany({ where: { updatedAt: { gte: since } }, select: { customerId: true }, take: CHANGED_CASES_MAX + 1 });
      // Cases of very many customers changed (an import): read everyone rather than pass a huge id list.
      if (changedCases.length <= CHANGED_CASES_MAX) {
        // updatedAt is written on create too (Prisma's @updatedAt, the fixed INSERTs of case batches): its index serves this.
        where.push({ OR: [{ updatedAt: { gte: since } }, ...(changedCases.length > 0 ? [{ id: { in: [...new Set(changedCases.map((c) => c.customerId))] } }] : [])] });
      }
    }
    const out: GreetingCustomer[] = [];
    let after: string | null = null;
    for (;;) {
      const page: CustomerRow[] = await this.prisma.customer.findMany({
        select: customerSelect,
        where: { AND: [...where, ...(after ? [{ id: { gt: after } }] : [])] },
        orderBy: { id: 'asc' },
        take: CUSTOMER_PAGE,
      });
      const typesOf = await this.openCaseTypes(page.map((r) => r.id), where.length === 0);
      for (const row of page) out.push(toGreetingCustomer(row, typesOf.get(row.id) ?? []));
      if (page.length < CUSTOMER_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    return out;
  }

  /** Types of the OPEN cases of these customers (of every customer when `all`: one read, no id list). */
  private async openCaseTypes(customerIds: readonly string[], all: boolean): Promise<Map<string, string[]>> {
    const typesOf = new Map<string, string[]>();
    if (customerIds.length === 0) return typesOf;
    const openCases = await this.prisma.case.findMany({
      where: { status: 'OPEN', ...(all ? { customerId: { gte: customerIds[0]!, lte: customerIds[customerIds.length - 1]! } } : { customerId: { in: [...customerIds] } }) },
      select: { customerId: true, type: true },
    });
    for (const c of openCases) {
      const list = typesOf.get(c.customerId) ?? [];
      if (!list.includes(c.type)) list.push(c.type);
      typesOf.set(c.customerId, list);
    }
    return typesOf;
  }

  /** Customers by id, fresh (for the check just before a greeting is handed to the outbox). */
  async findCustomers(ids: readonly string[]): Promise<Map<string, GreetingCustomer>> {
    if (ids.length === 0) return new Map();
    const rows: CustomerRow[] = await this.prisma.customer.findMany({ where: { id: { in: [...ids] } }, select: customerSelect });
    return new Map(rows.map((r) => [r.id, toGreetingCustomer(r, [])]));
  }

  /** Rows of these occasion keys, any campaign (of these customers when given). */
  async findByOccasions(occasionKeys: readonly string[], customerIds?: readonly string[]): Promise<ExistingGreeting[]> {
    if (occasionKeys.length === 0 || customerIds?.length === 0) return [];
    const rows = await this.prisma.greetingDelivery.findMany({
      where: { occasionKey: { in: [...occasionKeys] }, ...(customerIds ? { customerId: { in: [...customerIds] } } : {}) },
      select: { occasionKey: true, customerId: true, campaign: true, status: true, skipReason: true, channel: true, segment: true },
    });
    return rows.map((r) => ({ ...r, status: r.status as ExistingGreeting['status'] }));
  }

  /**
   * Inserts planned and skipped rows; a row another planner inserted first (same occasion and customer)
   * is left alone. Returns how many this call inserted, by status.
   */
  async insertRows(campaign: string, rows: readonly NewGreetingRow[], now: Date): Promise<{ planned: number; skipped: number }> {
    const inserted = { planned: 0, skipped: 0 };
    // One statement per row: a unique violation then concerns that row only (on PostgreSQL it would
    // abort a whole transaction), and SQLite has no createMany … skipDuplicates.
    for (const r of rows) {
      try {
        await this.prisma.greetingDelivery.create({
          data: {
            id: this.db.ids.next(),
            campaign,
            occasionKey: r.occasionKey,
            customerId: r.customerId,
            status: r.status,
            skipReason: r.skipReason,
            channel: r.channel,
            segment: r.segment,
            scheduledAt: r.scheduledAt,
            createdAt: now,
          },
        });
        if (r.status === 'PLANNED') inserted.planned++;
        else inserted.skipped++;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    return inserted;
  }

  /** PLANNED rows not yet handed to the outbox, due by `dueBy`, earliest first (index status, scheduledAt). */
  async listDueUnqueued(dueBy: Date, limit: number): Promise<GreetingRow[]> {
    return this.prisma.greetingDelivery.findMany({
      where: { status: 'PLANNED', outboxMessageId: null, scheduledAt: { lte: dueBy } },
      orderBy: { scheduledAt: 'asc' },
      take: limit,
    });
  }

  /** PLANNED rows already in the outbox, with their outbox message's state. */
  async listQueued(dueBy: Date, limit: number): Promise<GreetingRowWithOutbox[]> {
    const rows = await this.prisma.greetingDelivery.findMany({
      where: { status: 'PLANNED', outboxMessageId: { not: null }, scheduledAt: { lte: dueBy } },
      orderBy: { scheduledAt: 'asc' },
      take: limit,
    });
    return this.withOutbox(rows);
  }

  /** Rows of one campaign and occasion (or all of the occasion when `campaign` is null), with outbox state. */
  async listForReport(occasionKey: string, campaign: string | null): Promise<GreetingRowWithOutbox[]> {
    const rows = await this.prisma.greetingDelivery.findMany({
      where: { occasionKey, ...(campaign ? { campaign } : {}) },
      orderBy: [{ scheduledAt: 'asc' }, { customerId: 'asc' }],
    });
    return this.withOutbox(rows);
  }

  /** Occasion keys a campaign has rows for, newest first, with counts. */
  async listOccasionKeys(campaign: string): Promise<{ occasionKey: string; rows: number }[]> {
    const groups = await this.prisma.greetingDelivery.groupBy({ by: ['occasionKey'], where: { campaign }, _count: { _all: true }, _max: { scheduledAt: true } });
    return groups
      .sort((a, b) => (b._max.scheduledAt?.getTime() ?? 0) - (a._max.scheduledAt?.getTime() ?? 0))
      .map((g) => ({ occasionKey: g.occasionKey, rows: g._count._all }));
  }

  /**
   * Hands a PLANNED row to the outbox: inserts the message (unique key `greeting:<occasion>:<customer>`)
   * and links it to the row, in one transaction guarded on the row still being PLANNED and unqueued.
   * Returns false when another planner got there first.
   */
  async enqueue(row: GreetingRow, channel: string, message: NewOutboxMessage, now: Date): Promise<boolean> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        await insertOutbox(tx, this.db.ids, [message], now);
        const outbox = await tx.outboxMessage.findUnique({ where: { idempotencyKey: message.idempotencyKey }, select: { id: true } });
        if (!outbox) return false;
        const { count } = await tx.greetingDelivery.updateMany({
          where: { id: row.id, status: 'PLANNED', outboxMessageId: row.outboxMessageId },
          data: { outboxMessageId: outbox.id, channel, updatedAt: now },
        });
        return count === 1;
      });
    } catch (err) {
      // Another replica inserted the same outbox key at the same moment.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Ends a PLANNED row (compare-and-set on status and outbox id). */
  async finish(row: GreetingRow, status: 'SENT' | 'SKIPPED' | 'FAILED', skipReason: string | null, now: Date): Promise<boolean> {
    const { count } = await this.prisma.greetingDelivery.updateMany({
      where: { id: row.id, status: 'PLANNED', outboxMessageId: row.outboxMessageId },
      data: { status, skipReason, updatedAt: now },
    });
    return count === 1;
  }

  /**
   * Cancels a greeting still waiting in the outbox once its window has closed; false when the dispatcher
   * has it, or its send was begun and is being reconciled (then its outcome is recorded later).
   */
  async cancelPending(outboxId: string, now: Date): Promise<boolean> {
    const { count } = await this.prisma.outboxMessage.updateMany({
      where: { id: outboxId, status: 'PENDING', sendStartedAt: null },
      data: { status: 'CANCELLED', lastErrorCode: 'SEND_WINDOW_CLOSED', lastError: 'not sent: the greeting window closed', updatedAt: now },
    });
    return count === 1;
  }

  private async withOutbox(rows: GreetingRow[]): Promise<GreetingRowWithOutbox[]> {
    const ids = rows.map((r) => r.outboxMessageId).filter((id): id is string => id !== null);
    const outboxes =
      ids.length === 0
        ? []
        : await this.prisma.outboxMessage.findMany({ where: { id: { in: ids } }, select: { id: true, status: true, lastErrorCode: true, sentAt: true, channel: true } });
    const byId = new Map(outboxes.map((o) => [o.id, o]));
    return rows.map((r) => ({ ...r, outbox: r.outboxMessageId ? (byId.get(r.outboxMessageId) ?? null) : null }));
  }
}
