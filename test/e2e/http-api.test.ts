// The integration API over real HTTP (koa app on an ephemeral port, node's fetch).
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient, TEST_API_KEY } from '../support/service.js';
import { dischargeBody, uniquePhone } from '../support/builders.js';
import { api, runJob } from '../support/e2e.js';

interface ErrorBody {
  error: { code: string; message: string; details?: { field?: string; fields?: { field: string; message: string }[] } };
}

interface FollowUpItem {
  id: string;
  status: string;
  dueAt: string;
  assignee: { wecomUserId: string | null } | null;
}

/**
 * A POST through node:http with an explicit agent (fetch's shared pool would hide which socket is
 * reused). `chunked` sends no content-length; `timeoutMs` fails a request left unanswered.
 */
function rawPost(
  url: string,
  agent: Agent,
  chunks: string[],
  options: { chunked: boolean; timeoutMs?: number },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const length = options.chunked ? {} : { 'content-length': String(Buffer.byteLength(chunks.join(''))) };
    const req = httpRequest(url, { method: 'POST', agent, headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...length } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** The field(s) an error response names, whichever detail shape carries them. */
function namedFields(body: ErrorBody): string[] {
  const details = body.error.details ?? {};
  return [...(details.fields?.map((f) => f.field) ?? []), ...(details.field ? [details.field] : [])];
}

describeEachDatabase('HTTP API', (db) => {
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  const base = () => http.baseUrl;

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);
  });

  afterAll(async () => {
    await http?.close();
  });

  const post = (body: unknown, init: { key?: string | null } = {}) =>
    api(base(), '/api/v1/cases', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), ...init });

  describe('authentication', () => {
    it.each([
      ['no key', null],
      ['a wrong key', 'wrong-key-0123456789abcdef'],
    ])('answers 401 to a request with %s', async (_what, key) => {
      const responses = await Promise.all([post(dischargeBody(), { key }), api(base(), '/api/v1/follow-ups', { key }), api(base(), '/api/v1/cases/x', { key })]);

      for (const res of responses) {
        expect(res.status).toBe(401);
        expect(((await res.json()) as ErrorBody).error.code).toBe('UNAUTHORIZED');
      }
      expect(await db().prisma.case.count({ where: { externalId: 'never' } })).toBe(0);
    });

    it('answers 401 to a non-bearer authorization header', async () => {
      const res = await api(base(), '/api/v1/follow-ups', { key: null, headers: { authorization: `Basic dGVzdDowMTIzNDU2Nzg5YWJjZGVmMDEyMw==` } });
      expect(res.status).toBe(401);
    });
  });

  describe('POST /api/v1/cases validation', () => {
    it('names customer.name when it is missing (422)', async () => {
      const body = dischargeBody();
      const { name: _name, ...customer } = body.customer;

      const res = await post({ ...body, customer });

      expect(res.status).toBe(422);
      const json = (await res.json()) as ErrorBody;
      expect(json.error.code).toBe('VALIDATION_FAILED');
      expect(json.error.details?.fields?.[0]?.field).toBe('customer.name');
    });

    it('names customer.phone when the phone is not a number (422), without echoing it', async () => {
      const res = await post(dischargeBody({ phone: '12012345678' }));

      expect(res.status).toBe(422);
      const text = await res.text();
      const json = JSON.parse(text) as ErrorBody;
      expect(json.error.code).toBe('INVALID_PHONE');
      expect(namedFields(json)).toEqual(['customer.phone']);
      expect(text).not.toContain('12012345678');
    });

    it('names type for an unknown case type (422 UNKNOWN_CASE_TYPE)', async () => {
      const res = await post({ ...dischargeBody(), type: 'spaceship_launch' });

      expect(res.status).toBe(422);
      const json = (await res.json()) as ErrorBody;
      expect(json.error.code).toBe('UNKNOWN_CASE_TYPE');
      expect(namedFields(json)).toEqual(['type']);
    });

    it('names occurredAt when it has no timezone offset (422)', async () => {
      const res = await post({ ...dischargeBody(), occurredAt: '2026-11-03T15:30:00' });

      expect(res.status).toBe(422);
      expect(namedFields((await res.json()) as ErrorBody)).toEqual(['occurredAt']);
    });

    it('names responsibleStaff when no such WeCom user exists (422 UNKNOWN_STAFF)', async () => {
      const res = await post({ ...dischargeBody(), responsibleStaff: 'nobody.here' });

      expect(res.status).toBe(422);
      const json = (await res.json()) as ErrorBody;
      expect(json.error.code).toBe('UNKNOWN_STAFF');
      expect(namedFields(json)).toEqual(['responsibleStaff']);
    });

    it('answers 400 to malformed JSON and to an empty body', async () => {
      for (const body of ['{"type": "discharge",', 'not json at all']) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(((await res.json()) as ErrorBody).error.code).toBe('MALFORMED_JSON');
      }
      const empty = await api(base(), '/api/v1/cases', { method: 'POST', headers: { 'content-type': 'application/json' } });
      expect(empty.status).toBe(400);
    });

    it('answers 413 to a body over 256 KiB', async () => {
      const body = JSON.stringify({ ...dischargeBody(), attributes: { note: 'x'.repeat(257 * 1024) } });

      const res = await post(body);

      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.code).toBe('BODY_TOO_LARGE');
    });

    it('answers 413 to a streamed body over 256 KiB that declares no length, and keeps the connection usable', async () => {
      // One keep-alive socket, so the second request must go where the first one went (or on a new
      // socket if the server closed the first).
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const oversize = await rawPost(`${base()}/api/v1/cases`, agent, Array.from({ length: 6 }, () => 'x'.repeat(64 * 1024)), { chunked: true });
        expect(oversize.status).toBe(413);
        expect((JSON.parse(oversize.body) as ErrorBody).error.code).toBe('BODY_TOO_LARGE');

        const next = await rawPost(`${base()}/api/v1/cases`, agent, [JSON.stringify(dischargeBody())], { chunked: false, timeoutMs: 3_000 });

        expect(next.status).toBe(201);
      } finally {
        agent.destroy();
      }
    });

    it('accepts a body of just under 256 KiB', async () => {
      const body = dischargeBody();
      const padded = JSON.stringify({ ...body, attributes: { severity: 'normal', note: '' } });
      const note = 'x'.repeat(256 * 1024 - Buffer.byteLength(padded));
      const text = JSON.stringify({ ...body, attributes: { severity: 'normal', note } });
      expect(Buffer.byteLength(text)).toBe(256 * 1024);

      const res = await post(text);

      expect(res.status).toBe(201);
    });
  });

  describe('POST /api/v1/cases idempotency', () => {
    it('answers 201 for a new case and 200 with followUpsAdded 0 when it is posted again', async () => {
      const body = dischargeBody();

      const first = await post(body);
      const second = await post(body);

      expect(first.status).toBe(201);
      expect(second.status).toBe(200);
      const a = (await first.json()) as { created: boolean; followUpsAdded: number; case: { id: string; followUps: unknown[] } };
      const b = (await second.json()) as { created: boolean; followUpsAdded: number; case: { id: string; followUps: unknown[] } };
      expect(a).toMatchObject({ created: true, followUpsAdded: 2 });
      expect(b).toMatchObject({ created: false, followUpsAdded: 0 });
      expect(b.case.id).toBe(a.case.id);
      expect(b.case.followUps).toHaveLength(2);
    });

    it('says which attributes no step knows when a new case gets no follow-up at all, without their values', async () => {
      // A gynaecology outpatient visit whose diagnosis is not in 002 制度21's table: P4 plans nothing for it.
      const body = { ...dischargeBody(), type: 'outpatient', attributes: { clinic: 'gynaecology', diagnosis: '不在表中的诊断' } };
      const res = await post(body);
      expect(res.status).toBe(201);
      const answer = (await res.json()) as { followUpsAdded: number; noStepApplies?: string[]; case: { followUps: unknown[] } };
      expect(answer).toMatchObject({ followUpsAdded: 0, noStepApplies: ['diagnosis'] });
      expect(answer.case.followUps).toEqual([]);
      expect(JSON.stringify(answer.noStepApplies)).not.toContain('不在表中的诊断');
      // A case that gets its follow-ups carries no such field.
      expect(await (await post(dischargeBody())).json()).not.toHaveProperty('noStepApplies');
    });

    it('creates one case when the same case is posted twice at once', async () => {
      const body = dischargeBody();

      const responses = await Promise.all([post(body), post(body)]);

      expect(responses.map((r) => r.status).sort()).toEqual([200, 201]);
      const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { case: { id: string } }).case.id));
      expect(new Set(ids).size).toBe(1);
      expect(await db().prisma.case.count({ where: { type: 'discharge', externalId: body.externalId } })).toBe(1);
      expect(await db().prisma.followUp.count({ where: { caseId: ids[0] } })).toBe(2);
    });
  });

  describe('GET /api/v1/cases/:id', () => {
    it('shows the phone masked, and the full number nowhere', async () => {
      const phone = uniquePhone();
      const national = phone.slice(3);
      const created = await post(dischargeBody({ phone }));
      const createdText = await created.text();
      const { case: view } = JSON.parse(createdText) as { case: { id: string } };

      const res = await api(base(), `/api/v1/cases/${view.id}`);

      expect(res.status).toBe(200);
      const text = await res.text();
      const json = JSON.parse(text) as { customer: { phone: string }; followUps: unknown[] };
      expect(json.customer.phone).toBe(`${national.slice(0, 3)}****${national.slice(-4)}`);
      expect(json.followUps).toHaveLength(2);
      for (const body of [text, createdText]) {
        expect(body).not.toContain(national);
        expect(body).not.toContain(phone);
      }
    });

    it('answers 404 for an unknown case', async () => {
      const res = await api(base(), '/api/v1/cases/01NOSUCHCASE');
      expect(res.status).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe('NOT_FOUND');
    });
  });

  describe('GET /api/v1/follow-ups', () => {
    async function allPages(query: string, limit: number): Promise<{ items: FollowUpItem[]; pages: number }> {
      const items: FollowUpItem[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await api(base(), `/api/v1/follow-ups?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        const page = (await res.json()) as { items: FollowUpItem[]; nextCursor: string | null };
        expect(page.items.length).toBeLessThanOrEqual(limit);
        items.push(...page.items);
        cursor = page.nextCursor;
        pages += 1;
        expect(pages).toBeLessThan(50);
      } while (cursor);
      return { items, pages };
    }

    it('filters by status and assignee and pages through every match once', async () => {
      // 23 discharges for 周护士: 5 discharged in October (their calls are due now), 18 on 11-03,
      // several sharing a discharge time so the cursor must break ties by id.
      const early = Array.from({ length: 5 }, (_, i) => dischargeBody({ responsibleStaff: 'hushi.zhou', occurredAt: `2026-10-2${i}T10:00:00+08:00` }));
      const late = Array.from({ length: 18 }, (_, i) => dischargeBody({ responsibleStaff: 'hushi.zhou', occurredAt: `2026-11-03T1${i % 3}:00:00+08:00` }));
      for (const body of [...early, ...late]) expect((await post(body)).status).toBe(201);
      clock.set('2026-11-05T09:00:00+08:00');
      await runJob(app, 'activate-due-follow-ups');

      const scheduled = await allPages('status=SCHEDULED&assignee=hushi.zhou', 4);
      const active = await allPages('status=active&assignee=hushi.zhou', 2);
      const both = await allPages('status=SCHEDULED,ACTIVE&assignee=hushi.zhou', 7);

      expect(scheduled.items).toHaveLength(18);
      expect(scheduled.pages).toBe(5);
      expect(active.items).toHaveLength(5);
      expect(both.items).toHaveLength(23);
      for (const { items } of [scheduled, active, both]) {
        expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
        expect(items.every((i) => i.assignee?.wecomUserId === 'hushi.zhou')).toBe(true);
        const order = items.map((i) => `${i.dueAt}|${i.id}`);
        expect(order).toEqual([...order].sort());
      }
      expect(scheduled.items.every((i) => i.status === 'SCHEDULED')).toBe(true);
      expect(active.items.every((i) => i.status === 'ACTIVE')).toBe(true);
      const zhouId = (await db().prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'hushi.zhou' } })).id;
      expect(new Set(both.items.map((i) => i.id))).toEqual(
        new Set((await db().prisma.followUp.findMany({ where: { assigneeId: zhouId }, select: { id: true } })).map((f) => f.id)),
      );
    });

    it.each([
      ['an unknown status', 'status=FINISHED', 'status'],
      ['a limit above 500', 'limit=501', 'limit'],
      ['a cursor it did not issue', 'cursor=bm9wZQ', 'cursor'],
      ['an unknown parameter', 'colour=red', '(body)'],
    ])('answers 422 to %s', async (_what, query, field) => {
      const res = await api(base(), `/api/v1/follow-ups?${query}`);

      expect(res.status).toBe(422);
      const fields = namedFields((await res.json()) as ErrorBody);
      expect(fields.some((f) => f === field || f.startsWith(`${field}.`)), fields.join(', ')).toBe(true);
    });
  });

  describe('operations endpoints', () => {
    it('answers /healthz with 200 and the database status, without a key', async () => {
      const res = await api(base(), '/healthz', { key: null });

      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', db: { provider: db().provider, status: 'ok' } });
    });

    it('exposes the backlog gauges and the API latency on /metrics, without a key', async () => {
      await post(dischargeBody());

      const res = await api(base(), '/metrics', { key: null });

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(text).toContain('# TYPE huifang_outbox_lag_seconds gauge');
      expect(text).toContain('# TYPE huifang_inbox_backlog gauge');
      expect(text).toMatch(/^huifang_http_request_duration_seconds_count\{route="\/api\/v1\/cases",method="POST",status="201"\} [1-9]\d*$/m);
      // This process's lifecycle counters, and no whole-table counts by status.
      expect(text).toContain('# TYPE huifang_outbox_events_total counter');
      expect(text).toContain('# TYPE huifang_inbound_events_total counter');
      expect(text).not.toContain('huifang_follow_ups{');
    });
  });
});
