// GET /openapi.json against the running service: a valid OpenAPI 3.1 document that names every
// /api/v1 route the router serves, whose request schema accepts the policy packs' example cases, and
// whose response schemas describe what the service really answers. Everything is checked with the
// document's own JSON schemas (ajv), not with the zod schemas it was generated from.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type Router from '@koa/router';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { createHttpApp } from '../../bot/http/app.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, tapCard, uniqueExternalId } from '../support/builders.js';
import { api, buttonKey, deliveredCard, followUpOf, runJob } from '../support/e2e.js';

// ajv-formats is CommonJS: its default export arrives as the module object under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

const EXAMPLES_DIR = 'templates/policies/examples';
/** The document's base URI for ajv, so `#/components/schemas/…` resolves inside it. */
const DOC_ID = 'https://huifang.invalid/openapi.json';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, {
    parameters?: { name: string; in: string }[];
    requestBody?: { content: { 'application/json': { schema: object; examples: Record<string, { value: unknown }> } } };
    responses: Record<string, { content?: { 'application/json'?: { schema: object; examples?: Record<string, { value: unknown }> } } }>;
  }>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, { type: string; scheme: string }> };
  security?: unknown;
}

describeEachDatabase('OpenAPI document', (db) => {
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let doc: Doc;
  let ajv: Ajv2020;

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);
    const res = await fetch(`${http.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as Doc;
    ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
    // Only `components` is read by the pointers below; ajv is told it carries no keywords to check.
    ajv.addKeyword({ keyword: 'components' });
    ajv.addSchema({ $id: DOC_ID, components: doc.components });
  });

  afterAll(async () => {
    await http?.close();
  });

  /** A validator for a schema taken from the document (its `$ref`s resolved inside the document). */
  function validatorFor(schema: object): ValidateFunction {
    return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)) as object);
  }

  /** The response schema the document gives for `method path` answering `status`; fails if it gives none. */
  function responseSchema(method: string, path: string, status: number): ValidateFunction {
    const media = doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json'];
    expect(media, `the document describes ${method.toUpperCase()} ${path} answering ${status}`).toBeDefined();
    return validatorFor(media!.schema);
  }

  /** Asserts the response's status is documented for the operation and its body matches the schema. */
  async function expectDocumented(method: string, path: string, res: Response): Promise<unknown> {
    const body = (await res.json()) as unknown;
    const check = responseSchema(method, path, res.status);
    expect(check(body), `${method.toUpperCase()} ${path} ${res.status}: ${ajv.errorsText(check.errors)}\n${JSON.stringify(body).slice(0, 400)}`).toBe(true);
    return body;
  }

  it('is a valid OpenAPI 3.1 document with the bearer API key scheme', async () => {
    const result = await validate(structuredClone(doc) as never, { resolve: { external: false } });

    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.values(doc.components.securitySchemes)).toEqual([expect.objectContaining({ type: 'http', scheme: 'bearer' })]);
  });

  it('describes every /api/v1 route the router serves, and no other', () => {
    const koa = createHttpApp(app);
    const router = koa.middleware.map((m) => (m as { router?: Router }).router).find((r) => r !== undefined);
    expect(router).toBeDefined();
    const served = router!.stack
      .map((layer) => ({ path: String(layer.path), methods: layer.methods }))
      .filter((layer) => layer.path.startsWith('/api/v1'))
      .flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${layer.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));

    expect(served.length).toBeGreaterThan(0);
    expect(new Set(documented)).toEqual(new Set(served));
  });

  it('documents 401 for every operation, and the path and query parameters the routes read', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) expect(Object.keys(op.responses)).toContain('401');
    }
    expect(doc.paths['/api/v1/cases/{id}']!.get!.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    expect(doc.paths['/api/v1/follow-ups']!.get!.parameters!.map((p) => p.name).sort()).toEqual(['assignee', 'caseId', 'cursor', 'dueAfter', 'dueBefore', 'limit', 'policy', 'status']);
  });

  describe('request schema of POST /api/v1/cases', () => {
    const requestSchema = () => validatorFor(doc.paths['/api/v1/cases']!.post!.requestBody!.content['application/json'].schema);

    it('carries every example case of templates/policies/examples, and accepts each', () => {
      const check = requestSchema();
      const examples = doc.paths['/api/v1/cases']!.post!.requestBody!.content['application/json'].examples;
      const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

      expect(Object.keys(examples).sort()).toEqual(files.sort());
      for (const [name, example] of Object.entries(examples)) {
        expect(check(example.value), `${name}: ${ajv.errorsText(check.errors)}`).toBe(true);
      }
    });

    it('rejects what the API rejects: a time without offset, an unknown field, a missing customer name', () => {
      const check = requestSchema();
      const body = dischargeBody();

      expect(check(body)).toBe(true);
      expect(check({ ...body, occurredAt: '2026-11-03T15:30:00' })).toBe(false);
      expect(check({ ...body, colour: 'red' })).toBe(false);
      expect(check({ ...body, customer: { phone: '+8613800000001' } })).toBe(false);
    });
  });

  describe('responses of the running service', () => {
    it('POST /api/v1/cases: every example case gets a documented answer; 201 and 200 match CaseSubmitted', async () => {
      // The test organisation is the example hospital and property company: examples of other trades
      // name staff or departments it does not have, and are refused with a documented 422.
      const examples = doc.paths['/api/v1/cases']!.post!.requestBody!.content['application/json'].examples;
      const created: string[] = [];
      for (const [name, example] of Object.entries(examples)) {
        const body = JSON.stringify(example.value);
        const res = await api(http.baseUrl, '/api/v1/cases', { method: 'POST', body });
        const answer = (await expectDocumented('post', '/api/v1/cases', res)) as { error?: { code: string } };
        if (res.status === 201) {
          created.push(name);
          const again = await api(http.baseUrl, '/api/v1/cases', { method: 'POST', body });
          expect(again.status, name).toBe(200);
          expect(await expectDocumented('post', '/api/v1/cases', again)).toMatchObject({ created: false, followUpsAdded: 0 });
        } else {
          expect([res.status, answer.error?.code], name).toEqual([422, expect.stringMatching(/^UNKNOWN_(STAFF|DEPARTMENT)$/)]);
        }
      }
      expect(created).toEqual(expect.arrayContaining(['P4-discharge', 'P4-discharge-serious']));
    });

    it('GET /api/v1/cases/{id}: open, answered and closed cases match CaseView', async () => {
      // An open case whose phone follow-up was called and answered (outcome and completedAt set).
      clock.set('2026-11-03T16:00:00+08:00');
      const answered = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
      const submitted = (await expectDocumented('post', '/api/v1/cases', await api(http.baseUrl, '/api/v1/cases', { method: 'POST', body: JSON.stringify(answered) }))) as { case: { id: string } };
      const caseId = submitted.case.id;
      clock.set('2026-11-10T09:00:00+08:00');
      await runJob(app, 'activate-due-follow-ups');
      await runJob(app, 'dispatch-outbox');
      const phone = await followUpOf(db().prisma, caseId, 'phone');
      const { card } = await deliveredCard(db().prisma, phone.id, 1);
      await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'satisfied') });
      // A closed case: its open follow-ups are cancelled.
      const closed = dischargeBody({ externalId: uniqueExternalId('ZY'), occurredAt: '2026-11-08T10:00:00+08:00' });
      await api(http.baseUrl, '/api/v1/cases', { method: 'POST', body: JSON.stringify(closed) });
      const closing = await api(http.baseUrl, '/api/v1/cases', { method: 'POST', body: JSON.stringify({ ...closed, closedAt: '2026-11-10T08:00:00+08:00' }) });
      const closedId = ((await expectDocumented('post', '/api/v1/cases', closing)) as { case: { id: string } }).case.id;

      const view = (await expectDocumented('get', '/api/v1/cases/{id}', await api(http.baseUrl, `/api/v1/cases/${caseId}`))) as { followUps: { step: string; outcome: string | null; completedAt: string | null }[] };
      const closedView = (await expectDocumented('get', '/api/v1/cases/{id}', await api(http.baseUrl, `/api/v1/cases/${closedId}`))) as { status: string; closedAt: string | null };

      expect(view.followUps.find((f) => f.step === 'phone')).toMatchObject({ outcome: 'SATISFIED', completedAt: '2026-11-10T01:00:00.000Z' });
      expect(closedView).toMatchObject({ status: 'CLOSED', closedAt: '2026-11-10T00:00:00.000Z' });
    });

    it('GET /api/v1/follow-ups: every page matches FollowUpPage', async () => {
      for (let i = 0; i < 4; i++) expect((await api(http.baseUrl, '/api/v1/cases', { method: 'POST', body: JSON.stringify(dischargeBody()) })).status).toBe(201);
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await api(http.baseUrl, `/api/v1/follow-ups?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        cursor = ((await expectDocumented('get', '/api/v1/follow-ups', res)) as { nextCursor: string | null }).nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      expect(pages).toBeGreaterThan(2);
      await expectDocumented('get', '/api/v1/follow-ups', await api(http.baseUrl, '/api/v1/follow-ups?status=active,done&assignee=hushi.li'));
    });

    it('error answers match ErrorBody under a status the document gives for the operation', async () => {
      const post = (body: string, key?: string | null) => api(http.baseUrl, '/api/v1/cases', { method: 'POST', body, ...(key === undefined ? {} : { key }) });
      const cases: [string, string, () => Promise<Response>, number][] = [
        ['post', '/api/v1/cases', () => post(JSON.stringify(dischargeBody()), null), 401],
        ['post', '/api/v1/cases', () => post('{"type": "discharge",'), 400],
        ['post', '/api/v1/cases', () => post(JSON.stringify({ ...dischargeBody(), attributes: { note: 'x'.repeat(257 * 1024) } })), 413],
        ['post', '/api/v1/cases', () => post(JSON.stringify({ ...dischargeBody(), occurredAt: '2026-11-03T15:30:00' })), 422],
        ['post', '/api/v1/cases', () => post(JSON.stringify({ ...dischargeBody(), responsibleStaff: 'nobody.here' })), 422],
        ['post', '/api/v1/cases', () => post(JSON.stringify({ ...dischargeBody(), type: 'spaceship_launch' })), 422],
        ['post', '/api/v1/cases', () => post(JSON.stringify(dischargeBody({ phone: '12012345678' }))), 422],
        ['get', '/api/v1/cases/{id}', () => api(http.baseUrl, '/api/v1/cases/01NOSUCHCASE', { key: 'wrong-key-0123456789abcdef' }), 401],
        ['get', '/api/v1/cases/{id}', () => api(http.baseUrl, '/api/v1/cases/01NOSUCHCASE'), 404],
        ['get', '/api/v1/follow-ups', () => api(http.baseUrl, '/api/v1/follow-ups', { key: null }), 401],
        ['get', '/api/v1/follow-ups', () => api(http.baseUrl, '/api/v1/follow-ups?status=FINISHED&limit=501'), 422],
        ['get', '/api/v1/follow-ups', () => api(http.baseUrl, '/api/v1/follow-ups?cursor=bm9wZQ'), 422],
        ['get', '/api/v1/follow-ups', () => api(http.baseUrl, '/api/v1/follow-ups?colour=red'), 422],
      ];
      for (const [method, path, send, status] of cases) {
        const res = await send();
        expect(res.status, `${method} ${path}`).toBe(status);
        await expectDocumented(method, path, res);
      }
    });

    it('the documented error examples match ErrorBody too', () => {
      const check = validatorFor({ $ref: '#/components/schemas/ErrorBody' });
      const examples = Object.values(doc.paths).flatMap((item) =>
        Object.values(item).flatMap((op) => Object.values(op.responses).flatMap((r) => Object.values(r.content?.['application/json']?.examples ?? {}))),
      );
      expect(examples.length).toBeGreaterThan(5);
      for (const example of examples) expect(check(example.value), JSON.stringify(example.value)).toBe(true);
    });
  });
});
