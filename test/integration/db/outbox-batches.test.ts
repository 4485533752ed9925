// Batched marks and completions of the outbox (bot/db/outbox-store.ts, bot/db/call-batcher.ts) end every
// message exactly as completing it alone would: the same outbox rows, attempts, sandbox deliveries, audit
// entries, lifecycle events and summary, for a batch that mixes every outcome, a lost lease included.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { HuifangEvents, type HuifangEventMap, type HuifangEventName } from '../../../bot/core/events.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult } from '../../../bot/core/messages.js';
import { dispatchOutbox, OUTBOX_LEASE_MS, type DispatchSummary } from '../../../bot/core/outbox/dispatch-outbox.js';
import type { ClaimedOutboxMessage } from '../../../bot/core/ports/outbox.js';
import type { NewOutboxMessage } from '../../../bot/core/records.js';
import { SandboxChannel } from '../../../bot/channels/sandbox/sandbox-channel.js';
import { PrismaOutboxStore, type OutboxResult } from '../../../bot/db/outbox-store.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient, storeContext } from '../../support/service.js';
import { staffTextMessage } from '../../support/builders.js';
import { recordBatchSizes } from '../../support/batch-sizes.js';

/** What each message of a world meets, by the last part of its idempotency key. */
const BEHAVIOURS = [
  'sent-1',
  'sent-2',
  'sent-3',
  'retry',
  'rate-limited',
  'dead',
  'permanent',
  'permanent-hooked',
  'lost-lease',
  'interrupted-unknown',
  'interrupted-wait',
  'interrupted-sent',
  'interrupted-resend',
] as const;
type Behaviour = (typeof BEHAVIOURS)[number];

const OUTBOX_EVENTS: readonly HuifangEventName[] = ['outbox:sent', 'outbox:retried', 'outbox:dead', 'outbox:deferred', 'outbox:cancelled', 'outbox:uncertain'];

