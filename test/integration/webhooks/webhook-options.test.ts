import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { jobs } from '../../../jobs/index.js';
import { runWebhooksCommand } from '../../../bot/commands/webhooks.js';
import type { WithApp } from '../../../bot/commands/with-app.js';
import { addWebhookSubscription, removeWebhookSubscription } from '../../../bot/core/webhooks/subscriptions.js';
import { submitWebSurvey } from '../../../bot/core/surveys/submit-web-survey.js';
import { describeEachDatabase } from '../../support/db.js';
import { collectOutput } from '../../support/command-output.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { dischargeBody, submit } from '../../support/builders.js';

/**
 * A receiver written from docs/webhooks.md: every `v1` in `Huifang-Signature` is checked against the
 * secrets it holds (accept when any matches), in constant time, with a timestamp within 5 minutes.
 */
function verify(secrets: readonly string[], header: string | undefined, rawBody: string, nowSeconds: number): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  return secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
    return parts
      .filter(([k]) => k === 'v1')
      .some(([, v]) => {
        const given = Buffer.from(v, 'hex');
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
  });
}

interface Received {
  verified: boolean;
  signatures: number;
  type: string;
  data: Record<string, unknown>;
  status: number;
}

class Receiver {
  readonly received: Received[] = [];
  secrets: string[] = [];
  failures: number[] = [];
  /** Never answer (a receiver that hangs), to run into the subscription's timeout. */
  hang = false;
  #server: Server | null = null;
  url = '';

