// The in-memory stores (bot/memory) against the Prisma stores (bot/db), on real databases: each
// scenario drives the store ports of both with the same ids, the same clock and the same calls, and
// what they answer must be the same — and so must every row they leave behind, column by column. A
// change to a Prisma store's semantics that its memory twin does not follow fails here.
import { expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { IdGenerator } from '../../../bot/core/clock.js';
import type { NewAuditEntry, NewOutboxMessage } from '../../../bot/core/records.js';
import type { PlannedFollowUp } from '../../../bot/core/policies/plan-follow-ups.js';
import type { CaseInput } from '../../../bot/core/ports/cases.js';
import type { GreetingRow } from '../../../bot/core/ports/greetings.js';
import type { FollowUpStore } from '../../../bot/core/ports/follow-ups.js';
import { createPrismaStores, type Stores } from '../../../bot/db/create-stores.js';
import { createMemoryStores } from '../../../bot/memory/create-memory-stores.js';
import type { MemoryState, TableName } from '../../../bot/memory/memory-state.js';
import { seedExampleOrganisation } from '../../../bot/example/example-organisation.js';
import { describeEachDatabase, type TestDb } from '../../support/db.js';
import { sharedDbClient } from '../../support/service.js';
import { shippedData, TIME_ZONE } from '../../support/memory-service.js';

/** Ids in creation order, the same sequence for both implementations. */
class SequenceIds implements IdGenerator {
  #n = 0;
  next(): string {
    return `ID${String(++this.#n).padStart(8, '0')}`;
  }
}

interface Ctx {
  stores: Stores;
  clock: FakeClock;
  ids: IdGenerator;
  /** Staff ids by WeCom user id (the example organisation). */
  staff: Map<string, string>;
  /** Customer ids by external id. */
  customers: Map<string, string>;
}

type Scenario = (ctx: Ctx) => Promise<unknown>;

const START = '2026-11-10T09:00:00+08:00';
const at = (iso: string) => new Date(iso);

async function setUp(stores: Stores, ids: IdGenerator, clock: FakeClock): Promise<Ctx> {
  const staff = await seedExampleOrganisation(stores.directory, () => ids.next());
  const found = await stores.directory.customers.findCustomersForImport({ externalIds: ['P-0001', 'P-0002', 'P-0003', 'O-0101'], phones: [] });
  return { stores, clock, ids, staff, customers: new Map(found.map((c) => [c.externalId!, c.id])) };
}

const caseInput = (externalId: string, overrides: Partial<CaseInput> = {}): CaseInput => ({
  type: 'discharge',
  externalId,
  occurredAt: at('2026-11-03T15:30:00+08:00'),
  closedAt: null,
  departmentId: null,
  responsibleStaffId: null,
  attributes: { severity: 'normal' },
  milestones: {},
  ...overrides,
});

const planned = (id: string, step: string, dueAt: string, overrides: Partial<PlannedFollowUp> = {}): PlannedFollowUp & { id: string } => ({
  id,
  step,
  sequence: 1,
  title: step,
  action: 'STAFF_TASK',
  channel: 'wecom',
  earliestAt: at(dueAt),
  dueAt: at(dueAt),
  deadlineAt: new Date(at(dueAt).getTime() + 3 * 86_400_000),
  assigneeId: null,
  assigneeRule: null,
  maxAttempts: 3,
  instructions: '',
  surveyKey: null,
  sampling: { kept: true, reason: 'all', rate: 1 },
  ...overrides,
});

const audit = (action: string, entityId: string, when: Date, details: Record<string, unknown> = {}): NewAuditEntry => ({
  at: when,
  actorType: 'SYSTEM',
  actorId: null,
  action,
  entityType: 'Test',
  entityId,
  details,
});

const staffText = (key: string, staffId: string, when: Date, followUpId: string | null = null): NewOutboxMessage => ({
  idempotencyKey: key,
  channel: 'wecom',
  recipientType: 'staff',
  recipientId: staffId,
  followUpId,
  nextAttemptAt: when,
  message: { kind: 'staff_text', to: { staffId, wecomUserId: 'x' }, text: key },
});

const customerSms = (key: string, customerId: string, when: Date, purpose: 'service' | 'marketing' = 'service', followUpId: string | null = null): NewOutboxMessage => ({
  idempotencyKey: key,
  channel: 'sms',
  recipientType: 'customer',
  recipientId: customerId,
  followUpId,
  nextAttemptAt: when,
  message: { kind: 'customer_notice', to: { customerId, phoneE164: '+8613800000001' }, templateKey: 'notice', params: [], text: key, purpose },
});

/** Rows by id, where the port leaves the order open (a claim's answer; follow-ups of equal sequence). */
const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));

/** The columns of the greeting port (the Prisma store hands over its rows whole). */
const greetingRow = (r: GreetingRow & { outbox?: unknown }) => ({
  id: r.id,
  campaign: r.campaign,
  occasionKey: r.occasionKey,
  customerId: r.customerId,
  status: r.status,
  skipReason: r.skipReason,
  channel: r.channel,
  segment: r.segment,
  scheduledAt: r.scheduledAt,
  outboxMessageId: r.outboxMessageId,
  ...('outbox' in r ? { outbox: r.outbox } : {}),
});

/** A case with one follow-up per step, created through the port. */
async function caseWith(ctx: Ctx, caseId: string, followUps: (PlannedFollowUp & { id: string })[], customer = 'P-0001') {
  return ctx.stores.cases.createCase({
    id: caseId,
    policyId: 'P4',
    customerId: ctx.customers.get(customer)!,
    case: caseInput(`EXT-${caseId}`),
    followUps,
    audit: audit('case.created', caseId, ctx.clock.now()),
  });
}

