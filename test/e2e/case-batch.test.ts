// POST /api/v1/cases/batch over real HTTP: per-item results in order, the single endpoint's
// validation and idempotency item by item, and a thousand cases in one request.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, uniqueExternalId } from '../support/builders.js';
import { api } from '../support/e2e.js';

interface BatchItem {
  index: number;
  status: number;
  caseId?: string;
  created?: boolean;
  followUpsAdded?: number;
  error?: { code: string; message: string; details?: { field?: string; fields?: { field: string }[] } };
}
interface BatchAnswer {
  created: number;
  resubmitted: number;
  failed: number;
  results: BatchItem[];
}

describeEachDatabase('POST /api/v1/cases/batch', (db) => {
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);
  });

  afterAll(async () => {
    await http?.close();
  });

  const postBatch = (cases: unknown[], key?: string | null) =>
    api(http.baseUrl, '/api/v1/cases/batch', { method: 'POST', body: JSON.stringify({ cases }), ...(key === undefined ? {} : { key }) });
  const postOne = (body: unknown) => api(http.baseUrl, '/api/v1/cases', { method: 'POST', body: JSON.stringify(body) });

  it('answers each item in order as the single endpoint would, and an invalid item fails alone', async () => {
    const valid = [dischargeBody(), dischargeBody({ severity: 'serious' }), dischargeBody()];
    const { name: _name, ...nameless } = valid[0]!.customer;
    const items = [
      valid[0],
      { ...dischargeBody(), customer: nameless },
      valid[1],
      dischargeBody({ phone: '12012345678' }),
      { ...dischargeBody(), type: 'spaceship_launch' },
      { ...dischargeBody(), responsibleStaff: 'nobody.here' },
      'not a case',
      valid[2],
    ];
    // What the single endpoint answers for each invalid item, on the same bodies.
    const invalid = [1, 3, 4, 5, 6].map((i) => items[i]);
    const single = await Promise.all(invalid.map(async (b) => (await postOne(b)).status));

    const res = await postBatch(items);

    expect(res.status).toBe(200);
    const json = (await res.json()) as BatchAnswer;
    expect(json.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(json.results.map((r) => r.status)).toEqual([201, single[0], 201, ...single.slice(1), 201]);
    expect(json.results.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'VALIDATION_FAILED', 'ok', 'INVALID_PHONE', 'UNKNOWN_CASE_TYPE', 'UNKNOWN_STAFF', 'VALIDATION_FAILED', 'ok']);
    expect(json.results[1]!.error!.details!.fields!.map((f) => f.field)).toEqual(['customer.name']);
    expect(json.results[3]!.error!.details!.field).toBe('customer.phone');
    expect(JSON.stringify(json)).not.toContain('12012345678');
    expect(json).toMatchObject({ created: 3, resubmitted: 0, failed: 5 });
    // The valid ones are cases like any other: readable, with the follow-ups the single endpoint plans.
    for (const [i, body] of [[0, valid[0]!], [2, valid[1]!], [7, valid[2]!]] as const) {
      const item = json.results[i]!;
      const view = (await (await api(http.baseUrl, `/api/v1/cases/${item.caseId}`)).json()) as { externalId: string; followUps: { step: string }[] };
      expect(view.externalId).toBe(body.externalId);
      expect(view.followUps).toHaveLength(item.followUpsAdded!);
      const again = (await (await postOne(body)).json()) as { created: boolean; case: { id: string } };
      expect(again).toMatchObject({ created: false, case: { id: item.caseId } });
    }
    expect(await db().prisma.case.count({ where: { externalId: { in: invalid.flatMap((b) => (typeof b === 'object' && b && 'externalId' in b ? [String(b.externalId)] : [])) } } })).toBe(0);
  });

  it('creates nothing when the same batch is retried: every item answers 200 with no follow-ups added', async () => {
    const items = Array.from({ length: 25 }, (_, i) => dischargeBody({ severity: i % 2 ? 'serious' : 'normal' }));
    const first = (await (await postBatch(items)).json()) as BatchAnswer;
    const counts = async () => ({
      cases: await db().prisma.case.count(),
      followUps: await db().prisma.followUp.count(),
      customers: await db().prisma.customer.count(),
      audit: await db().prisma.auditLog.count(),
    });
    const before = await counts();

    const retry = await postBatch(items);

    expect(retry.status).toBe(200);
    const json = (await retry.json()) as BatchAnswer;
    expect(first).toMatchObject({ created: 25, failed: 0 });
    expect(json).toMatchObject({ created: 0, resubmitted: 25, failed: 0 });
    expect(json.results.map((r) => [r.status, r.followUpsAdded, r.caseId])).toEqual(first.results.map((r) => [200, 0, r.caseId]));
    expect(await counts()).toEqual(before);
  });

  it('takes a thousand cases in one request, each created once with its follow-ups', async () => {
    const prefix = uniqueExternalId('K');
    const items = Array.from({ length: 1000 }, (_, i) =>
      dischargeBody({ externalId: `${prefix}-${i}`, severity: i % 3 === 0 ? 'serious' : 'normal', phone: `+86137${String(i).padStart(8, '0')}` }),
    );

    const res = await postBatch(items);

    expect(res.status).toBe(200);
    const json = (await res.json()) as BatchAnswer;
    expect(json).toMatchObject({ created: 1000, resubmitted: 0, failed: 0 });
    expect(json.results.every((r, i) => r.index === i && r.status === 201)).toBe(true);
    const cases = await db().prisma.case.findMany({ where: { externalId: { startsWith: `${prefix}-` } }, select: { id: true, externalId: true } });
    expect(cases).toHaveLength(1000);
    const byId = new Map(cases.map((c) => [c.id, c.externalId]));
    const followUps = new Map((await db().prisma.followUp.groupBy({ by: ['caseId'], where: { case: { externalId: { startsWith: `${prefix}-` } } }, _count: { _all: true } })).map((g) => [g.caseId, g._count._all]));
    json.results.forEach((r, i) => {
      expect(byId.get(r.caseId!)).toBe(`${prefix}-${i}`);
      expect(followUps.get(r.caseId!)).toBe(r.followUpsAdded);
    });
    expect(json.results.reduce((n, r) => n + r.followUpsAdded!, 0)).toBeGreaterThanOrEqual(2000);
    expect(await db().prisma.customer.count({ where: { externalId: { startsWith: `PAT-${prefix}-` } } })).toBe(1000);
    const audited = await db().prisma.auditLog.findMany({ where: { action: 'case.created', entityType: 'Case' }, select: { entityId: true } });
    expect(audited.filter((a) => byId.has(a.entityId))).toHaveLength(1000);
  });

  it('refuses a batch of more than a thousand, an empty batch and a missing key as a whole', async () => {
    const tooMany = await postBatch(Array.from({ length: 1001 }, () => ({})));
    const empty = await postBatch([]);
    const unauthorised = await postBatch([dischargeBody()], null);

    expect(tooMany.status).toBe(422);
    expect(((await tooMany.json()) as { error: { details: { fields: { field: string }[] } } }).error.details.fields.map((f) => f.field)).toEqual(['cases']);
    expect(empty.status).toBe(422);
    expect(unauthorised.status).toBe(401);
  });
});