  constructor(private readonly clock: FakeClock) {}

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.hang) return;
        const body = Buffer.concat(chunks).toString('utf8');
        const header = String(req.headers['huifang-signature'] ?? '');
        const verified = verify(this.secrets, header, body, Math.floor(this.clock.now().getTime() / 1000));
        const status = !verified ? 401 : (this.failures.shift() ?? 204);
        const event = JSON.parse(body) as { type: string; data: Record<string, unknown> };
        this.received.push({ verified, signatures: header.split(',').filter((p) => p.startsWith('v1=')).length, type: event.type, data: event.data, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/huifang`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

describeEachDatabase('webhooks: every completion, rotation, per-subscription attempts, test ping', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-11-03T07:30:00Z');
  let receiver: Receiver;
  const admin = { actorType: 'SYSTEM' as const, actorId: null };
  const tick = () => jobs['dispatch-outbox']!.run(app);
  const withApp: WithApp = (fn) => fn(app);
  const webhooks = async (...args: string[]) => {
    const output = collectOutput();
    const code = await runWebhooksCommand(args, withApp, output);
    return { code, ...output };
  };
  const deps = () => ({ ...app.deps, webhooks: app.webhooks });

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    receiver = new Receiver(clock);
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });

  it('sends followup.completed when the customer’s survey answer ends the follow-up, and when a survey ends unanswered', async () => {
    const { subscription, secret } = await addWebhookSubscription(deps(), { url: receiver.url, events: 'followup.completed' }, admin);
    receiver.secrets = [secret];
    clock.advance(1000);
    const answered = await submit(app, dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' }));
    const ignored = await submit(app, dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' }));
    clock.set('2026-11-06T02:00:00Z'); // day 3, 10:00 local: the survey steps are due
    await jobs['activate-due-follow-ups']!.run(app);
    const survey = await db().prisma.surveyInstance.findFirstOrThrow({ where: { followUp: { caseId: answered.caseId } } });
    clock.advance(3_600_000);
    await submitWebSurvey(app.deps, { token: survey.token, answers: { q_overall: '5' }, receivedAt: clock.now(), inboundEventId: null });
    await tick();
    await tick();

    const ofCase = (caseId: string) => receiver.received.filter((r) => r.type === 'followup.completed' && r.data.caseId === caseId);
    expect(ofCase(answered.caseId).map((r) => [r.status, r.data.followUpId, r.data.status, r.data.outcome, r.data.completedBy, r.data.channel, r.data.staffId])).toEqual([
      [204, survey.followUpId, 'DONE', 'satisfied', 'customer', 'web', null],
    ]);
    expect(ofCase(ignored.caseId)).toEqual([]);

    // The other patient never answers: at the survey's deadline the follow-up ends UNREACHABLE.
    clock.set('2026-12-20T02:00:00Z');
    await jobs['mark-overdue']!.run(app);
    await tick();
    const unanswered = await db().prisma.followUp.findFirstOrThrow({ where: { caseId: ignored.caseId, action: 'CUSTOMER_SURVEY' } });
    expect(unanswered.status).toBe('UNREACHABLE');
    expect(ofCase(ignored.caseId).map((r) => [r.data.followUpId, r.data.status, r.data.outcome, r.data.completedBy])).toEqual([[unanswered.id, 'UNREACHABLE', 'unreachable', 'system']]);
    // Running the expiry again records nothing more.
    await jobs['mark-overdue']!.run(app);
    await tick();
    expect(ofCase(ignored.caseId)).toHaveLength(1);
    expect(receiver.received.every((r) => r.verified && r.signatures === 1)).toBe(true);
    await removeWebhookSubscription(deps(), subscription.id, admin);
  });

  it('signs with both secrets during a rotation’s overlap, then with the new one only', async () => {
    receiver.received.length = 0;
    const { subscription, secret: oldSecret } = await addWebhookSubscription(deps(), { url: receiver.url, events: 'case.created' }, admin);
    receiver.secrets = [oldSecret];
    const rotated = await webhooks('rotate', subscription.id, '--overlap', '1', '--json');
    expect(rotated.code).toBe(0);
    const { secret: newSecret } = JSON.parse(rotated.stdout) as { secret: string };
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);

    // The receiver still holds only the old secret: accepted, the header carrying two v1 values.
    clock.advance(1000);
    await submit(app, dischargeBody());
    await tick();
    expect(receiver.received.map((r) => [r.verified, r.signatures, r.status])).toEqual([[true, 2, 204]]);

    // Past the overlap only the new secret signs: a receiver that never switched refuses, one that did accepts.
    clock.advance(2 * 3_600_000);
    await submit(app, dischargeBody());
    await tick();
    receiver.secrets = [newSecret];
    await submit(app, dischargeBody());
    await tick();
    expect(receiver.received.slice(1).map((r) => [r.verified, r.signatures, r.status])).toEqual([
      [false, 1, 401],
      [true, 1, 204],
    ]);
    const audit = await db().prisma.auditLog.findMany({ where: { entityId: subscription.id }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    expect(audit.map((a) => a.action)).toEqual(['webhook.subscription_added', 'webhook.secret_rotated']);
    expect(audit.map((a) => a.details).join('')).not.toContain('whsec_');
    expect((await webhooks('rotate', 'nope')).code).toBe(1);
    await removeWebhookSubscription(deps(), subscription.id, admin);
  });

  it('gives up after the subscription’s own number of attempts', async () => {
    receiver.received.length = 0;
    const added = await webhooks('add', receiver.url, '--events', 'case.created', '--attempts', '2', '--timeout', '3', '--json');
    expect(added.code).toBe(0);
    const subscription = JSON.parse(added.stdout) as { id: string; secret: string; timeoutMs: number; maxAttempts: number };
    expect([subscription.timeoutMs, subscription.maxAttempts]).toEqual([3000, 2]);
    receiver.secrets = [subscription.secret];
    receiver.failures = [500, 500, 500];
    clock.advance(1000);
    await submit(app, dischargeBody());
    await tick();
    clock.advance(3_600_000);
    await tick();
    clock.advance(3_600_000);
    await tick();
    const row = await db().prisma.outboxMessage.findFirstOrThrow({ where: { recipientId: subscription.id } });
    expect([row.status, row.attempts, row.maxAttempts, row.lastErrorCode]).toEqual(['DEAD', 2, 2, 'HTTP_500']);
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500]);

    for (const bad of [['--attempts', '0'], ['--attempts', '21'], ['--timeout', '0'], ['--timeout', '31'], ['--timeout', 'x']]) {
      const refused = await webhooks('add', receiver.url, '--events', 'case.created', ...bad);
      expect(refused.code, bad.join(' ')).toBe(1);
    }
    receiver.failures = [];
    await removeWebhookSubscription(deps(), subscription.id, admin);
  });

  it('sends a signed ping through the outbox and prints the receiver’s answer', async () => {
    receiver.received.length = 0;
    const { subscription, secret } = await addWebhookSubscription(deps(), { url: receiver.url, events: 'case.created' }, admin);
    receiver.secrets = [secret];
    const ok = await webhooks('test', subscription.id);
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringContaining('HTTP_204')]);
    expect(receiver.received.map((r) => [r.type, r.verified, r.data.subscriptionId])).toEqual([['ping', true, subscription.id]]);
    const row = await db().prisma.outboxMessage.findFirstOrThrow({ where: { recipientId: subscription.id, idempotencyKey: { contains: ':ping:' } } });
    expect([row.channel, row.status, row.providerMessageId]).toEqual(['webhook', 'SENT', 'HTTP_204']);

    // A receiver that refuses it: the answer is printed, the ping is not retried.
    receiver.secrets = ['whsec_other'];
    const refused = await webhooks('test', subscription.id, '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'DEAD', errorCode: 'HTTP_401', attempts: 1 });
    expect((await webhooks('test', 'nope')).code).toBe(1);

    // A receiver that never answers: the delivery gives up at the subscription's own timeout (1 s here).
    const quick = await addWebhookSubscription(deps(), { url: receiver.url, events: 'case.created', timeoutMs: 1000 }, admin);
    receiver.hang = true;
    try {
      const hung = await webhooks('test', quick.subscription.id, '--json');
      expect([hung.code, JSON.parse(hung.stdout).errorCode]).toEqual([1, 'TIMEOUT']);
    } finally {
      receiver.hang = false;
    }
    await removeWebhookSubscription(deps(), quick.subscription.id, admin);
    await removeWebhookSubscription(deps(), subscription.id, admin);
  });
});