const SCENARIOS: Record<string, Scenario> = {
  'cases: one per (type, external id), steps added once, moves and cancels by compare-and-set, closing cancels': async (ctx) => {
    const { cases } = ctx.stores;
    const nurse = ctx.staff.get('hushi.li')!;
    const first = await caseWith(ctx, 'K1', [planned('F1', 'phone', START, { assigneeId: nurse }), planned('F2', 'survey', START, { action: 'CUSTOMER_SURVEY', channel: 'sms', sampling: { kept: false, reason: 'sampled out', rate: 0.1 } })]);
    const again = await ctx.stores.cases.createCase({ id: 'K2', policyId: 'P4', customerId: ctx.customers.get('P-0001')!, case: caseInput('EXT-K1'), followUps: [planned('F3', 'phone', START)], audit: audit('case.created', 'K2', ctx.clock.now()) });
    const k = await cases.findCase('discharge', 'EXT-K1');
    const fu = byId(await cases.listFollowUpsOfCase('K1'));
    const update = await cases.updateCase({
      caseId: 'K1',
      case: caseInput('EXT-K1', { milestones: { handled: at('2026-11-05T10:00:00+08:00') }, attributes: { severity: 'serious' } }),
      addFollowUps: [planned('F4', 'phone', START), planned('F5', 'later', '2026-11-20T09:00:00+08:00')],
      moveFollowUps: [
        { id: 'F1', version: 0, step: 'phone', from: { earliestAt: at(START), dueAt: at(START), deadlineAt: at(START), assigneeId: nurse }, to: { earliestAt: at('2026-11-11T09:00:00+08:00'), dueAt: at('2026-11-11T09:00:00+08:00'), deadlineAt: at('2026-11-15T09:00:00+08:00'), assigneeId: null, assigneeRule: 'moved' } },
        { id: 'F1', version: 0, step: 'phone', from: { earliestAt: at(START), dueAt: at(START), deadlineAt: at(START), assigneeId: nurse }, to: { earliestAt: at(START), dueAt: at(START), deadlineAt: at(START), assigneeId: null, assigneeRule: 'stale' } },
      ],
      cancelFollowUps: [{ id: 'F2', version: 0 }],
      cancelOpenFollowUps: false,
      audit: audit('case.updated', 'K1', ctx.clock.now()),
    });
    const replan = await cases.listCasesToReplan('P4', null, 10);
    const closed = await cases.updateCase({ caseId: 'K1', case: caseInput('EXT-K1', { closedAt: ctx.clock.now() }), addFollowUps: [], cancelOpenFollowUps: true, audit: audit('case.closed', 'K1', ctx.clock.now()) });
    return {
      first,
      again,
      k,
      fu,
      update,
      replan,
      closed,
      afterClose: byId(await cases.listFollowUpsOfCase('K1')),
      replanAfter: await cases.listCasesToReplan('P4', null, 10),
      counted: await cases.countCasesOfPolicy('P4', at('2026-11-01T00:00:00+08:00'), at('2026-12-01T00:00:00+08:00')),
      recent: await cases.listRecentCasesOfCustomer(ctx.customers.get('P-0001')!, ['discharge'], at('2026-11-01T00:00:00+08:00')),
      byId: await cases.findCaseById('K1'),
      missing: await cases.findCaseById('nope'),
    };
  },

  'a batch reads existing cases by key, recent cases of many customers and customers by any key': async (ctx) => {
    const { cases, customers } = ctx.stores;
    const p1 = ctx.customers.get('P-0001')!;
    const p2 = ctx.customers.get('P-0002')!;
    const newcomer = { externalId: 'N-0001', name: '新客户', salutation: '新先生', phoneE164: '+8613900001234', phoneMasked: '139****1234', wechatOpenId: 'oN0001', tags: ['vip'], consentMarketing: null, consentSurvey: false };
    const newCase = (id: string, customerId: string, input: CaseInput) => ({ id, policyId: 'P4', customerId, case: input, followUps: [], audit: audit('case.created', id, ctx.clock.now()) });
    const written = await cases.createCases({
      customers: [{ id: 'CN1', customer: newcomer }],
      cases: [
        newCase('B1', p1, caseInput('EXT-B1', { occurredAt: at('2026-11-02T08:00:00+08:00'), milestones: { handled: at('2026-11-04T10:00:00+08:00') }, attributes: { severity: 'serious', ward: 3 } })),
        // The same external id under another type: a key of its own.
        newCase('B2', p1, caseInput('EXT-B1', { type: 'complaint', occurredAt: at('2026-11-02T08:00:00+08:00') })),
        newCase('B3', p2, caseInput('EXT-B3', { occurredAt: at('2026-10-20T08:00:00+08:00'), closedAt: at('2026-11-01T08:00:00+08:00') })),
        newCase('B4', 'CN1', caseInput('EXT-B4', { occurredAt: at('2026-11-05T08:00:00+08:00') })),
        newCase('B5', p2, caseInput('EXT-B5', { occurredAt: at('2026-11-02T08:00:00+08:00') })),
      ],
    });
    const sortedById = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
    const found = sortedById(
        await cases.findCases([
          { type: 'discharge', externalId: 'EXT-B1' },
          { type: 'complaint', externalId: 'EXT-B1' },
          { type: 'complaint', externalId: 'EXT-B3' },
          { type: 'discharge', externalId: 'EXT-B4' },
          { type: 'discharge', externalId: 'EXT-NONE' },
        ]),
      );
    const recent = await cases.listRecentCasesOfCustomers([p1, p2, 'CN1', p1, 'nobody'], ['discharge', 'complaint'], at('2026-11-01T00:00:00+08:00'));
    expect(found.map((c) => c.id)).toEqual(['B1', 'B2', 'B4']);
    expect(found[0]!.milestones).toEqual({ handled: at('2026-11-04T10:00:00+08:00') });
    expect(recent.map((c) => c.id)).toEqual(['B1', 'B2', 'B5', 'B4']);
    return {
      written,
      found,
      none: await cases.findCases([]),
      recent,
      recentOneType: await cases.listRecentCasesOfCustomers([p2, 'CN1'], ['discharge'], at('2026-11-02T08:00:00+08:00')),
      noTypes: await cases.listRecentCasesOfCustomers([p1], [], at('2026-01-01T00:00:00+08:00')),
      byKeys: sortedById(await customers.findCustomersByKeys({ externalIds: ['P-0001', 'N-0001', 'X-NONE'], phones: ['+8613900001234', '+8613900000000'], wechatOpenIds: ['oN0001'] })),
      byPhoneOnly: await customers.findCustomersByKeys({ externalIds: [], phones: ['+8613900001234'], wechatOpenIds: [] }),
      byOpenIdOnly: await customers.findCustomersByKeys({ externalIds: [], phones: [], wechatOpenIds: ['oN0001'] }),
      noKeys: await customers.findCustomersByKeys({ externalIds: [], phones: [], wechatOpenIds: [] }),
    };
  },

  'a batch of cases written after another commits only once that one is written, and not at all when it was not': async (ctx) => {
    const { cases } = ctx.stores;
    const p1 = ctx.customers.get('P-0001')!;
    const newCase = (id: string) => ({ id, policyId: 'P4', customerId: p1, case: caseInput(`EXT-${id}`), followUps: [], audit: audit('case.created', id, ctx.clock.now()) });
    let release!: (written: boolean) => void;
    const before = new Promise<boolean>((resolve) => (release = resolve));
    const waiting = cases.createCases({ customers: [], cases: [newCase('W1')] }, before);
    const whileWaiting = await cases.findCaseById('W1');
    release(true);
    const written = await waiting;
    const notWritten = await cases.createCases({ customers: [], cases: [newCase('W2')] }, Promise.resolve(false));
    expect(whileWaiting).toBeNull();
    expect([written, notWritten]).toEqual([true, false]);
    expect(await cases.findCaseById('W2')).toBeNull();
    return { whileWaiting, written, notWritten, w1: (await cases.findCaseById('W1'))?.id, w2: await cases.findCaseById('W2') };
  },

  'sampling-quota places are unique and counted by key; the month population counts cases stored up to a moment': async (ctx) => {
    const slot = (n: number) => ({ quotaSlot: `P4|phone|*|2026-11-02#${n}` });
    const first = await caseWith(ctx, 'Q1', [planned('FQ1', 'phone', START, slot(1))]);
    // Another case taking the same place is not stored at all (the planner then counts again).
    const taken = await caseWith(ctx, 'Q2', [planned('FQ2', 'phone', START, slot(1))]);
    const second = await caseWith(ctx, 'Q3', [planned('FQ3', 'phone', START, slot(2)), planned('FQ4', 'later', START)]);
    const storedAt = (await ctx.stores.cases.findCaseById('Q1'))!.createdAt;
    return {
      first,
      taken,
      second,
      q2: await ctx.stores.cases.findCaseById('Q2'),
      held: await ctx.stores.cases.countQuotaSlots('P4|phone|*|2026-11-02'),
      otherWeek: await ctx.stores.cases.countQuotaSlots('P4|phone|*|2026-11-09'),
      prefixOnly: await ctx.stores.cases.countQuotaSlots('P4|phone|*|2026-11-0'),
      upToFirst: await ctx.stores.cases.countCasesOfPolicy('P4', at('2026-11-01T00:00:00+08:00'), at('2026-12-01T00:00:00+08:00'), storedAt),
      all: await ctx.stores.cases.countCasesOfPolicy('P4', at('2026-11-01T00:00:00+08:00'), at('2026-12-01T00:00:00+08:00')),
    };
  },

  'a quota top-up lists the passed-over follow-ups still open for it and takes places uniquely': async (ctx) => {
    const out = { kept: false, reason: 'not drawn', rate: 0.02 };
    const from = at('2026-11-09T00:00:00+08:00');
    const to = at('2026-11-16T00:00:00+08:00');
    await caseWith(ctx, 'T1', [planned('FT1', 'phone', START, { sampling: out }), planned('FT2', 'phone_2', START, { sampling: out }), planned('FT3', 'other', START, { sampling: out })]);
    await caseWith(ctx, 'T2', [planned('FT4', 'phone', '2026-11-16T09:00:00+08:00', { sampling: out }), planned('FT5', 'phonecall', START, { sampling: out })]);
    await caseWith(ctx, 'T3', [planned('FT6', 'phone', START, { sampling: out })], 'P-0002');
    await caseWith(ctx, 'T4', [planned('FT7', 'phone', START)]);
    await ctx.stores.customers.optOutCustomer(ctx.customers.get('P-0002')!, ctx.clock.now(), 'test', audit('customer.opted_out', 'P-0002', ctx.clock.now()));
    const list = (now: string) => ctx.stores.cases.listQuotaTopUpCandidates({ policyId: 'P4', step: 'phone', from, to, now: at(now) });
    const before = await list('2026-11-12T09:00:00+08:00');
    const pastDeadline = await list('2026-11-13T09:00:00+08:00');
    const taken = await ctx.stores.cases.takeQuotaSlot('FT1', 'P4|phone|*|2026-11-09#1', '{"kept":true}', audit('follow_up.quota_topped_up', 'FT1', ctx.clock.now()));
    const slotTaken = await ctx.stores.cases.takeQuotaSlot('FT2', 'P4|phone|*|2026-11-09#1', '{"kept":true}', audit('follow_up.quota_topped_up', 'FT2', ctx.clock.now()));
    const gone = await ctx.stores.cases.takeQuotaSlot('FT1', 'P4|phone|*|2026-11-09#2', '{"kept":true}', audit('follow_up.quota_topped_up', 'FT1', ctx.clock.now()));
    const notSkipped = await ctx.stores.cases.takeQuotaSlot('FT7', 'P4|phone|*|2026-11-09#2', '{"kept":true}', audit('follow_up.quota_topped_up', 'FT7', ctx.clock.now()));
    const rows = byId(await ctx.stores.cases.listFollowUpsOfCase('T1')).map((f) => ({ id: f.id, status: f.status }));
    return { before, pastDeadline, taken, slotTaken, gone, notSkipped, rows, after: (await list('2026-11-12T09:00:00+08:00')).map((c) => c.followUpId), held: await ctx.stores.cases.countQuotaSlots('P4|phone|*|2026-11-09') };
  },

  'a case that cannot be stored whole is not stored at all': async (ctx) => {
    let threw = false;
    try {
      await caseWith(ctx, 'K9', [planned('F9', 'phone', START, { assigneeId: 'no-such-staff' })]);
    } catch {
      threw = true;
    }
    return { threw, found: await ctx.stores.cases.findCase('discharge', 'EXT-K9'), followUps: byId(await ctx.stores.cases.listFollowUpsOfCase('K9')) };
  },

  'customers: found by external id then phone, tags merged, deceased ends open follow-ups, opt-out by scope': async (ctx) => {
    const { customers } = ctx.stores;
    const base = { externalId: 'C-1', name: '甲', salutation: null, phoneE164: '+8613511110001', phoneMasked: '135****0001', wechatOpenId: null, tags: ['a'], consentMarketing: true, consentSurvey: null };
    const created = await customers.upsertCustomer(base);
    const byPhone = await customers.upsertCustomer({ ...base, externalId: null, name: '甲二', tags: ['b'], consentMarketing: null });
    const newPhone = await customers.upsertCustomer({ ...base, phoneE164: '+8613511110002', tags: [] });
    await caseWith(ctx, 'K1', [planned('F1', 'phone', START), planned('F2', 'survey', START, { action: 'CUSTOMER_SURVEY', channel: 'sms' })], 'P-0001');
    await caseWith(ctx, 'K2', [planned('F3', 'survey', START, { action: 'CUSTOMER_SURVEY', channel: 'sms' })], 'P-0002');
    const p1 = ctx.customers.get('P-0001')!;
    const p2 = ctx.customers.get('P-0002')!;
    await ctx.stores.outbox.enqueue([customerSms('m:1', p1, ctx.clock.now()), customerSms('m:2', p1, ctx.clock.now(), 'marketing'), customerSms('m:3', p2, ctx.clock.now()), customerSms('m:4', p2, ctx.clock.now(), 'marketing')]);
    await customers.optOutCustomer(p1, ctx.clock.now(), 'sms_reply', audit('customer.opted_out', p1, ctx.clock.now()));
    await customers.optOutCustomer(p1, ctx.clock.now(), 'sms_reply', audit('customer.opted_out', p1, ctx.clock.now()));
    await customers.optOutCustomer(p2, ctx.clock.now(), 'sms_reply', audit('customer.opted_out', p2, ctx.clock.now()), 'marketing');
    const deceased = await customers.upsertCustomer({ externalId: 'P-0003', name: '李娜', salutation: null, phoneE164: null, phoneMasked: null, wechatOpenId: null, tags: [], consentMarketing: null, consentSurvey: null, deceasedAt: ctx.clock.now() });
    let conflict = false;
    try {
      await customers.upsertCustomer({ ...base, externalId: 'P-0002', phoneE164: '+8613800000001' });
    } catch {
      conflict = true;
    }
    return {
      created,
      byPhone,
      newPhone,
      deceased,
      conflict,
      byIds: [...(await customers.findCustomersByIds([p1, p2, 'nope'])).entries()],
      findPhone: await customers.findCustomerByPhone('+8613511110002'),
      // Asked at the same moment: one statement on the databases, each answered as alone.
      phonesTogether: await Promise.all(['+8613511110002', '+8613800000001', '+8613900000000', '+8613511110002'].map((p) => customers.findCustomerByPhone(p))),
      followUps: [...(byId(await ctx.stores.cases.listFollowUpsOfCase('K1'))), ...(byId(await ctx.stores.cases.listFollowUpsOfCase('K2')))],
      counts: await ctx.stores.views.health.statusCounts(),
    };
  },

  'follow-ups: a batch of activations leaves each follow-up as committing it alone would, skipped ones untouched': async (ctx) => {
    const { followUps } = ctx.stores;
    const nurse = ctx.staff.get('hushi.li')!;
    const head = ctx.staff.get('hushizhang.chen')!;
    // Two cases with the same follow-ups: K1's decisions are committed in one call, K2's one call each.
    const steps = ['remind', 'keep', 'reassign', 'defer', 'cancel', 'stale-active', 'stale-reassign', 'stale-defer', 'stale-cancel'];
    for (const k of ['K1', 'K2']) await caseWith(ctx, k, steps.map((step, i) => planned(`${k}-${step}`, step, `2026-11-10T0${i % 9}:00:00+08:00`, { assigneeId: nurse })));
    const now = ctx.clock.now();
    const claimed = await followUps.claimDueFollowUps(now, 60_000, 50);
    const version = (id: string) => claimed.find((c) => c.followUp.id === id)!.followUp.version;
    const decisions = (k: string): Parameters<FollowUpStore['commitActivations']>[0] => {
      const id = (step: string) => `${k}-${step}`;
      const base = (step: string, stale = false) => ({ followUpId: id(step), version: stale ? version(id(step)) + 3 : version(id(step)), now, survey: null });
      const card = (step: string) => [staffText(`fu:${id(step)}:1`, nurse, now, id(step))];
      return [
        { ...base('remind'), status: 'ACTIVE', remindAt: at('2026-11-12T20:00:00+08:00'), outcomeNote: null, outbox: card('remind'), audit: audit('follow_up.activated', id('remind'), now) },
        { ...base('keep'), status: 'ACTIVE', outcomeNote: null, outbox: card('keep'), audit: audit('follow_up.activated', id('keep'), now) },
        { ...base('reassign'), status: 'ACTIVE', reassignTo: { staffId: head, rule: 'department_head' }, remindAt: null, outcomeNote: null, outbox: card('reassign'), audit: audit('follow_up.activated', id('reassign'), now) },
        { ...base('defer'), status: 'DEFERRED', deferTo: at('2026-11-11T09:00:00+08:00'), outcomeNote: null, outbox: [], audit: audit('follow_up.deferred', id('defer'), now) },
        { ...base('cancel'), status: 'CANCELLED', outcomeNote: 'NO_PHONE', outbox: [], audit: audit('follow_up.cancelled', id('cancel'), now) },
        { ...base('stale-active', true), status: 'ACTIVE', outcomeNote: null, outbox: card('stale-active'), audit: audit('x', id('stale-active'), now) },
        { ...base('stale-reassign', true), status: 'ACTIVE', reassignTo: { staffId: head, rule: 'department_head' }, outcomeNote: null, outbox: card('stale-reassign'), audit: audit('x', id('stale-reassign'), now) },
        { ...base('stale-defer', true), status: 'DEFERRED', deferTo: at('2026-11-11T09:00:00+08:00'), outcomeNote: null, outbox: [], audit: audit('x', id('stale-defer'), now) },
        { ...base('stale-cancel', true), status: 'CANCELLED', outcomeNote: 'NO_PHONE', outbox: [], audit: audit('x', id('stale-cancel'), now) },
      ];
    };
    const batch = await followUps.commitActivations(decisions('K1'));
    const alone = [];
    for (const decision of decisions('K2')) alone.push(await followUps.commitActivations([decision]));
    // Every column of each follow-up, its outbox keys and audit actions, with the case's id taken out.
    const rows = async (k: string) =>
      (await Promise.all(steps.map((step) => followUps.findFollowUpContext(`${k}-${step}`)))).map((c) => ({ ...c!.followUp, id: c!.followUp.id.slice(3), caseId: null }));
    expect(await rows('K1')).toEqual(await rows('K2'));
    return { batch, alone, k1: await rows('K1'), open: await followUps.listOpenForAssignee(head, at('2026-11-13T00:00:00+08:00'), 10) };
  },

  'follow-ups: claims with a lease, activations by compare-and-set with surveys and reply codes, outcomes once': async (ctx) => {
    const { followUps } = ctx.stores;
    const nurse = ctx.staff.get('hushi.li')!;
    await caseWith(ctx, 'K1', [
      planned('F1', 'phone', START, { assigneeId: nurse }),
      planned('F2', 'survey', '2026-11-10T08:00:00+08:00', { action: 'CUSTOMER_SURVEY', channel: 'sms' }),
      planned('F3', 'later', '2026-11-12T09:00:00+08:00', { assigneeId: nurse }),
      planned('F4', 'defer', '2026-11-10T07:00:00+08:00'),
      planned('F5', 'cancel', '2026-11-10T06:00:00+08:00'),
    ]);
    const now = ctx.clock.now();
    const claimed = await followUps.claimDueFollowUps(now, 60_000, 10);
    const claimedAgain = await followUps.claimDueFollowUps(now, 60_000, 10);
    const afterLease = await followUps.claimDueFollowUps(new Date(now.getTime() + 60_000), 60_000, 10);
    const customer = ctx.customers.get('P-0001')!;
    const v = (id: string) => claimed.find((c) => c.followUp.id === id)!.followUp.version;
    const commit = await followUps.commitActivations([
      { followUpId: 'F1', version: v('F1'), status: 'ACTIVE', remindAt: at('2026-11-12T20:00:00+08:00'), outcomeNote: null, now, survey: null, outbox: [staffText('fu:F1:1', nurse, now, 'F1')], audit: audit('follow_up.activated', 'F1', now) },
      {
        followUpId: 'F2',
        version: v('F2'),
        status: 'ACTIVE',
        outcomeNote: null,
        now,
        survey: { id: 'S1', token: 'token-S1-0123456789', surveyKey: 'satisfaction-5', expiresAt: at('2026-11-20T20:00:00+08:00'), channel: 'sms', replyCodes: ['111111', '222222'] },
        outbox: [
          {
            idempotencyKey: 'fu:F2:1',
            channel: 'sms',
            recipientType: 'customer',
            recipientId: customer,
            followUpId: 'F2',
            nextAttemptAt: now,
            message: { kind: 'survey_invite', to: { customerId: customer, phoneE164: '+8613800000001' }, templateKey: 'survey_invite', params: [], text: 'x', link: 'l', surveyId: 'S1', replyCode: null },
          },
        ],
        audit: audit('survey.sent', 'F2', now),
      },
      { followUpId: 'F4', version: v('F4'), status: 'DEFERRED', deferTo: at('2026-11-11T09:00:00+08:00'), outcomeNote: null, now, survey: null, outbox: [], audit: audit('follow_up.deferred', 'F4', now) },
      { followUpId: 'F5', version: v('F5'), status: 'CANCELLED', outcomeNote: 'NO_PHONE', now, survey: null, outbox: [], audit: audit('follow_up.cancelled', 'F5', now) },
      // A stale version (another worker changed the row since it was read): skipped, nothing enqueued.
      { followUpId: 'F3', version: 7, status: 'ACTIVE', outcomeNote: null, now, survey: null, outbox: [staffText('fu:F3:stale', nurse, now)], audit: audit('x', 'F3', now) },
    ]);
    const context = await followUps.findFollowUpContext('F1');
    const siblings = await followUps.countOpenSiblings('K1', 'F1');
    const contacts = await followUps.countCustomerContacts(customer, 'P4', at('2026-11-01T00:00:00+08:00'));
    const openByCase = [...(await followUps.countOpenByCase(['K1', 'K1', 'nope'])).entries()];
    const contactsByCustomer = [...(await followUps.countContactsByCustomer([customer, 'nope'], 'P4', at('2026-11-01T00:00:00+08:00'))).entries()];
    const noContacts = [...(await followUps.countContactsByCustomer([customer], 'P1', at('2026-11-01T00:00:00+08:00'))).entries()];
    // The batch reads agree with the single ones: F1 itself is open too, and unknown keys are absent.
    expect(openByCase).toEqual([['K1', siblings + 1]]);
    expect(contactsByCustomer).toEqual([[customer, contacts]]);
    expect(noContacts).toEqual([]);
    const open = await followUps.listOpenForAssignee(nurse, at('2026-11-13T00:00:00+08:00'), 10);
    const outcome = {
      followUpId: 'F1',
      version: context!.followUp.version,
      status: 'DONE' as const,
      outcome: 'DISSATISFIED' as const,
      outcomeNote: '不满意',
      outcomeById: nurse,
      attempts: 1,
      nextDueAt: null,
      completedAt: now,
      outbox: [staffText('fu:F1:1:update', nurse, now, 'F1')],
      escalation: { sourceKey: 'dissatisfied:F1', caseId: 'K1', followUpId: 'F1', reason: 'DISSATISFIED', level: 1, ownerId: ctx.staff.get('hushizhang.chen')!, summary: 's', deadlineAt: at('2026-11-17T09:00:00+08:00'), incidentKey: 'K1:dissatisfaction', evidence: { sourceKey: 'dissatisfied:F1', reason: 'DISSATISFIED', followUpId: 'F1', source: 'staff', note: null, at: at('2026-11-10T09:00:00+08:00') } },
      audit: [audit('follow_up.dissatisfied', 'F1', now)],
      surveyAnswer: {
        newSurvey: { id: 'S2', token: 'token-S2-0123456789', surveyKey: 'satisfaction-5', customerId: customer, expiresAt: at('2026-11-20T20:00:00+08:00') },
        response: { id: 'R1', channel: 'staff', rawText: null, answers: { overall: 2 }, score: 0.25, satisfaction: 'DISSATISFIED' as const, inboundEventId: null, receivedAt: now },
      },
    };
    const applied = await followUps.applyOutcome(outcome);
    const appliedAgain = await followUps.applyOutcome(outcome);
    const retry = await followUps.applyOutcome({ ...outcome, followUpId: 'F2', version: (await followUps.findFollowUpContext('F2'))!.followUp.version, status: 'SCHEDULED', outcome: null, nextDueAt: at('2026-11-11T10:00:00+08:00'), completedAt: null, outbox: [], escalation: null, audit: [], surveyAnswer: null });
    return {
      claimed: claimed.map((c) => c.followUp.id),
      claimedAgain,
      afterLease: afterLease.map((c) => c.followUp.id),
      commit,
      context,
      siblings,
      contacts,
      openByCase,
      contactsByCustomer,
      noContacts,
      open: open.map((c) => c.followUp.id),
      applied,
      appliedAgain,
      retry,
      survey: await ctx.stores.surveys.findSurveyByReplyCode('111111'),
      escalation: await ctx.stores.escalations.findEscalation((await ctx.stores.escalations.listOpenEscalationsOfOwner(ctx.staff.get('hushizhang.chen')!, 5))[0]!.id),
      afterAll: byId(await ctx.stores.cases.listFollowUpsOfCase('K1')),
    };
  },

  'staff tasks: overdue and reminders once, in deadline order': async (ctx) => {
    const nurse = ctx.staff.get('hushi.li')!;
    const now = ctx.clock.now();
    await caseWith(ctx, 'K1', [
      planned('F1', 'a', '2026-11-01T09:00:00+08:00', { assigneeId: nurse, deadlineAt: at('2026-11-09T09:00:00+08:00') }),
      planned('F2', 'b', '2026-11-01T09:00:00+08:00', { assigneeId: nurse, deadlineAt: at('2026-11-08T09:00:00+08:00') }),
      planned('F3', 'c', '2026-11-01T09:00:00+08:00', { assigneeId: nurse, deadlineAt: at('2026-11-30T09:00:00+08:00') }),
    ]);
    const claimed = await ctx.stores.followUps.claimDueFollowUps(now, 60_000, 10);
    await ctx.stores.followUps.commitActivations(
      claimed.map((c) => ({ followUpId: c.followUp.id, version: c.followUp.version, status: 'ACTIVE' as const, remindAt: at('2026-11-10T08:00:00+08:00'), outcomeNote: null, now, survey: null, outbox: [], audit: audit('a', c.followUp.id, now) })),
    );
    const overdue = await ctx.stores.staffTasks.listNewlyOverdue(now, 10);
    const items = overdue.map((c) => ({
      followUpId: c.followUp.id,
      version: c.followUp.version,
      now,
      escalation: { sourceKey: `overdue:${c.followUp.id}:1`, caseId: 'K1', followUpId: c.followUp.id, reason: 'OVERDUE', level: 1, ownerId: ctx.staff.get('hushizhang.chen')!, summary: 's', deadlineAt: at('2026-11-11T09:00:00+08:00'), incidentKey: null, evidence: { sourceKey: `overdue:${c.followUp.id}:1`, reason: 'OVERDUE', followUpId: c.followUp.id, source: 'system', note: null, at: at('2026-11-10T09:00:00+08:00') } },
      outbox: [staffText(`fu:${c.followUp.id}:1:overdue`, nurse, now, c.followUp.id)],
      audit: [audit('follow_up.overdue', c.followUp.id, now)],
    }));
    const committed = await ctx.stores.staffTasks.commitOverdue(items);
    const again = await ctx.stores.staffTasks.commitOverdue(items);
    const reminders = await ctx.stores.staffTasks.listDueReminders(now, 10);
    const reminded = await ctx.stores.staffTasks.commitReminders(reminders.map((r) => ({ followUpId: r.followUp.id, outbox: [staffText(`remind:${r.followUp.id}:1`, nurse, now, r.followUp.id)], audit: audit('follow_up.reminded', r.followUp.id, now) })));
    const remindedAgain = await ctx.stores.staffTasks.commitReminders(reminders.map((r) => ({ followUpId: r.followUp.id, outbox: [], audit: audit('follow_up.reminded', r.followUp.id, now) })));
    return { overdue: overdue.map((c) => c.followUp.id), committed, again, reminders: reminders.map((r) => r.followUp.id), reminded, remindedAgain, counts: await ctx.stores.views.health.statusCounts() };
  },

  'escalations: one per source key, changes by compare-and-set, due and open lists, history': async (ctx) => {
    const { escalations } = ctx.stores;
    const nurse = ctx.staff.get('hushi.li')!;
    const head = ctx.staff.get('hushizhang.chen')!;
    const now = ctx.clock.now();
    await caseWith(ctx, 'K1', [planned('F1', 'phone', START, { assigneeId: nurse })]);
    const e = (id: string, sourceKey: string, deadline: string) => ({
      escalation: { id, sourceKey, caseId: 'K1', followUpId: 'F1', reason: 'DISSATISFIED', level: 1, ownerId: head, summary: 's', deadlineAt: at(deadline), incidentKey: null, evidence: { sourceKey, reason: 'DISSATISFIED', followUpId: 'F1', source: 'staff', note: null, at: now } },
      outbox: [staffText(`esc:${id}:card:1`, head, now)],
      audit: [{ ...audit('escalation.opened', id, now), entityType: 'Escalation' }],
    });
    const opened = await escalations.openEscalations([e('E1', 'src:1', '2026-11-10T08:00:00+08:00'), e('E2', 'src:2', '2026-11-10T07:00:00+08:00'), e('E3', 'src:1', '2026-11-10T06:00:00+08:00')]);
    const openedAgain = await escalations.openEscalations([e('E4', 'src:2', '2026-11-10T06:00:00+08:00')]);
    const due = await escalations.listDueEscalations(now, 10);
    const change = {
      id: 'E1',
      version: 0,
      set: { status: 'RESOLVED' as const, resolvedAt: now, resolvedById: head, note: '处理了', secondFollowUpId: 'F2' },
      secondFollowUp: { ...planned('F2', 'esc2_E1', '2026-11-11T09:00:00+08:00', { assigneeId: nurse, sequence: 1000 }), caseId: 'K1', customerId: ctx.customers.get('P-0001')!, policyId: 'P4' },
      outbox: [],
      audit: [{ ...audit('escalation.resolved', 'E1', now), entityType: 'Escalation' }],
    };
    const updated = await escalations.updateEscalation(change);
    const stale = await escalations.updateEscalation({ ...change, secondFollowUp: null });
    const breached = await escalations.updateEscalation({ id: 'E2', version: 0, set: { breachedAt: now }, outbox: [], audit: [{ ...audit('escalation.breached', 'E2', now), entityType: 'Escalation' }] });
    // The second follow-up's outcome closes the escalation that scheduled it.
    const claimed = await ctx.stores.followUps.claimDueFollowUps(at('2026-11-11T09:00:00+08:00'), 60_000, 10);
    await ctx.stores.followUps.commitActivations(claimed.map((c) => ({ followUpId: c.followUp.id, version: c.followUp.version, status: 'ACTIVE' as const, outcomeNote: null, now, survey: null, outbox: [], audit: audit('a', c.followUp.id, now) })));
    const f2 = (await ctx.stores.followUps.findFollowUpContext('F2'))!.followUp;
    await ctx.stores.followUps.applyOutcome({ followUpId: 'F2', version: f2.version, status: 'DONE', outcome: 'SATISFIED', outcomeNote: null, outcomeById: nurse, attempts: 1, nextDueAt: null, completedAt: now, outbox: [], escalation: null, audit: [audit('x', 'F2', now)] });
    return {
      opened,
      openedAgain,
      due: due.map((x) => x.id),
      updated,
      stale,
      breached,
      dueAfter: (await escalations.listDueEscalations(now, 10)).map((x) => x.id),
      ofOwner: await escalations.listOpenEscalationsOfOwner(head, 10),
      e1: await escalations.findEscalation('E1'),
      history: await escalations.escalationHistory('E1'),
    };
  },

  'surveys: answered once, replies kept, drafts while open, opened once, expiry': async (ctx) => {
    const { surveys } = ctx.stores;
    const now = ctx.clock.now();
    const customer = ctx.customers.get('P-0001')!;
    await caseWith(ctx, 'K1', [
      planned('F1', 's1', START, { action: 'CUSTOMER_SURVEY', channel: 'sms', deadlineAt: at('2026-11-20T20:00:00+08:00') }),
      planned('F2', 's2', START, { action: 'CUSTOMER_SURVEY', channel: 'sms', deadlineAt: at('2026-11-10T10:00:00+08:00') }),
    ]);
    const claimed = await ctx.stores.followUps.claimDueFollowUps(now, 60_000, 10);
    const invite = (surveyId: string, followUpId: string) => ({
      idempotencyKey: `fu:${followUpId}:1`,
      channel: 'sms' as const,
      recipientType: 'customer' as const,
      recipientId: customer,
      followUpId,
      nextAttemptAt: now,
      message: { kind: 'survey_invite' as const, to: { customerId: customer, phoneE164: '+8613800000001' }, templateKey: 'survey_invite', params: [], text: 'x', link: 'l', surveyId, replyCode: null },
    });
    await ctx.stores.followUps.commitActivations(
      claimed.map((c, i) => ({
        followUpId: c.followUp.id,
        version: c.followUp.version,
        status: 'ACTIVE' as const,
        outcomeNote: null,
        now: new Date(now.getTime() + i * 1000),
        survey: { id: `S${i + 1}`, token: `token-S${i + 1}-0123456789`, surveyKey: 'satisfaction-5', expiresAt: c.followUp.deadlineAt, channel: 'sms' as const, replyCodes: ['123456', '234567'] },
        outbox: [invite(`S${i + 1}`, c.followUp.id)],
        audit: audit('survey.sent', c.followUp.id, now),
      })),
    );
    const page = await surveys.findSurveyPage('token-S1-0123456789');
    const draft = await surveys.saveSurveyDraft('S1', { q_overall: '4' }, now);
    const opened = [await surveys.markSurveyOpened('S1', now), await surveys.markSurveyOpened('S1', now)];
    const latest = await surveys.findLatestOpenSurvey(customer, now);
    const answer = {
      surveyId: 'S1',
      response: { id: 'R1', channel: 'sms', rawText: '1', answers: { overall: 1 }, score: 0, satisfaction: 'DISSATISFIED' as const, inboundEventId: 'IN1', receivedAt: now },
      followUpOutcome: 'DISSATISFIED' as const,
      escalation: { sourceKey: 'dissatisfied:F1', caseId: 'K1', followUpId: 'F1', reason: 'DISSATISFIED', level: 1, ownerId: ctx.staff.get('hushizhang.chen')!, summary: 's', deadlineAt: at('2026-11-17T09:00:00+08:00'), incidentKey: 'K1:dissatisfaction', evidence: { sourceKey: 'dissatisfied:F1', reason: 'DISSATISFIED', followUpId: 'F1', source: 'staff', note: null, at: at('2026-11-10T09:00:00+08:00') } },
      outbox: [staffText('esc:card', ctx.staff.get('hushizhang.chen')!, now)],
      audit: [audit('survey.answered', 'S1', now)],
    };
    const recorded = await surveys.recordSurveyAnswer(answer);
    const recordedAgain = await surveys.recordSurveyAnswer(answer);
    const sameEvent = await surveys.recordSurveyAnswer({ ...answer, surveyId: 'S2', response: { ...answer.response, id: 'R2' } });
    await surveys.recordUnparsedReply({ surveyId: 'S2', responseId: 'R3', rawText: '你好', inboundEventId: 'IN2', receivedAt: now });
    await surveys.recordUnparsedReply({ surveyId: 'S2', responseId: 'R4', rawText: '你好', inboundEventId: 'IN2', receivedAt: now });
    const draftAfter = await surveys.saveSurveyDraft('S1', { q_overall: '5' }, now);
    const expired = await surveys.expireSurveys(at('2026-11-10T10:00:00+08:00'));
    return {
      page,
      draft,
      opened,
      latest,
      recorded,
      recordedAgain,
      sameEvent,
      draftAfter,
      expired,
      byCode: await surveys.findSurveyByReplyCode('234567'),
      freedCode: await surveys.findSurveyByReplyCode('123456'),
      byToken: await surveys.findSurveyByToken('token-S2-0123456789'),
      latestAfter: await surveys.findLatestOpenSurvey(customer, now),
      // Asked at the same moment: one statement on the databases, each answered as alone (expired by then: none).
      latestTogether: await Promise.all([
        surveys.findLatestOpenSurvey(customer, now),
        surveys.findLatestOpenSurvey('nobody', now),
        surveys.findLatestOpenSurvey(customer, at('2026-12-31T00:00:00+08:00')),
        surveys.findLatestOpenSurvey(customer, now),
      ]),
      followUps: byId(await ctx.stores.cases.listFollowUpsOfCase('K1')),
    };
  },

  'survey fallbacks: unopened WeChat invitations listed, SMS enqueued once, busy while sending': async (ctx) => {
    const now = ctx.clock.now();
    const customer = ctx.customers.get('P-0001')!;
    await caseWith(ctx, 'K1', [planned('F1', 's1', '2026-11-01T09:00:00+08:00', { action: 'CUSTOMER_SURVEY', channel: 'wechat', deadlineAt: at('2026-11-20T20:00:00+08:00') }), planned('F2', 's2', '2026-11-01T09:00:00+08:00', { action: 'CUSTOMER_SURVEY', channel: 'wechat', deadlineAt: at('2026-11-20T20:00:00+08:00') })]);
    const claimed = await ctx.stores.followUps.claimDueFollowUps(now, 60_000, 10);
    const wechatInvite = (surveyId: string, followUpId: string, dueAt: Date): NewOutboxMessage => ({
      idempotencyKey: `fu:${followUpId}:1`,
      channel: 'wechat',
      recipientType: 'customer',
      recipientId: customer,
      followUpId,
      nextAttemptAt: dueAt,
      message: { kind: 'survey_invite', to: { customerId: customer, openId: 'o1' }, templateKey: 'survey_invite', params: [], text: 'x', link: 'l', surveyId },
    });
    await ctx.stores.followUps.commitActivations(
      claimed.map((c, i) => ({
        followUpId: c.followUp.id,
        version: c.followUp.version,
        status: 'ACTIVE' as const,
        outcomeNote: null,
        now: at('2026-11-08T09:00:00+08:00'),
        survey: { id: `S${i + 1}`, token: `token-S${i + 1}-0123456789`, surveyKey: 'satisfaction-5', expiresAt: c.followUp.deadlineAt, channel: 'wechat' as const },
        // S1's invitation is due now, S2's later: the claim below takes S1's.
        outbox: [wechatInvite(`S${i + 1}`, c.followUp.id, i === 0 ? now : new Date(now.getTime() + 3_600_000))],
        audit: audit('survey.sent', c.followUp.id, now),
      })),
    );
    const listed = await ctx.stores.surveyFallbacks.listUnopenedSurveys({ now, sentBefore: at('2026-11-09T09:00:00+08:00'), afterId: null, limit: 10 });
    // S1's invitation is being sent right now.
    const [sending] = await ctx.stores.outbox.claimOutbox(now, 60_000, 10, 'claim-1');
    const fallback = (surveyId: string, invite: { id: string; idempotencyKey: string }) => ({
      surveyId,
      from: 'wechat',
      replyCodes: ['654321', '765432'],
      message: { ...customerSms(`${invite.idempotencyKey}:sms`, customer, now), fallbackOfId: invite.id },
      cancelPendingId: invite.id,
      audit: audit('survey.fallback', surveyId, now),
    });
    const results = [];
    for (const l of listed) results.push(await ctx.stores.surveyFallbacks.commitSurveyFallback(fallback(l.surveyId, l.invite!)));
    for (const l of listed) results.push(await ctx.stores.surveyFallbacks.commitSurveyFallback(fallback(l.surveyId, l.invite!)));
    return {
      listed,
      sending: sending?.id,
      results,
      found: await ctx.stores.surveyFallbacks.findWechatInviteSurvey(sending!.id),
      notFound: await ctx.stores.surveyFallbacks.findWechatInviteSurvey('nope'),
      listedAfter: await ctx.stores.surveyFallbacks.listUnopenedSurveys({ now, sentBefore: at('2026-11-09T09:00:00+08:00'), afterId: null, limit: 10 }),
    };
  },

  'survey fallbacks along the chain: WeChat to 客户联系 once, guarded by the survey’s channel, then SMS': async (ctx) => {
    const now = ctx.clock.now();
    const customer = ctx.customers.get('P-0001')!;
    await caseWith(ctx, 'K1', [planned('F1', 's1', '2026-11-01T09:00:00+08:00', { action: 'CUSTOMER_SURVEY', channel: 'wechat', deadlineAt: at('2026-11-20T20:00:00+08:00') })]);
    const [c] = await ctx.stores.followUps.claimDueFollowUps(now, 60_000, 10);
    const message = { kind: 'survey_invite' as const, to: { customerId: customer, openId: 'o1' }, templateKey: 'survey_invite', params: [], text: 'x', link: 'l', surveyId: 'S1', chain: ['wechat', 'wecom_contact', 'sms'] as const };
    await ctx.stores.followUps.commitActivations([
      {
        followUpId: c!.followUp.id,
        version: c!.followUp.version,
        status: 'ACTIVE',
        outcomeNote: null,
        now,
        survey: { id: 'S1', token: 'token-S1-0123456789', surveyKey: 'satisfaction-5', expiresAt: at('2026-11-20T20:00:00+08:00'), channel: 'wechat' },
        outbox: [{ idempotencyKey: 'fu:F1:1', channel: 'wechat', recipientType: 'customer', recipientId: customer, followUpId: 'F1', nextAttemptAt: new Date(now.getTime() + 3_600_000), message }],
        audit: audit('survey.sent', 'F1', now),
      },
    ]);
    const [wechat] = await ctx.stores.surveyFallbacks.listUnopenedSurveys({ now, sentBefore: now, afterId: null, limit: 10 });
    const later = new Date(now.getTime() + 60_000);
    const toContact = {
      surveyId: 'S1',
      from: 'wechat',
      replyCodes: [],
      message: {
        idempotencyKey: 'fu:F1:1:wecom_contact',
        channel: 'wecom_contact' as const,
        recipientType: 'customer' as const,
        recipientId: customer,
        followUpId: 'F1',
        nextAttemptAt: later,
        fallbackOfId: wechat!.invite!.id,
        message: { ...message, to: { customerId: customer, wecomContact: { externalUserId: 'wm1', followUserId: 'u1' } } },
      },
      cancelPendingId: wechat!.invite!.id,
      audit: audit('survey.fallback', 'S1', later),
    };
    const first = await ctx.stores.surveyFallbacks.commitSurveyFallback(toContact);
    const again = await ctx.stores.surveyFallbacks.commitSurveyFallback(toContact);
    const listedAfter = await ctx.stores.surveyFallbacks.listUnopenedSurveys({ now: later, sentBefore: later, afterId: null, limit: 10 });
    const [contactRow] = (await ctx.stores.outbox.claimOutbox(later, 60_000, 10, 'T')).filter((m) => m.channel === 'wecom_contact');
    // The WeChat invitation no longer moves the survey; the 客户联系 one does.
    const staleWechat = await ctx.stores.surveyFallbacks.findWechatInviteSurvey(wechat!.invite!.id);
    const current = await ctx.stores.surveyFallbacks.findWechatInviteSurvey(contactRow!.id);
    const toSms = { surveyId: 'S1', from: 'wecom_contact', replyCodes: ['888888'], message: { ...customerSms('fu:F1:1:sms', customer, later, 'service', 'F1'), fallbackOfId: contactRow!.id }, audit: audit('survey.fallback', 'S1', later) };
    const fromWrongChannel = await ctx.stores.surveyFallbacks.commitSurveyFallback({ ...toSms, from: 'wechat' });
    const sms = await ctx.stores.surveyFallbacks.commitSurveyFallback(toSms);
    // What both stores must do, beyond doing the same.
    expect([first, again, fromWrongChannel, sms, staleWechat, current?.invite?.channel]).toEqual(['enqueued', 'not_needed', 'not_needed', 'enqueued', null, 'wecom_contact']);
    // A survey on 客户联系 is listed with its 客户联系 invitation, not delivered yet (the member has not sent it).
    expect(listedAfter.map((l) => [l.surveyId, l.invite?.channel, l.invite?.deliveredAt])).toEqual([['S1', 'wecom_contact', null]]);
    return {
      first,
      again,
      listedAfter,
      contact: { key: contactRow?.idempotencyKey, fallbackOf: contactRow ? 'wechat' : null },
      staleWechat,
      current: current ? { surveyId: current.surveyId, channel: current.invite?.channel } : null,
      fromWrongChannel,
      sms,
      survey: await ctx.stores.surveys.findSurveyByReplyCode('888888'),
    };
  },

  'outbox: keys once, leases and claim tokens, retry budget, dead letters, consent cancels, delivery reports': async (ctx) => {
    const { outbox } = ctx.stores;
    const nurse = ctx.staff.get('hushi.li')!;
    const p1 = ctx.customers.get('P-0001')!;
    const now = ctx.clock.now();
    // A limited claim is never asked to choose among more due messages than its limit: on PostgreSQL
    // the Prisma store's claim can take more than `limit` (its IN-subquery is run again per row).
    const enqueued = await outbox.enqueue([staffText('o:1', nurse, now), staffText('o:2', nurse, now), staffText('o:1', nurse, now), customerSms('o:3', p1, new Date(now.getTime() + 1000)), customerSms('o:4', p1, new Date(now.getTime() + 3_600_000))]);
    const enqueuedAgain = await outbox.enqueue([staffText('o:2', nurse, now)]);
    // Due now: o:1 and o:2; o:3 a second later, o:4 in an hour.
    const backlog = [await ctx.stores.views.health.backlog(now), await ctx.stores.views.health.backlog(new Date(now.getTime() - 1000))];
    const first = byId(await outbox.claimOutbox(now, 60_000, 2, 'A'));
    const second = byId(await outbox.claimOutbox(new Date(now.getTime() + 1000), 60_000, 10, 'B'));
    const none = await outbox.claimOutbox(new Date(now.getTime() + 1000), 60_000, 10, 'C');
    const expired = byId(await outbox.claimOutbox(new Date(now.getTime() + 60_000), 60_000, 10, 'D'));
    const base = (m: { id: string; attempt: number }, token: string) => ({ id: m.id, claimToken: token, attempt: m.attempt, startedAt: now, finishedAt: now });
    const results = [
      await outbox.completeOutbox({ ...base(first[0]!, 'A'), outcome: 'SENT', providerMessageId: 'late' }),
      await outbox.completeOutbox({ ...base(expired[0]!, 'D'), outcome: 'SENT', providerMessageId: 'pm-1' }),
      await outbox.completeOutbox({ ...base(expired[1]!, 'D'), outcome: 'RETRY', nextAttemptAt: new Date(now.getTime() + 30_000), errorCode: '45009', error: 'limited', extendBudget: true }),
      await outbox.completeOutbox({ ...base(second[0]!, 'B'), outcome: 'DEAD', errorCode: 'INVALID_NUMBER', error: 'no such number', invalidRecipientPhone: true }),
    ];
    const retried = byId(await outbox.claimOutbox(new Date(now.getTime() + 120_000), 60_000, 10, 'E'));
    const cancelled = await outbox.completeOutbox({ ...base(retried[0]!, 'E'), outcome: 'CANCELLED', errorCode: 'CUSTOMER_OPTED_OUT', error: 'opted out', audit: audit('outbox.cancelled', retried[0]!.id, now) });
    const afterInvalid = await outbox.enqueue([customerSms('o:5', p1, now)]);
    return {
      enqueued,
      enqueuedAgain,
      first,
      second,
      none,
      expired,
      results,
      retried,
      cancelled,
      afterInvalid,
      sentSince: [await outbox.countSentSince('wecom', now), await outbox.countSentSince('wecom', now, ['staff_text']), await outbox.countSentSince('sms', now)],
      reports: [
        await outbox.recordDeliveryReport({ providerMessageId: 'pm-1', idempotencyKey: null, status: 'DELIVERED', error: null, at: now, invalidNumber: false }),
        await outbox.recordDeliveryReport({ providerMessageId: 'unknown', idempotencyKey: 'o:3', status: 'FAILED', error: 'x', at: now, invalidNumber: true }),
        await outbox.recordDeliveryReport({ providerMessageId: 'unknown', idempotencyKey: null, status: 'FAILED', error: 'x', at: now, invalidNumber: false }),
      ],
      customer: await ctx.stores.customers.findCustomersByIds([p1]).then((m) => m.get(p1)),
      counts: await ctx.stores.views.health.statusCounts(),
      backlog: [...backlog, await ctx.stores.views.health.backlog(new Date(now.getTime() + 7_200_000))],
    };
  },

  'a dead WeChat survey invitation commits its SMS replacement with the DEAD mark': async (ctx) => {
    const now = ctx.clock.now();
    const customer = ctx.customers.get('P-0001')!;
    await caseWith(ctx, 'K1', [planned('F1', 's1', '2026-11-01T09:00:00+08:00', { action: 'CUSTOMER_SURVEY', channel: 'wechat', deadlineAt: at('2026-11-20T20:00:00+08:00') })]);
    const [c] = await ctx.stores.followUps.claimDueFollowUps(now, 60_000, 10);
    await ctx.stores.followUps.commitActivations([
      {
        followUpId: 'F1',
        version: c!.followUp.version,
        status: 'ACTIVE',
        outcomeNote: null,
        now,
        survey: { id: 'S1', token: 'token-S1-0123456789', surveyKey: 'satisfaction-5', expiresAt: at('2026-11-20T20:00:00+08:00'), channel: 'wechat' },
        outbox: [{ idempotencyKey: 'fu:F1:1', channel: 'wechat', recipientType: 'customer', recipientId: customer, followUpId: 'F1', nextAttemptAt: now, message: { kind: 'survey_invite', to: { customerId: customer, openId: 'o1' }, templateKey: 'survey_invite', params: [], text: 'x', link: 'l', surveyId: 'S1' } }],
        audit: audit('survey.sent', 'F1', now),
      },
    ]);
    const [invite] = await ctx.stores.outbox.claimOutbox(now, 60_000, 10, 'T');
    const replacement = (surveyId: string) => ({
      kind: 'survey_sms' as const,
      fallback: { surveyId, from: 'wechat', replyCodes: ['999999'], message: { ...customerSms('fu:F1:1:sms', customer, now), fallbackOfId: invite!.id }, audit: audit('survey.fallback', surveyId, now) },
    });
    const dead = await ctx.stores.outbox.completeOutbox({ id: invite!.id, claimToken: 'T', attempt: 1, startedAt: now, finishedAt: now, outcome: 'DEAD', errorCode: '43004', error: 'unfollowed', replacement: replacement('S1') });
    const sms = byId(await ctx.stores.outbox.claimOutbox(now, 60_000, 10, 'U'));
    return { dead, sms, survey: await ctx.stores.surveys.findSurveyByReplyCode('999999') };
  },

  'inbox: one event per (source, dedupe key), leased, retried while attempts remain': async (ctx) => {
    const { inbox } = ctx.stores;
    const now = ctx.clock.now();
    const event = (id: string, dedupeKey: string, minutes: number) => ({ id, source: 'sms', dedupeKey, kind: 'sms_reply', payload: { text: dedupeKey }, receivedAt: new Date(now.getTime() + minutes * 60_000) });
    const recorded = [await inbox.recordInbound(event('I1', 'a', 0)), await inbox.recordInbound(event('I2', 'a', 1)), await inbox.recordInbound(event('I3', 'b', -1))];
    const backlogWhenRecorded = await ctx.stores.views.health.backlog(now);
    const claimed = await inbox.claimInbound('I1', now, 60_000);
    const claimedAgain = await inbox.claimInbound('I1', now, 60_000);
    const pending = await inbox.listPendingInbound(now, 10, 3);
    await inbox.finishInbound('I1', 'FAILED', now, {}, 'boom');
    const retry = await inbox.claimInbound('I1', now, 60_000);
    await inbox.finishInbound('I1', 'FAILED', now, {}, 'boom');
    await inbox.claimInbound('I3', now, 60_000);
    await inbox.finishInbound('I3', 'PROCESSED', now, { ok: true });
    return {
      recorded,
      claimed,
      claimedAgain,
      pending,
      retry,
      pendingWithAttempts: await inbox.listPendingInbound(now, 10, 3),
      pendingOutOfAttempts: await inbox.listPendingInbound(now, 10, 2),
      processedClaim: await inbox.claimInbound('I3', now, 60_000),
      counts: await ctx.stores.views.health.statusCounts(),
      backlog: [backlogWhenRecorded, await ctx.stores.views.health.backlog(now)],
    };
  },

  'outbox: a send marked as started is held UNCERTAIN with its evidence, and a person resends or settles it': async (ctx) => {
    const { outbox } = ctx.stores;
    const now = ctx.clock.now();
    const staffId = ctx.staff.get('hushi.li')!;
    const text = (key: string): NewOutboxMessage => ({ idempotencyKey: key, channel: 'wecom', recipientType: 'staff', recipientId: staffId, followUpId: null, nextAttemptAt: now, message: { kind: 'staff_text', to: { staffId, wecomUserId: 'hushi.li' }, text: key } });
    await outbox.enqueue([text('u:1'), text('u:2'), text('u:3')]);
    const claimed = byId(await outbox.claimOutbox(now, 60_000, 10, 'T'));
    const marks = [await outbox.markSendStarted(claimed[0]!.id, 'T', now, new Date(now.getTime() + 60_000)), await outbox.markSendStarted(claimed[1]!.id, 'T', now, new Date(now.getTime() + 60_000)), await outbox.markSendStarted(claimed[2]!.id, 'stale', now, new Date(now.getTime() + 60_000))];
    const later = new Date(now.getTime() + 120_000);
    const reclaimed = byId(await outbox.claimOutbox(later, 60_000, 10, 'U'));
    const hold = (id: string) => outbox.completeOutbox({ id, claimToken: 'U', attempt: 2, startedAt: now, finishedAt: later, outcome: 'UNCERTAIN', errorCode: 'SEND_UNCONFIRMED', error: 'cannot tell', audit: audit('outbox.uncertain', id, later) });
    const waiting = await outbox.completeOutbox({ id: claimed[2]!.id, claimToken: 'U', attempt: 2, startedAt: later, finishedAt: later, outcome: 'RETRY', nextAttemptAt: later, errorCode: 'SEND_UNCONFIRMED', error: 'not yet', extendBudget: true, keepSendStarted: true });
    const held = [await hold(claimed[0]!.id), await hold(claimed[1]!.id)];
    const listed = await outbox.listUncertain(10);
    const resolved = [
      await outbox.resolveUncertain(claimed[0]!.id, 'resend', audit('outbox.resend', claimed[0]!.id, later)),
      await outbox.resolveUncertain(claimed[1]!.id, 'settle', audit('outbox.settle', claimed[1]!.id, later)),
      await outbox.resolveUncertain(claimed[1]!.id, 'resend', audit('outbox.resend', claimed[1]!.id, later)),
    ];
    return { marks, reclaimed, waiting, held, listed, resolved, again: byId(await outbox.claimOutbox(later, 60_000, 10, 'V')), backlog: await ctx.stores.views.health.backlog(later) };
  },

  'inbox: a failed event waits for its next attempt, ends DEAD, is listed and replayed': async (ctx) => {
    const { inbox } = ctx.stores;
    const now = ctx.clock.now();
    await inbox.recordInbound({ id: 'D1', source: 'sms', dedupeKey: 'd1', kind: 'sms_reply', payload: {}, receivedAt: now });
    await inbox.claimInbound('D1', now, 60_000);
    const next = new Date(now.getTime() + 60_000);
    await inbox.finishInbound('D1', 'FAILED', now, {}, 'boom', next);
    const early = [await inbox.listPendingInbound(now, 10, 3), await inbox.claimInbound('D1', now, 60_000)];
    const due = [await inbox.listPendingInbound(next, 10, 3), await inbox.claimInbound('D1', next, 60_000)];
    await inbox.finishInbound('D1', 'DEAD', next, {}, 'boom again');
    const dead = await inbox.listDeadInbound(10, 3);
    const backlog = await ctx.stores.views.health.backlog(next);
    const replayed = [await inbox.replayInbound('D1', 3), await inbox.replayInbound('D1', 3)];
    return { early, due, dead, backlog, replayed, pending: await inbox.listPendingInbound(next, 10, 3), deadAfter: await inbox.listDeadInbound(10, 3) };
  },

  'greetings: planning runs claimed once per interval, rows once per occasion and customer, queued once': async (ctx) => {
    const g = ctx.stores.greetings;
    const now = ctx.clock.now();
    const runs = [
      await g.claimPlanningRun('spring', '2027-02-06', now, 3_600_000),
      await g.claimPlanningRun('spring', '2027-02-06', new Date(now.getTime() + 60_000), 3_600_000),
      await g.claimPlanningRun('spring', '2027-02-06', new Date(now.getTime() + 3_600_000), 3_600_000),
    ];
    await g.releasePlanningRun('spring', '2027-02-06', new Date(now.getTime() + 3_600_000), now);
    const afterRelease = await g.claimPlanningRun('spring', '2027-02-06', new Date(now.getTime() + 60_000), 3_600_000);
    const p1 = ctx.customers.get('P-0001')!;
    const p2 = ctx.customers.get('P-0002')!;
    const row = (customerId: string, status: 'PLANNED' | 'SKIPPED', minutes: number) => ({
      occasionKey: 'spring_festival:2027',
      customerId,
      status,
      skipReason: status === 'SKIPPED' ? ('NO_CONSENT' as const) : null,
      channel: status === 'PLANNED' ? ('sms' as const) : null,
      segment: 'all',
      scheduledAt: new Date(now.getTime() + minutes * 60_000),
    });
    const inserted = await g.insertRows('spring', [row(p1, 'PLANNED', 0), row(p2, 'SKIPPED', 1)], now);
    const insertedAgain = await g.insertRows('other', [row(p1, 'PLANNED', 5)], now);
    const due = await g.listDueUnqueued(now, 10);
    const queued = await g.enqueue(due[0]!, 'sms', customerSms('greeting:spring_festival:2027:P1', p1, now, 'marketing'), now);
    const queuedAgain = await g.enqueue(due[0]!, 'sms', customerSms('greeting:spring_festival:2027:P1', p1, now, 'marketing'), now);
    const listed = await g.listQueued(now, 10);
    const cancelled = await g.cancelPending(listed[0]!.outboxMessageId!, now);
    const finished = [await g.finish(listed[0]!, 'FAILED', 'WINDOW_MISSED', now), await g.finish(listed[0]!, 'SENT', null, now)];
    return {
      runs,
      afterRelease,
      inserted,
      insertedAgain,
      due: due.map(greetingRow),
      queued,
      queuedAgain,
      listed: listed.map(greetingRow),
      cancelled,
      finished,
      report: (await g.listForReport('spring_festival:2027', null)).map(greetingRow),
      keys: await g.listOccasionKeys('spring'),
      existing: await g.findByOccasions(['spring_festival:2027']),
      customers: (await g.listCustomers()).filter((c) => c.id === p1 || c.id === p2),
      byIds: [...(await g.findCustomers([p2])).values()],
    };
  },

  'webhooks: subscriptions added and removed with their audit, source entries with their case, deliveries once with the cursor': async (ctx) => {
    const { webhooks } = ctx.stores;
    const now = ctx.clock.now();
    await caseWith(ctx, 'K1', [planned('F1', 'phone', START)]);
    await ctx.stores.audit.record({ ...audit('case.created', 'K1', now), entityType: 'Case' });
    await ctx.stores.audit.record({ ...audit('follow_up.satisfied', 'F1', now, { status: 'DONE' }), entityType: 'FollowUp' });
    const subscription = { id: 'W1', url: 'https://crm.example.com/h', events: ['case.created', 'followup.completed'], active: true, createdAt: now, coveredUntil: now, timeoutMs: 5_000, maxAttempts: 3, previousSecretUntil: null };
    await webhooks.addWebhookSubscription({ ...subscription, secret: 'whsec_1' }, audit('webhook.subscription_added', 'W1', now));
    await webhooks.addWebhookSubscription({ ...subscription, id: 'W2', secret: 'whsec_2' }, audit('webhook.subscription_added', 'W2', now));
    const entries = await webhooks.webhookSourceEntries(['case.created', 'follow_up.satisfied'], at('2026-11-01T00:00:00+08:00'), now, 10);
    const delivery = (key: string): NewOutboxMessage => ({
      idempotencyKey: key,
      channel: 'webhook',
      recipientType: 'webhook',
      recipientId: 'W1',
      followUpId: null,
      nextAttemptAt: now,
      maxAttempts: 12,
      message: { kind: 'webhook', to: { subscriptionId: 'W1', url: subscription.url }, event: { id: key, type: 'case.created', occurredAt: now.toISOString(), data: {} } },
    });
    const later = at('2026-11-10T10:00:00+08:00');
    const queued = [await webhooks.queueWebhookDeliveries('W1', [delivery('wh:W1:a'), delivery('wh:W1:b')], later), await webhooks.queueWebhookDeliveries('W1', [delivery('wh:W1:a')], later)];
    const removed = [await webhooks.removeWebhookSubscription('W2', later, audit('webhook.subscription_removed', 'W2', later)), await webhooks.removeWebhookSubscription('W2', later, audit('webhook.subscription_removed', 'W2', later))];
    return {
      entries,
      queued,
      removed,
      listed: await webhooks.listWebhookSubscriptions(),
      secrets: [await webhooks.webhookSigning('W1', later), await webhooks.webhookSigning('W2', later), await webhooks.webhookSigning('nope', later)],
      rotated: [
        await webhooks.rotateWebhookSecret('W1', 'whsec_1b', at('2026-11-11T10:00:00+08:00'), audit('webhook.secret_rotated', 'W1', later)),
        await webhooks.rotateWebhookSecret('W2', 'whsec_2b', at('2026-11-11T10:00:00+08:00'), audit('webhook.secret_rotated', 'W2', later)),
      ],
      duringOverlap: await webhooks.webhookSigning('W1', later),
      afterOverlap: await webhooks.webhookSigning('W1', at('2026-11-11T10:00:00+08:00')),
      found: [await webhooks.findWebhookSubscription('W1'), await webhooks.findWebhookSubscription('W2')],
      limited: (await webhooks.webhookSourceEntries(['case.created', 'webhook.subscription_added'], at('2026-11-01T00:00:00+08:00'), now, 2)).map((e) => e.auditId),
    };
  },

  'directory, customer import, settings, digests and reports': async (ctx) => {
    const directory = ctx.stores.directory;
    const before = await directory.staff.readDirectory();
    const ward = before.departments.find((d) => d.code === 'cardiology')!;
    const centre = before.departments.find((d) => d.code === 'service-centre')!;
    await directory.staff.applyDirectoryChanges({
      writeStaff: [{ create: true, id: 'NEW1', wecomUserId: 'new.one', name: '新人', departmentId: ward.id, roles: 'nurse', active: true, source: 'wecom' }],
      heads: [{ departmentId: centre.id, headId: ctx.staff.get('kezhuren.wang')! }],
      deactivate: { ids: ['NEW1', ctx.staff.get('hushi.zhou')!], source: 'wecom' },
      touchSynced: { ids: ['NEW1'], at: ctx.clock.now() },
    });
    let failed = false;
    try {
      await directory.staff.applyDirectoryChanges({ createDepartments: [{ id: 'D9', code: 'd9', name: 'x', parentId: null, path: '/D9/' }], writeStaff: [{ create: true, id: 'NEW2', wecomUserId: 'new.one', name: '重复', departmentId: ward.id, roles: '', active: true, source: 'import' }] });
    } catch {
      failed = true;
    }
    await directory.customers.writeCustomerBatch({ create: [{ id: 'C9', externalId: 'X-9', name: '导入', tags: ['vip'], phoneE164: '+8613599990009', birthday: '05-01', consentMarketing: true }], update: [{ id: ctx.customers.get('P-0002')!, fields: { tags: ['x'], salutation: '张总' } }] });
    const settings = [await ctx.stores.settings.getOrCreateSetting('link_secret', () => 'first'), await ctx.stores.settings.getOrCreateSetting('link_secret', () => 'second')];
    const recipients = await ctx.stores.digests.listDigestRecipients();
    const message = staffText('digest:2026-W46:x', ctx.staff.get('yuanzhang.liu')!, ctx.clock.now());
    const after = await directory.staff.readDirectory();
    return {
      // Neither port orders its lists.
      after: { staff: byId(after.staff), departments: byId(after.departments) },
      failed,
      org: await ctx.stores.org.loadOrgSnapshot().then((o) => ({ staff: byId([...o.staff.values()]), departments: byId([...o.departments.values()]) })),
      byWecom: [await ctx.stores.org.findStaffByWecomUserId('new.one'), await ctx.stores.org.findStaffByWecomUserId('nobody')],
      imported: byId(await directory.customers.findCustomersForImport({ externalIds: ['X-9', 'P-0002'], phones: ['+8613599990009'] })),
      settings,
      recipients,
      reportRecipients: await ctx.stores.reports.listReportRecipients(),
      once: [await ctx.stores.digests.enqueueOnce(message), await ctx.stores.reports.enqueueOnce(message)],
      keys: [...(await ctx.stores.digests.existingOutboxKeys([message.idempotencyKey, 'nope']))],
    };
  },

  'digest input and monthly report read the same rows': async (ctx) => {
    const nurse = ctx.staff.get('hushi.li')!;
    const ward = (await ctx.stores.directory.staff.readDirectory()).departments.find((d) => d.code === 'cardiology')!;
    await ctx.stores.cases.createCase({
      id: 'K1',
      policyId: 'P4',
      customerId: ctx.customers.get('P-0001')!,
      case: caseInput('EXT-K1', { departmentId: ward.id, responsibleStaffId: nurse }),
      followUps: [
        planned('F1', 'phone', '2026-11-02T09:00:00+08:00', { assigneeId: nurse, deadlineAt: at('2026-11-05T09:00:00+08:00') }),
        planned('F2', 'survey', '2026-11-02T09:00:00+08:00', { action: 'CUSTOMER_SURVEY', channel: 'sms', deadlineAt: at('2026-11-11T09:00:00+08:00') }),
      ],
      audit: audit('case.created', 'K1', ctx.clock.now()),
    });
    const now = at('2026-11-09T10:00:00+08:00');
    const claimed = await ctx.stores.followUps.claimDueFollowUps(now, 60_000, 10);
    await ctx.stores.followUps.commitActivations(claimed.map((c) => ({ followUpId: c.followUp.id, version: c.followUp.version, status: 'ACTIVE' as const, outcomeNote: null, now, survey: null, outbox: [], audit: audit('a', c.followUp.id, now) })));
    const f1 = (await ctx.stores.followUps.findFollowUpContext('F1'))!.followUp;
    await ctx.stores.followUps.applyOutcome({ followUpId: 'F1', version: f1.version, status: 'DONE', outcome: 'SATISFIED', outcomeNote: null, outcomeById: nurse, attempts: 1, nextDueAt: null, completedAt: now, outbox: [], escalation: null, audit: [audit('x', 'F1', now)] });
    const recipients = await ctx.stores.digests.listDigestRecipients();
    const head = recipients.find((r) => r.wecomUserId === 'kezhuren.wang')!;
    return {
      digest: await ctx.stores.digests.loadDigestInput(head, { from: at('2026-11-02T00:00:00+08:00'), to: at('2026-11-09T00:00:00+08:00'), asOf: now, timeZone: TIME_ZONE }),
      report: await ctx.stores.reports.loadMonthlyReport({ rootDepartmentId: null }, '2026-11', now),
      wardReport: await ctx.stores.reports.loadMonthlyReport({ rootDepartmentId: ward.id }, '2026-11', now),
    };
  },
  'shared windows: one holder at a time, a strike per block, release by holder, ended ones forgotten': async (ctx) => {
    const { windows } = ctx.stores;
    const now = at('2026-11-09T10:00:00+08:00');
    const later = (ms: number) => new Date(now.getTime() + ms);
    const first = await windows.reserve('survey-gap:C1', 'S1', later(72 * 3_600_000), now);
    const other = await windows.reserve('survey-gap:C1', 'S2', later(72 * 3_600_000), now);
    const same = await windows.reserve('survey-gap:C1', 'S1', later(73 * 3_600_000), later(3_600_000));
    const afterGap = await windows.reserve('survey-gap:C1', 'S2', later(150 * 3_600_000), later(73 * 3_600_000));
    const forced = await windows.reserve('survey-gap:C1', 'S3', later(80 * 3_600_000), later(74 * 3_600_000), { force: true });
    const steps = [later(60_000), later(3_600_000), later(14 * 3_600_000)];
    const strikes = [
      await windows.strike('wecom-45009:A', now, steps),
      await windows.strike('wecom-45009:A', later(30_000), steps),
      await windows.strike('wecom-45009:A', later(60_000), steps),
      await windows.strike('wecom-45009:A', later(3_600_000), steps),
      await windows.strike('wecom-45009:A', later(15 * 3_600_000), steps),
    ];
    // Two a minute and three an hour, sliding.
    const caps = [
      { windowMs: 60_000, max: 2 },
      { windowMs: 3_600_000, max: 3 },
    ];
    const admissions = [
      await windows.admit('wecom-member:a', now, caps),
      await windows.admit('wecom-member:a', later(10_000), caps),
      await windows.admit('wecom-member:a', later(20_000), caps),
      await windows.admit('wecom-member:a', later(60_000), caps),
      await windows.admit('wecom-member:a', later(75_000), caps),
    ];
    await windows.withdraw('wecom-member:a', 3);
    await windows.withdraw('wecom-member:a', 9);
    admissions.push(await windows.admit('wecom-member:a', later(75_000), caps));
    expect(admissions).toEqual([
      { admitted: true, seq: 1 },
      { admitted: true, seq: 2 },
      { admitted: false, retryAt: later(60_000) },
      { admitted: true, seq: 3 },
      { admitted: false, retryAt: later(3_600_000) },
      { admitted: true, seq: 4 },
    ]);
    // An event recorded at the latest instant it can happen counts from the start, and is moved earlier (never
    // later, never back from withdrawn) once it is known to have happened.
    const pending = [
      await windows.admit('wecom-member:b', now, caps, later(30_000)),
      await windows.admit('wecom-member:b', later(1_000), caps),
      await windows.admit('wecom-member:b', later(2_000), caps),
    ];
    await windows.settle('wecom-member:b', 1, later(500));
    await windows.settle('wecom-member:b', 1, later(10_000));
    await windows.withdraw('wecom-member:b', 2);
    await windows.settle('wecom-member:b', 2, later(1_000));
    pending.push(await windows.admit('wecom-member:b', later(2_000), caps));
    expect(pending).toEqual([{ admitted: true, seq: 1 }, { admitted: true, seq: 2 }, { admitted: false, retryAt: later(61_000) }, { admitted: true, seq: 3 }]);
    await windows.reserve('sms-same:X', 'M1', later(30_000), now);
    await windows.release('sms-same:X', 'M2');
    const kept = await windows.read('sms-same:X');
    await windows.release('sms-same:X', 'M1');
    await windows.reserve('sms-same:Y', 'M2', later(30_000), now);
    await windows.release('wecom-45009:B');
    const forgotten = await windows.forgetEnded(later(3_600_000));
    // Events go once past their longest window: a's first three (the withdrawn one too) and b's three, not a's fourth.
    expect(await windows.forgetEnded(later(3_600_000 + 70_000))).toBe(6);
    expect(await windows.admit('wecom-member:a', later(3_600_000 + 70_000), caps)).toEqual({ admitted: true, seq: 5 });
    expect([first.taken, other.taken, same.taken, afterGap.taken, forced.taken]).toEqual([true, false, true, true, true]);
    expect(other).toMatchObject({ holder: 'S1', until: later(72 * 3_600_000) });
    expect(strikes.map((w) => [w.count, w.until])).toEqual([
      [1, steps[0]],
      [1, steps[0]],
      [2, steps[1]],
      [3, steps[2]],
      [3, steps[2]],
    ]);
    expect(kept).toMatchObject({ holder: 'M1' });
    return { first, other, same, afterGap, forced, strikes, admissions, pending, kept, gone: await windows.read('sms-same:X'), forgotten, left: await windows.read('wecom-45009:A') };
  },
};

