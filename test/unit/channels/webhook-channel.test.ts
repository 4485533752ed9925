// The webhook channel's answers to a local receiver: which HTTP answers are delivered, retried,
// rate limited or permanent; redirects never followed; a slow receiver timed out.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { WebhookChannel } from '../../../bot/channels/webhook/webhook-channel.js';
import { verifySignature } from '../../../bot/channels/webhook/signature.js';
import type { SendRequest } from '../../../bot/core/messages.js';

const clock = new FakeClock('2026-11-10T09:00:00+08:00');
let server: Server;
let base = '';
const hits: { path: string; signature: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits.push({ path, signature: req.headers['huifang-signature'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') });
      if (path === '/slow') return void setTimeout(() => res.writeHead(200).end(), 2000);
      if (path === '/redirect') return void res.writeHead(302, { location: `${base}/elsewhere` }).end();
      if (path === '/busy') return void res.writeHead(429, { 'retry-after': '120' }).end();
      const status = Number(path.slice(1)) || 200;
      res.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const channel = new WebhookChannel({ signingOf: async (id) => (id === 'sub-1' ? { secrets: ['whsec_test'] } : null), clock, timeoutMs: 500 });
const request = (path: string, subscriptionId = 'sub-1'): SendRequest => ({
  messageId: 'm1',
  idempotencyKey: 'wh:sub-1:e1',
  attempt: 1,
  message: { kind: 'webhook', to: { subscriptionId, url: `${base}${path}` }, event: { id: 'e1', type: 'case.created', occurredAt: clock.now().toISOString(), data: { caseId: 'K1' } } },
});
const failure = async (path: string, subscriptionId?: string) => {
  try {
    await channel.send(request(path, subscriptionId));
  } catch (err) {
    if (err instanceof ChannelError) return { kind: err.kind, code: err.providerCode, retryAfterMs: err.retryAfterMs, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
};

describe('webhook channel', () => {
  it('delivers on 2xx with a signature the documented check accepts', async () => {
    hits.length = 0;
    await expect(channel.send(request('/204'))).resolves.toEqual({ providerMessageId: 'HTTP_204' });
    const now = Math.floor(clock.now().getTime() / 1000);
    expect(verifySignature('whsec_test', hits[0]!.signature, hits[0]!.body, now)).toBe(true);
    expect(verifySignature('whsec_other', hits[0]!.signature, hits[0]!.body, now)).toBe(false);
    expect(verifySignature('whsec_test', hits[0]!.signature, hits[0]!.body, now + 3600)).toBe(false);
  });

  it('classifies answers: 5xx and 408 retried, 429 after Retry-After, other 4xx permanent', async () => {
    expect(await failure('/500')).toMatchObject({ kind: 'retryable', code: 'HTTP_500' });
    expect(await failure('/408')).toMatchObject({ kind: 'retryable', code: 'HTTP_408' });
    expect(await failure('/busy')).toMatchObject({ kind: 'rate_limited', code: 'HTTP_429', retryAfterMs: 120_000 });
    expect(await failure('/404')).toMatchObject({ kind: 'permanent', code: 'HTTP_404' });
    expect(await failure('/410')).toMatchObject({ kind: 'permanent', code: 'HTTP_410' });
  });

  it('never follows a redirect, times out a slow receiver, and sends nothing for a removed subscription', async () => {
    hits.length = 0;
    expect(await failure('/redirect')).toMatchObject({ kind: 'permanent', code: 'HTTP_302' });
    expect(hits.map((h) => h.path)).toEqual(['/redirect']);
    expect(await failure('/slow')).toMatchObject({ kind: 'retryable', code: 'TIMEOUT' });
    hits.length = 0;
    expect(await failure('/200', 'sub-removed')).toMatchObject({ kind: 'permanent', code: 'SUBSCRIPTION_REMOVED' });
    expect(hits).toHaveLength(0);
  });
});