describeEachDatabase('batched outbox marks and completions', (db) => {
  const at = new Date('2026-11-10T10:00:00+08:00');
  let nurse: { id: string; wecomUserId: string };

  beforeAll(async () => {
    const staff = await seedOrganisation(db());
    nurse = { id: staff.get('hushi.li')!, wecomUserId: 'hushi.li' };
  });

  function behaviourOf(key: string): Behaviour {
    return key.slice(key.indexOf(':') + 1) as Behaviour;
  }

  /** A provider that answers each message as its behaviour says, delivering to the real sandbox when it accepts. */
  class ScriptedChannel implements MessageChannel {
    readonly name = 'test-scripted';
    constructor(private readonly sandbox: SandboxChannel) {}
    async checkInterruptedSend(request: SendRequest, startedAt: Date, now: Date): Promise<InterruptedSendCheck> {
      switch (behaviourOf(request.idempotencyKey)) {
        case 'interrupted-wait':
          return { verdict: 'wait', until: new Date(now.getTime() + 120_000), evidence: `no answer yet about ${startedAt.toISOString()}` };
        case 'interrupted-sent':
          return { verdict: 'sent', providerMessageId: 'provider-confirmed', evidence: 'the provider has it' };
        case 'interrupted-resend':
          return { verdict: 'resend', evidence: 'the provider never had it' };
        default:
          return { verdict: 'unknown', evidence: 'the provider cannot tell' };
      }
    }
    async send(request: SendRequest): Promise<SendResult> {
      switch (behaviourOf(request.idempotencyKey)) {
        case 'retry':
        case 'dead':
          throw new ChannelError('test', 'retryable', 'E_BUSY', 'injected retryable failure');
        case 'rate-limited':
          throw new ChannelError('test', 'rate_limited', 'E_LIMIT', 'injected rate limit', { retryAfterMs: 30_000 });
        case 'permanent':
        case 'permanent-hooked':
          throw new ChannelError('test', 'permanent', 'E_GONE', 'injected permanent failure');
        case 'lost-lease':
          // Another dispatcher took the message over meanwhile (its lease passed): this result must be dropped.
          await db().prisma.outboxMessage.update({ where: { id: request.messageId }, data: { claimToken: 'other-dispatcher' } });
          return this.sandbox.send(request);
        default:
          return this.sandbox.send(request);
      }
    }
  }

  /** Everything one world left behind, with its message ids and key prefix taken out so two worlds compare. */
  async function snapshot(prefix: string, seen: { event: HuifangEventName; payload: HuifangEventMap[HuifangEventName] }[], summary: DispatchSummary) {
    const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `${prefix}:` } }, include: { attemptLog: { orderBy: { attempt: 'asc' } } } });
    const keyOf = new Map(rows.map((r) => [r.id, behaviourOf(r.idempotencyKey)]));
    const ids = [...keyOf.keys()];
    const deliveries = await db().prisma.sandboxDelivery.findMany({ where: { outboxMessageId: { in: ids } } });
    const audits = await db().prisma.auditLog.findMany({ where: { entityId: { in: ids } } });
    const byKey = <T extends { key: string }>(items: T[]) => items.sort((a, b) => a.key.localeCompare(b.key) || JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return {
      summary,
      messages: byKey(
        rows.map(({ id: _id, idempotencyKey, payload: _payload, createdAt: _createdAt, updatedAt: _updatedAt, attemptLog, providerMessageId, claimToken, ...row }) => ({
          ...row,
          key: behaviourOf(idempotencyKey),
          providerMessageId: providerMessageId?.replace(/^sandbox-.*/, 'sandbox-…') ?? null,
          claimToken: claimToken === null || claimToken === 'other-dispatcher' ? claimToken : 'a claim',
          attemptLog: attemptLog.map(({ id: _aid, messageId: _mid, ...a }) => a),
        })),
      ),
      deliveries: byKey(deliveries.map((d) => ({ key: keyOf.get(d.outboxMessageId)!, channel: d.channel, address: d.address, kind: d.kind, deliveredAt: d.deliveredAt, content: d.content.replace(prefix, '…') }))),
      audits: byKey(audits.map((a) => ({ key: keyOf.get(a.entityId)!, at: a.at, actorType: a.actorType, actorId: a.actorId, action: a.action, entityType: a.entityType, details: a.details }))),
      events: byKey(
        seen.map(({ event, payload }) => {
          const { message, ...rest } = payload as { message: ClaimedOutboxMessage } & Record<string, unknown>;
          const detail = Object.fromEntries(
            Object.entries(rest).map(([k, v]) => [k, v instanceof Error ? v.message : typeof v === 'string' ? v.replace(/^sandbox-.*/, 'sandbox-…') : v]),
          );
          return { key: behaviourOf(message.idempotencyKey), event, attempt: message.attempt, ...detail };
        }),
      ),
    };
  }

  /** Enqueues one message per behaviour under `prefix`, dispatches them all at once (every send in flight together) and snapshots the result. */
  async function runWorld(prefix: string, batch: boolean) {
    const clock = new FakeClock(at);
    const context = storeContext(db());
    const outbox = new PrismaOutboxStore(context, { batch });
    const sandbox = new SandboxChannel('wecom', context.ids, clock);
    const channel = new ScriptedChannel(sandbox);
    const app = createTestService(db().url, sharedDbClient(db()), clock, { channels: { wecom: channel, sms: channel, wechat: channel } });
    const events = new HuifangEvents();
    const seen: { event: HuifangEventName; payload: HuifangEventMap[HuifangEventName] }[] = [];
    for (const event of OUTBOX_EVENTS) events.on(event, (payload) => seen.push({ event, payload }));

    const messages: NewOutboxMessage[] = BEHAVIOURS.map((b) => ({ ...staffTextMessage(`${prefix}:${b}`, nurse.id, nurse.wecomUserId, at), ...(b === 'dead' ? { maxAttempts: 1 } : {}) }));
    expect(await outbox.enqueue(messages)).toBe(BEHAVIOURS.length);
    // Interrupted sends: a dispatcher died after marking them, and its lease has passed.
    await db().prisma.outboxMessage.updateMany({
      where: { idempotencyKey: { startsWith: `${prefix}:interrupted-` } },
      data: { status: 'SENDING', attempts: 1, claimToken: 'dead-dispatcher', sendStartedAt: new Date(at.getTime() - 120_000), leaseExpiresAt: new Date(at.getTime() - 60_000) },
    });

    const summary = await dispatchOutbox(
      { ...app.deps, outbox, events },
      {
        channels: app.channels,
        jitter: () => 0.5,
        concurrency: BEHAVIOURS.length,
        contact: { quietHours: null, surveyMinGapMs: 0 },
        deadLetter: { staff_text: ({ message }) => (behaviourOf(message.idempotencyKey) === 'permanent-hooked' ? { invalidRecipientPhone: true } : {}) },
      },
    );
    return snapshot(prefix, seen, summary);
  }

  it('dispatches a batch mixing every outcome to exactly the rows, deliveries, audit and events of one-by-one completion', async () => {
    const alone = await runWorld('alone', false);
    const batched = await runWorld('batched', true);

    expect(alone.summary).toEqual({ claimed: 13, sent: 4, retried: 2, dead: 3, cancelled: 0, deferred: 1, expired: 0, lostLease: 1, reconciled: 1, uncertain: 1 });
    expect(alone.messages.map((m) => [m.key, m.status])).toEqual([
      ['dead', 'DEAD'],
      ['interrupted-resend', 'SENT'],
      ['interrupted-sent', 'SENT'],
      ['interrupted-unknown', 'UNCERTAIN'],
      ['interrupted-wait', 'PENDING'],
      ['lost-lease', 'SENDING'],
      ['permanent', 'DEAD'],
      ['permanent-hooked', 'DEAD'],
      ['rate-limited', 'PENDING'],
      ['retry', 'PENDING'],
      ['sent-1', 'SENT'],
      ['sent-2', 'SENT'],
      ['sent-3', 'SENT'],
    ]);
    expect(alone.audits.map((a) => [a.key, a.action])).toEqual([['interrupted-unknown', 'outbox.uncertain']]);
    // The sandbox's deliveries commit with their SENT outcomes: none for the send whose claim passed on (the
    // claim's new holder delivers it, once).
    expect(alone.deliveries.map((d) => d.key)).toEqual(['interrupted-resend', 'sent-1', 'sent-2', 'sent-3']);
    expect(batched).toEqual(alone);
  });

  it('completes results in one batch as each alone, and records nothing for a message whose claim passed on', async () => {
    const context = storeContext(db());
    const finishedAt = new Date(at.getTime() + 1_000);
    const audit = (action: string, id: string) => ({ at: finishedAt, actorType: 'SYSTEM' as const, actorId: null, action, entityType: 'OutboxMessage', entityId: id, details: { reason: 'X' } });
    /** Claims one message per result kind under `prefix`, and the results to complete them with. */
    async function claimed(prefix: string): Promise<OutboxResult[]> {
      const outbox = new PrismaOutboxStore(context, { batch: false });
      const kinds = ['sent', 'retry', 'retry-kept', 'dead', 'cancelled', 'uncertain', 'lost'];
      await outbox.enqueue(kinds.map((k) => staffTextMessage(`${prefix}:${k}`, nurse.id, nurse.wecomUserId, at)));
      const claims = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `${prefix}:` } } });
      await db().prisma.outboxMessage.updateMany({ where: { id: { in: claims.map((c) => c.id) } }, data: { status: 'SENDING', claimToken: `${prefix}-claim`, attempts: 1, sendStartedAt: at, leaseExpiresAt: finishedAt } });
      await db().prisma.outboxMessage.updateMany({ where: { idempotencyKey: `${prefix}:lost` }, data: { claimToken: 'other-dispatcher' } });
      return claims.map((c): OutboxResult => {
        const base = { id: c.id, claimToken: `${prefix}-claim`, attempt: 1, startedAt: at, finishedAt };
        switch (behaviourOf(c.idempotencyKey) as string) {
          case 'sent':
            return { ...base, outcome: 'SENT', providerMessageId: 'p-1', responseCode: 'rc-1' };
          case 'lost':
            return { ...base, outcome: 'SENT', providerMessageId: 'p-2' };
          case 'retry':
            return { ...base, outcome: 'RETRY', nextAttemptAt: new Date(at.getTime() + 60_000), errorCode: 'E1', error: 'busy', extendBudget: true };
          case 'retry-kept':
            return { ...base, outcome: 'RETRY', nextAttemptAt: new Date(at.getTime() + 90_000), errorCode: 'E2', error: 'wait', keepSendStarted: true };
          case 'dead':
            return { ...base, outcome: 'DEAD', errorCode: 'E3', error: 'gone' };
          case 'cancelled':
            return { ...base, outcome: 'CANCELLED', errorCode: 'OPTED_OUT', error: 'opted out', audit: audit('outbox.cancelled', c.id) };
          default:
            return { ...base, outcome: 'UNCERTAIN', errorCode: 'SEND_UNCONFIRMED', error: 'cannot tell', audit: audit('outbox.uncertain', c.id) };
        }
      });
    }
    const aloneResults = await claimed('store-alone');
    const alone = new PrismaOutboxStore(context, { batch: false });
    const aloneAnswers = [];
    for (const result of aloneResults) aloneAnswers.push(await alone.completeOutbox(result));
    const batchedResults = await claimed('store-batched');
    const batchedAnswers = await new PrismaOutboxStore(context).completeOutboxBatch(batchedResults);

    const answers = (results: OutboxResult[], answered: boolean[]) => Object.fromEntries(results.map((r, i) => [r.id, answered[i]]));
    const withKeys = async (prefix: string, answered: Record<string, boolean | undefined>) => {
      const snap = await snapshot(prefix, [], {} as DispatchSummary);
      const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `${prefix}:` } }, select: { id: true, idempotencyKey: true } });
      return { ...snap, answers: Object.fromEntries(rows.map((r) => [behaviourOf(r.idempotencyKey), answered[r.id]])) };
    };
    const expected = await withKeys('store-alone', answers(aloneResults, aloneAnswers));
    expect(expected.answers).toEqual({ sent: true, retry: true, 'retry-kept': true, dead: true, cancelled: true, uncertain: true, lost: false });
    expect(expected.audits.map((a) => a.action).sort()).toEqual(['outbox.cancelled', 'outbox.uncertain']);
    expect(await withKeys('store-batched', answers(batchedResults, batchedAnswers))).toEqual(expected);
    // Completing again changes nothing: the claims are spent.
    expect(await new PrismaOutboxStore(context).completeOutboxBatch(batchedResults)).toEqual(batchedResults.map(() => false));
    expect(await withKeys('store-batched', answers(batchedResults, batchedAnswers))).toEqual(expected);
  });

  it('marks concurrent sends started in one statement, only for messages still held by their claim', async () => {
    const context = storeContext(db());
    const outbox = new PrismaOutboxStore(context);
    await outbox.enqueue(['a', 'b', 'c'].map((k) => staffTextMessage(`marks:${k}`, nurse.id, nurse.wecomUserId, at)));
    const claimed = await outbox.claimOutbox(at, 60_000, 10, 'mark-claim');
    expect(claimed.map((c) => behaviourOf(c.idempotencyKey)).sort()).toEqual(['a', 'b', 'c']);
    const lost = claimed.find((c) => c.idempotencyKey === 'marks:b')!;
    await db().prisma.outboxMessage.update({ where: { id: lost.id }, data: { claimToken: 'other-dispatcher' } });
    const startedAt = new Date(at.getTime() + 5_000);
    const leaseUntil = new Date(at.getTime() + 65_000);
    const marked = await outbox.markSendStartedBatch(claimed.map((c) => ({ id: c.id, claimToken: c.claimToken, at: startedAt, leaseUntil })));
    expect(marked).toEqual(claimed.map((c) => c.id !== lost.id));
    // Through the coalescing path too: concurrent calls, each with its own answer.
    expect(await Promise.all(claimed.map((c) => outbox.markSendStarted(c.id, c.claimToken, startedAt, leaseUntil)))).toEqual(marked);
    const rows = await db().prisma.outboxMessage.findMany({ where: { id: { in: claimed.map((c) => c.id) } } });
    for (const row of rows) {
      if (row.id === lost.id) expect(row).toMatchObject({ sendStartedAt: null, leaseExpiresAt: new Date(at.getTime() + 60_000) });
      else expect(row).toMatchObject({ sendStartedAt: startedAt, leaseExpiresAt: leaseUntil, status: 'SENDING' });
    }
  });

  it('writes marks and completions asked for together as each alone in the order asked, a message named twice included', async () => {
    const context = storeContext(db());
    const startedAt = new Date(at.getTime() + 5_000);
    const leaseUntil = new Date(at.getTime() + 65_000);
    const finishedAt = new Date(at.getTime() + 6_000);
    /** Asks, in one turn, for the marks and completions below of messages claimed under `prefix`; answers by key, and the rows left. */
    async function world(prefix: string, batch: boolean) {
      const outbox = new PrismaOutboxStore(context, { batch });
      const keys = ['done', 'marked', 'lost', 'done-then-marked', 'marked-then-done'];
      await outbox.enqueue(keys.map((k) => staffTextMessage(`${prefix}:${k}`, nurse.id, nurse.wecomUserId, at)));
      const claimed = new Map<string, ClaimedOutboxMessage>((await outbox.claimOutbox(at, 60_000, 10, `${prefix}-claim`)).map((c) => [behaviourOf(c.idempotencyKey), c]));
      await db().prisma.outboxMessage.update({ where: { id: claimed.get('lost')!.id }, data: { claimToken: 'other-dispatcher' } });
      const mark = (key: string) => outbox.markSendStarted(claimed.get(key)!.id, claimed.get(key)!.claimToken, startedAt, leaseUntil);
      const complete = (key: string) => {
        const c = claimed.get(key)!;
        return outbox.completeOutbox({ id: c.id, claimToken: c.claimToken, attempt: c.attempt, startedAt, finishedAt, outcome: 'SENT', providerMessageId: `p-${key}` });
      };
      const asked: [string, () => Promise<boolean>][] = [
        ['done', () => complete('done')],
        ['marked', () => mark('marked')],
        ['lost mark', () => mark('lost')],
        ['lost completion', () => complete('lost')],
        ['done-then-marked completion', () => complete('done-then-marked')],
        ['done-then-marked mark', () => mark('done-then-marked')],
        ['marked-then-done mark', () => mark('marked-then-done')],
        ['marked-then-done completion', () => complete('marked-then-done')],
      ];
      // One by one without batching; all in the same turn with it.
      const answers: boolean[] = [];
      if (batch) answers.push(...(await Promise.all(asked.map(([, ask]) => ask()))));
      else for (const [, ask] of asked) answers.push(await ask());
      const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `${prefix}:` } }, include: { attemptLog: true } });
      return {
        answers: Object.fromEntries(asked.map(([name], i) => [name, answers[i]])),
        rows: Object.fromEntries(
          rows.map((r) => [behaviourOf(r.idempotencyKey), { status: r.status, sendStartedAt: r.sendStartedAt, leaseExpiresAt: r.leaseExpiresAt, providerMessageId: r.providerMessageId, attempts: r.attemptLog.map((a) => a.outcome) }]),
        ),
      };
    }
    const alone = await world('writes-alone', false);
    expect(alone.answers).toEqual({
      done: true,
      marked: true,
      'lost mark': false,
      'lost completion': false,
      'done-then-marked completion': true,
      'done-then-marked mark': false,
      'marked-then-done mark': true,
      'marked-then-done completion': true,
    });
    expect(await world('writes-batched', true)).toEqual(alone);
  });

  it("counts each customer's SMS since a moment as alone, for concurrent questions over several customers and moments", async () => {
    const context = storeContext(db());
    const dayStart = new Date('2026-11-09T16:00:00.000Z');
    const sms = (key: string, customerId: string, sentAt: Date | null, channel = 'sms') => ({
      id: `${key}-id`,
      idempotencyKey: key,
      channel,
      kind: 'customer_notice',
      recipientType: 'customer',
      recipientId: customerId,
      payload: '{}',
      status: sentAt ? 'SENT' : 'CANCELLED',
      nextAttemptAt: dayStart,
      sentAt,
      updatedAt: dayStart,
    });
    await db().prisma.outboxMessage.createMany({
      data: [
        sms('count:1', 'count-cust-a', new Date(dayStart.getTime() + 1_000)),
        sms('count:2', 'count-cust-a', new Date(dayStart.getTime() - 1)),
        sms('count:3', 'count-cust-a', null),
        sms('count:4', 'count-cust-a', new Date(dayStart.getTime() + 2_000), 'wechat'),
        sms('count:5', 'count-cust-b', dayStart),
        sms('count:6', 'count-cust-b', new Date(dayStart.getTime() + 5_000)),
      ],
    });
    const questions = [
      { customerId: 'count-cust-a', since: dayStart },
      { customerId: 'count-cust-b', since: dayStart },
      { customerId: 'count-cust-c', since: dayStart },
      { customerId: 'count-cust-b', since: new Date(dayStart.getTime() + 1) },
      { customerId: 'count-cust-a', since: new Date(dayStart.getTime() - 1) },
    ];
    const alone = new PrismaOutboxStore(context, { batch: false });
    const expected = [];
    for (const q of questions) expected.push(await alone.countCustomerSmsSince(q.customerId, q.since));
    expect(expected).toEqual([1, 2, 0, 1, 2]);
    expect(await new PrismaOutboxStore(context).countCustomersSmsSince(questions)).toEqual(expected);
    const batched = new PrismaOutboxStore(context);
    expect(await Promise.all(questions.map((q) => batched.countCustomerSmsSince(q.customerId, q.since)))).toEqual(expected);
  });

  it('enqueues made at the same moment share one insert, each answered and stored as alone: keys repeated across calls, known keys, several shapes', async () => {
    const context = storeContext(db());
    // Due next year: the dispatches of the tests below leave them alone.
    const due = new Date(at.getTime() + 365 * 86_400_000);
    const message = (prefix: string, key: string, extra: Partial<NewOutboxMessage> = {}): NewOutboxMessage => ({ ...staffTextMessage(`${prefix}:${key}`, nurse.id, nurse.wecomUserId, due), ...extra });
    const calls = (prefix: string): NewOutboxMessage[][] => [
      [message(prefix, 'a'), message(prefix, 'b')],
      // b again (another text: the first call's is kept), and c with its own attempt limit: another shape.
      [{ ...message(prefix, 'b'), message: { kind: 'staff_text', to: { staffId: nurse.id, wecomUserId: nurse.wecomUserId }, text: 'second b' } }, message(prefix, 'c', { maxAttempts: 3 })],
      [message(prefix, 'known')],
      [message(prefix, 'd'), message(prefix, 'd')],
    ];
    const stored = async (prefix: string) =>
      (await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `${prefix}:` } }, orderBy: { idempotencyKey: 'asc' } })).map((r) => ({
        key: r.idempotencyKey.slice(prefix.length + 1),
        payload: JSON.parse(r.payload.replaceAll(`${prefix}:`, '')) as unknown,
        maxAttempts: r.maxAttempts,
        status: r.status,
      }));

    const alone = new PrismaOutboxStore(context, { batch: false });
    await alone.enqueue([message('enqueue-alone', 'known')]);
    const expected: number[] = [];
    for (const call of calls('enqueue-alone')) expected.push(await alone.enqueue(call));
    expect(expected).toEqual([2, 1, 0, 1]);

    const batched = new PrismaOutboxStore(context);
    const batches = recordBatchSizes(batched, 'enqueueBatch');
    await batched.enqueue([message('enqueue-batched', 'known')]);
    batches.length = 0;
    expect(await Promise.all(calls('enqueue-batched').map((call) => batched.enqueue(call)))).toEqual(expected);
    expect(batches).toEqual([4]);
    const rows = await stored('enqueue-batched');
    expect(rows).toEqual(await stored('enqueue-alone'));
    expect(rows.map((r) => r.key)).toEqual(['a', 'b', 'c', 'd', 'known']);
    expect(rows.find((r) => r.key === 'b')!.payload).toMatchObject({ text: '测试消息 b' });
    expect(rows.find((r) => r.key === 'c')!.maxAttempts).toBe(3);
  });

  it('runs each enqueue of a batch the database refuses alone: the refused one fails its caller, the others are stored', async () => {
    const outbox = new PrismaOutboxStore(storeContext(db()));
    const ok = (key: string) => staffTextMessage(`enqueue-refused:${key}`, nurse.id, nurse.wecomUserId, new Date(at.getTime() + 365 * 86_400_000));
    // No time to send it at: the column is NOT NULL.
    const refused = { ...ok('refused'), nextAttemptAt: null as unknown as Date };
    const answers = await Promise.allSettled([outbox.enqueue([ok('1')]), outbox.enqueue([refused]), outbox.enqueue([ok('2'), ok('3')])]);
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : 'rejected'))).toEqual([1, 'rejected', 2]);
    const keys = (await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'enqueue-refused:' } }, select: { idempotencyKey: true } })).map((r) => r.idempotencyKey).sort();
    expect(keys).toEqual(['enqueue-refused:1', 'enqueue-refused:2', 'enqueue-refused:3']);
  });

  it('calls a provider that drops duplicate sends alongside the send-started mark, and any other only once the mark is committed', async () => {
    const clock = new FakeClock(at);
    const context = storeContext(db());
    const store = new PrismaOutboxStore(context);
    const sandbox = new SandboxChannel('wecom', context.ids, clock);
    expect(sandbox.dropsDuplicateSends).toBe(true);
    // The marks wait until the provider has been called: a dispatcher that waited for its mark first never gets there.
    let called!: () => void;
    let providerCalled = new Promise<void>((resolve) => (called = resolve));
    const outbox = new Proxy(store, {
      get(target, prop) {
        if (prop === 'markSendStarted') return async (...args: Parameters<PrismaOutboxStore['markSendStarted']>) => (await providerCalled, target.markSendStarted(...args));
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const markedAtCall: (Date | null)[] = [];
    const recording = (channel: MessageChannel, onCall: () => void): MessageChannel => ({
      name: channel.name,
      ...(channel.dropsDuplicateSends ? { dropsDuplicateSends: true } : {}),
      async send(request) {
        markedAtCall.push((await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: request.messageId } })).sendStartedAt);
        onCall();
        return channel.send(request);
      },
    });
    const app = createTestService(db().url, sharedDbClient(db()), clock);
    await store.enqueue([staffTextMessage('alongside:1', nurse.id, nurse.wecomUserId, at)]);
    const deduping = recording(sandbox, called);
    const first = await dispatchOutbox({ ...app.deps, outbox }, { channels: { ...app.channels, wecom: deduping }, jitter: () => 0.5, contact: { quietHours: null, surveyMinGapMs: 0 } });
    expect(first).toMatchObject({ claimed: 1, sent: 1, lostLease: 0 });
    expect(markedAtCall).toEqual([null]);

    // Without the property the mark is committed before the call (here the gate is already open).
    await store.enqueue([staffTextMessage('alongside:2', nurse.id, nurse.wecomUserId, at)]);
    const plain = recording({ name: 'plain', send: (request) => sandbox.send(request) }, () => {});
    const second = await dispatchOutbox({ ...app.deps, outbox }, { channels: { ...app.channels, wecom: plain }, jitter: () => 0.5, contact: { quietHours: null, surveyMinGapMs: 0 } });
    expect(second).toMatchObject({ claimed: 1, sent: 1, lostLease: 0 });
    expect(markedAtCall).toEqual([null, at]);
    const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'alongside:' } }, include: { attemptLog: true } });
    expect(rows.map((r) => [r.idempotencyKey, r.status, r.sendStartedAt, r.attemptLog.length]).sort()).toEqual([
      ['alongside:1', 'SENT', null, 1],
      ['alongside:2', 'SENT', null, 1],
    ]);

    // The claim passed to another dispatcher during the call: the mark finds it lost and the result is dropped.
    providerCalled = new Promise<void>((resolve) => (called = resolve));
    const [third] = await store.enqueue([staffTextMessage('alongside:3', nurse.id, nurse.wecomUserId, at)]).then(() => db().prisma.outboxMessage.findMany({ where: { idempotencyKey: 'alongside:3' } }));
    const stealing = recording(sandbox, () => {
      void db()
        .prisma.outboxMessage.update({ where: { id: third!.id }, data: { claimToken: 'other-dispatcher' } })
        .then(() => called());
    });
    const lost = await dispatchOutbox({ ...app.deps, outbox }, { channels: { ...app.channels, wecom: stealing }, jitter: () => 0.5, contact: { quietHours: null, surveyMinGapMs: 0 } });
    expect(lost).toMatchObject({ claimed: 1, sent: 0, lostLease: 1 });
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: third!.id }, include: { attemptLog: true } });
    expect(row).toMatchObject({ status: 'SENDING', claimToken: 'other-dispatcher', sendStartedAt: null, attemptLog: [] });
  });

  it('delivers nothing to the sandbox for a send whose outcome was never recorded, and delivers it once when it is sent again', async () => {
    const clock = new FakeClock(at);
    const context = storeContext(db());
    const store = new PrismaOutboxStore(context);
    const app = createTestService(db().url, sharedDbClient(db()), clock);
    const sandbox = new SandboxChannel('wecom', context.ids, clock);
    const options = { channels: { ...app.channels, wecom: sandbox }, jitter: () => 0.5, contact: { quietHours: null, surveyMinGapMs: 0 } };
    await store.enqueue([staffTextMessage('unrecorded:1', nurse.id, nurse.wecomUserId, at)]);
    const [message] = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: 'unrecorded:1' } });
    // The dispatcher dies as it records the outcome (here: the database refuses it), after the provider call.
    const dying = new Proxy(store, {
      get(target, prop) {
        if (prop === 'completeOutbox') return async () => Promise.reject(new Error('connection lost'));
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(dispatchOutbox({ ...app.deps, outbox: dying }, options)).rejects.toThrow('connection lost');
    expect(await db().prisma.sandboxDelivery.count({ where: { outboxMessageId: message!.id } })).toBe(0);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: message!.id } })).toMatchObject({ status: 'SENDING', sendStartedAt: at });

    // Once the lease has passed, the next run reconciles the interrupted send (the sandbox: send again) and
    // delivers it once; a run after it finds nothing more to do for it. (Other tests' messages may go too.)
    clock.advance(OUTBOX_LEASE_MS + 1_000);
    await dispatchOutbox({ ...app.deps, outbox: store }, options);
    await dispatchOutbox({ ...app.deps, outbox: store }, options);
    const deliveries = await db().prisma.sandboxDelivery.findMany({ where: { outboxMessageId: message!.id } });
    expect(deliveries).toHaveLength(1);
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: message!.id }, include: { attemptLog: true } });
    expect(row).toMatchObject({ status: 'SENT', providerMessageId: `sandbox-${deliveries[0]!.id}`, sendStartedAt: null });
    expect(row.attemptLog.map((a) => [a.attempt, a.outcome])).toEqual([[2, 'SENT']]);
  });
});