/** Prisma model of each memory table. */
const MODELS: Record<TableName, string> = {
  department: 'department',
  staff: 'staff',
  customer: 'customer',
  case: 'case',
  followUp: 'followUp',
  survey: 'surveyInstance',
  surveyResponse: 'surveyResponse',
  outbox: 'outboxMessage',
  outboxAttempt: 'outboxAttempt',
  inbound: 'inboundEvent',
  escalation: 'escalation',
  escalationEvidence: 'escalationEvidence',
  audit: 'auditLog',
  webhookSubscription: 'webhookSubscription',
  sandboxDelivery: 'sandboxDelivery',
  setting: 'setting',
  greetingPlanRun: 'greetingPlanRun',
  greetingDelivery: 'greetingDelivery',
  sharedWindow: 'sharedWindow',
  sharedWindowEvent: 'sharedWindowEvent',
};

const keyOf = (table: TableName, row: Record<string, unknown>) =>
  table === 'setting' || table === 'sharedWindow'
    ? String(row.key)
    : table === 'greetingPlanRun'
      ? `${String(row.campaign)}|${String(row.sendDate)}`
      : table === 'sharedWindowEvent'
        ? `${String(row.key)}|${String(row.seq).padStart(12, '0')}`
        : String(row.id);

/** Every row of both, table by table, with the columns the memory rows hold, by primary key. */
async function tables(db: TestDb, state: MemoryState): Promise<{ memory: Record<string, unknown[]>; prisma: Record<string, unknown[]> }> {
  const memory: Record<string, unknown[]> = {};
  const prisma: Record<string, unknown[]> = {};
  const client = db.prisma as unknown as Record<string, { findMany(): Promise<Record<string, unknown>[]> }>;
  for (const [table, model] of Object.entries(MODELS) as [TableName, string][]) {
    const rows = state.rows(table) as unknown as Record<string, unknown>[];
    const columns = rows[0] ? Object.keys(rows[0]) : [];
    const sort = (list: Record<string, unknown>[]) => [...list].sort((a, b) => (keyOf(table, a) < keyOf(table, b) ? -1 : 1));
    const pick = (row: Record<string, unknown>) => Object.fromEntries(columns.map((c) => [c, row[c]]));
    memory[table] = sort(rows).map(pick);
    prisma[table] = sort(await client[model]!.findMany()).map((r) => (columns.length ? pick(r) : r));
  }
  return { memory, prisma };
}

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  describeEachDatabase(`memory stores conform to the Prisma stores: ${name}`, (db) => {
    it('answers the same and leaves the same rows', async () => {
      const policies = shippedData().policies;
      const prismaClock = new FakeClock(START);
      const prismaIds = new SequenceIds();
      const prismaStores = createPrismaStores(sharedDbClient(db()), prismaIds, { policies, timeZone: TIME_ZONE });
      const fromPrisma = await scenario(await setUp(prismaStores, prismaIds, prismaClock));

      const memoryClock = new FakeClock(START);
      const memoryIds = new SequenceIds();
      const memoryStores = createMemoryStores(memoryIds, { policies, timeZone: TIME_ZONE, clock: memoryClock });
      const fromMemory = await scenario(await setUp(memoryStores, memoryIds, memoryClock));

      expect(fromMemory).toEqual(fromPrisma);
      const { memory, prisma } = await tables(db(), memoryStores.state);
      for (const table of Object.keys(MODELS)) expect(memory[table], `rows of ${table}`).toEqual(prisma[table]);
    });
  });
}
