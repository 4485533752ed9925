import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { jobs } from '../../../jobs/index.js';
import { addWebhookSubscription, removeWebhookSubscription } from '../../../bot/core/webhooks/subscriptions.js';
import { describeEachDatabase } from '../../support/db.js';
import { createReplica, createTestService, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { dischargeBody, submit, uniquePhone } from '../../support/builders.js';

/**
 * A subscriber's receiver, written from docs/webhooks.md alone (it imports nothing of ours): it checks
 * `Huifang-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` in constant time and a
 * timestamp within 5 minutes of its own clock, and answers what the test asks (500s first, then 200).
 */
interface Received {
  verified: boolean;
  eventId: string | undefined;
  body: string;
  status: number;
}

function verify(secret: string, header: string | undefined, rawBody: string, nowSeconds: number): boolean {
  if (!header) return false;
  const fields = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(fields.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300 || !fields.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(fields.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

class Receiver {
  readonly received: Received[] = [];
  secret = '';
  /** Answers to give, in order, before answering 200 (or 401 when the signature is wrong). */
  failures: number[] = [];
  #server: Server | null = null;
  url = '';

  constructor(private readonly clock: FakeClock) {}

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = req.headers['huifang-signature'];
        const verified = verify(this.secret, Array.isArray(header) ? header[0] : header, body, Math.floor(this.clock.now().getTime() / 1000));
        const status = !verified ? 401 : (this.failures.shift() ?? 200);
        const eventId = req.headers['huifang-event-id'];
        this.received.push({ verified, eventId: Array.isArray(eventId) ? eventId[0] : eventId, body, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/huifang`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

describeEachDatabase('signed outbound webhooks', (db) => {
  let app: Huifang;
  let clock: FakeClock;
  let receiver: Receiver;
  const admin = { actorType: 'SYSTEM' as const, actorId: null };
  const tick = () => jobs['dispatch-outbox']!.run(app);

  beforeAll(async () => {
    clock = new FakeClock('2026-11-10T10:00:00+08:00');
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    receiver = new Receiver(clock);
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });

  it('delivers each event once, signed, with the phone masked, under repeated ticks', async () => {
    const before = await submit(app, dischargeBody());
    const { subscription, secret } = await addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: receiver.url, events: 'case.created,escalation.opened' }, admin);
    receiver.secret = secret;
    expect(secret).toMatch(/^whsec_/);
    clock.advance(1000);
    const phone = uniquePhone();
    const body = dischargeBody({ phone });
    const created = await submit(app, body);
    expect(before.caseId).not.toBe(created.caseId);

    await tick();
    await tick();
    clock.advance(60_000);
    await tick();

    const deliveries = receiver.received.filter((r) => r.status === 200);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(deliveries).toHaveLength(1);
    const event = JSON.parse(deliveries[0]!.body) as { id: string; type: string; occurredAt: string; data: Record<string, unknown> };
    expect(event.type).toBe('case.created');
    expect(deliveries[0]!.eventId).toBe(event.id);
    expect(event.data).toMatchObject({ caseId: created.caseId, caseExternalId: body.externalId, caseType: 'discharge' });
    expect(event.data.phoneMasked).toMatch(/\*/);
    expect(deliveries[0]!.body).not.toContain(phone.slice(3));
    // The case created before the subscription existed is not delivered.
    expect(deliveries[0]!.body).not.toContain(before.caseId);
    const rows = await db().prisma.outboxMessage.findMany({ where: { channel: 'webhook' } });
    expect(rows.map((r) => [r.idempotencyKey, r.status])).toEqual([[`wh:${subscription.id}:${event.id}`, 'SENT']]);
    await removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, subscription.id, admin);
  });

  it('ticks running at once (two replicas on PostgreSQL) deliver each event once', async () => {
    receiver.received.length = 0;
    const { subscription, secret } = await addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: receiver.url, events: ['case.created'] }, admin);
    receiver.secret = secret;
    clock.advance(1000);
    await submit(app, dischargeBody());
    await submit(app, dischargeBody());
    // Replicas share a PostgreSQL database (README "Several replicas on PostgreSQL"); SQLite serves one
    // process, whose ticks may still overlap.
    const replica = db().provider === 'postgresql' ? createReplica(db(), clock) : null;
    const other = () => jobs['dispatch-outbox']!.run(replica ?? app);
    try {
      await Promise.all([tick(), other(), tick(), other()]);
      await Promise.all([tick(), other()]);
    } finally {
      await replica?.closeReplica();
    }
    expect(receiver.received.map((r) => r.status)).toEqual([200, 200]);
    expect(new Set(receiver.received.map((r) => r.eventId)).size).toBe(2);
    expect(await db().prisma.outboxMessage.count({ where: { recipientId: subscription.id } })).toBe(2);
    await removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, subscription.id, admin);
  });

  it('retries a delivery the receiver failed with 500, then delivers it', async () => {
    receiver.received.length = 0;
    const { subscription, secret } = await addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: receiver.url, events: ['case.created'] }, admin);
    receiver.secret = secret;
    receiver.failures = [500, 503];
    clock.advance(1000);
    await submit(app, dischargeBody());

    await tick();
    let row = await db().prisma.outboxMessage.findFirstOrThrow({ where: { recipientId: subscription.id } });
    expect([row.status, row.lastErrorCode]).toEqual(['PENDING', 'HTTP_500']);
    clock.advance(3_600_000);
    await tick();
    clock.advance(3_600_000);
    await tick();
    await tick();

    row = await db().prisma.outboxMessage.findFirstOrThrow({ where: { recipientId: subscription.id } });
    expect(row.status).toBe('SENT');
    expect(receiver.received.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(new Set(receiver.received.map((r) => r.eventId)).size).toBe(1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    await removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, subscription.id, admin);
  });

  it('gives up on an answer retrying cannot fix, and the receiver refuses forged and unsigned posts', async () => {
    receiver.received.length = 0;
    const { subscription } = await addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: receiver.url, events: ['case.created'] }, admin);
    // The receiver holds another secret: every delivery fails its check (401), which is permanent.
    receiver.secret = 'whsec_not-the-one-huifang-holds';
    clock.advance(1000);
    await submit(app, dischargeBody());
    await tick();
    const row = await db().prisma.outboxMessage.findFirstOrThrow({ where: { recipientId: subscription.id } });
    expect([row.status, row.lastErrorCode]).toEqual(['DEAD', 'HTTP_401']);
    expect(receiver.received.map((r) => [r.verified, r.status])).toEqual([[false, 401]]);

    // Unsigned, and signed with a wrong secret: both refused by the documented check.
    receiver.secret = 'whsec_right';
    const payload = JSON.stringify({ id: 'x', type: 'case.created', occurredAt: clock.now().toISOString(), data: {} });
    const t = Math.floor(clock.now().getTime() / 1000);
    const forged = createHmac('sha256', 'whsec_wrong').update(`${t}.${payload}`).digest('hex');
    const good = createHmac('sha256', 'whsec_right').update(`${t}.${payload}`).digest('hex');
    const post = (headers: Record<string, string>, body = payload) => fetch(receiver.url, { method: 'POST', headers, body }).then((r) => r.status);
    expect(await post({})).toBe(401);
    expect(await post({ 'Huifang-Signature': `t=${t},v1=${forged}` })).toBe(401);
    expect(await post({ 'Huifang-Signature': `t=${t},v1=${good}` }, payload.replace('"x"', '"y"'))).toBe(401);
    expect(await post({ 'Huifang-Signature': `t=${t - 3600},v1=${good}` })).toBe(401);
    expect(await post({ 'Huifang-Signature': `t=${t},v1=${good}` })).toBe(200);
    await removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, subscription.id, admin);
  });

  it('does not send what was queued for a subscription removed since', async () => {
    receiver.received.length = 0;
    const { subscription, secret } = await addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: receiver.url, events: ['case.created'] }, admin);
    receiver.secret = secret;
    receiver.failures = [500];
    clock.advance(1000);
    await submit(app, dischargeBody());
    await tick();
    await removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, subscription.id, admin);
    clock.advance(3_600_000);
    await tick();
    const row = await db().prisma.outboxMessage.findFirstOrThrow({ where: { recipientId: subscription.id } });
    expect([row.status, row.lastErrorCode]).toEqual(['DEAD', 'SUBSCRIPTION_REMOVED']);
    expect(receiver.received).toHaveLength(1);
    const audit = await db().prisma.auditLog.findMany({ where: { entityId: subscription.id }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['webhook.subscription_added', 'webhook.subscription_removed']);
  });
});

describe('subscription checks', () => {
  it('refuses URLs that are not http(s) and unknown events', async () => {
    const { checkWebhookUrl, parseWebhookEvents } = await import('../../../bot/core/webhooks/subscriptions.js');
    expect(() => checkWebhookUrl('ftp://example.com/x')).toThrow(/http/);
    expect(() => checkWebhookUrl('file:///etc/passwd')).toThrow(/http/);
    expect(() => checkWebhookUrl('not a url')).toThrow(/Not a valid/);
    expect(() => checkWebhookUrl('https://user:pw@example.com/')).toThrow(/password/);
    expect(checkWebhookUrl('https://crm.example.com/hooks').toString()).toBe('https://crm.example.com/hooks');
    expect(() => parseWebhookEvents('case.created,case.deleted')).toThrow(/case.deleted/);
    expect(() => parseWebhookEvents('')).toThrow(/--events/);
    expect(parseWebhookEvents('escalation.opened, case.created')).toEqual(['case.created', 'escalation.opened']);
  });
});
