// The sandbox's setup routes over HTTP: loading the example organisation, creating example cases
// through the same use case as POST /api/v1/cases (due at once), and refusing to act for a channel
// that is connected to a real provider.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { describeEachDatabase, type TestDb } from '../support/db.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { FakeClock } from '../../bot/clocks.js';
import { createHuifang, type Huifang } from '../../bot/huifang.js';
import { createHttpApp } from '../../bot/http/app.js';
import { SandboxChannel } from '../../bot/channels/sandbox/sandbox-channel.js';
import { UlidGenerator } from '../../bot/clocks.js';

/** 09:00 in Asia/Shanghai. */
const NINE_LOCAL = '2026-11-10T01:00:00Z';

interface Sandbox {
  app: Huifang;
  clock: FakeClock;
  post(path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }>;
}

async function startSandbox(db: TestDb, options: { at?: string; env?: Record<string, string> } = {}): Promise<Sandbox> {
  const clock = new FakeClock(options.at ?? NINE_LOCAL);
  const config = loadConfig({ DATABASE_URL: db.url, PORT: '3000', HUIFANG_TIMEZONE: 'Asia/Shanghai', ...options.env });
  const ids = new UlidGenerator(clock);
  // A live WeCom channel is never called here: the sandbox refuses to act for it before anything is sent.
  const channels = config.channels.staff === 'sandbox' ? undefined : { wecom: new SandboxChannel('wecom', ids, clock) };
  const app = createHuifang({ config, logger: createLogger({ level: 'silent' }), db: { ...db, close: async () => {} }, clock, ids, channels });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createHttpApp(app).listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    app,
    clock,
    async post(path, body) {
      const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },
  };
}

describeEachDatabase('sandbox setup routes, before the example organisation is loaded', (db) => {
  it('asks for the example organisation before creating a case, then loads it idempotently', async () => {
    const sandbox = await startSandbox(db());
    const prisma = db().prisma;
    const missing = await sandbox.post('/sandbox/api/example-case', { kind: 'discharge' });
    expect(missing.status).toBe(409);
    expect(missing.body.error).toMatchObject({ code: 'EXAMPLE_ORG_MISSING' });
    expect(missing.body.error.message).toContain('载入示例机构');
    expect(await prisma.case.count()).toBe(0);

    const first = await sandbox.post('/sandbox/api/seed');
    const second = await sandbox.post('/sandbox/api/seed');
    expect(first).toEqual({ status: 200, body: { departments: 4, staff: 10, customers: 7 } });
    expect(second.body).toEqual(first.body);
    expect(await prisma.staff.count()).toBe(10);
    expect(await prisma.department.count()).toBe(4);
    // The cached organisation was dropped: a case can be created at once.
    expect((await sandbox.post('/sandbox/api/example-case', { kind: 'discharge' })).status).toBe(201);
  });
});

describeEachDatabase('sandbox setup routes', (db) => {
  it('rejects an unknown example kind', async () => {
    const sandbox = await startSandbox(db());
    const res = await sandbox.post('/sandbox/api/example-case', { kind: 'surgery' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('creates a discharge whose phone task and survey are due now, for the next patient in turn', async () => {
    const sandbox = await startSandbox(db());
    await sandbox.post('/sandbox/api/seed');
    const a = await sandbox.post('/sandbox/api/example-case', { kind: 'discharge' });
    const b = await sandbox.post('/sandbox/api/example-case', { kind: 'discharge' });
    expect(a.status).toBe(201);
    expect(a.body.externalId).toMatch(/^SANDBOX-/);
    expect(b.body.customer).not.toBe(a.body.customer);
    const prisma = db().prisma;
    const kase = await prisma.case.findUniqueOrThrow({ where: { id: a.body.caseId }, include: { followUps: { include: { assignee: true } }, responsibleStaff: true } });
    expect(kase).toMatchObject({ type: 'discharge', policyId: 'P4', responsibleStaff: { wecomUserId: 'hushi.li' } });
    expect(JSON.parse(kase.attributes)).toEqual({ severity: 'normal' });
    const now = sandbox.clock.now().getTime();
    const steps = Object.fromEntries(kase.followUps.map((f) => [f.step, f]));
    expect(Object.keys(steps).sort()).toEqual(['phone', 'survey']);
    expect(steps.phone!.assignee?.wecomUserId).toBe('hushi.li');
    expect(steps.phone!.dueAt.getTime()).toBeLessThanOrEqual(now);
    expect(steps.survey!.dueAt.getTime()).toBeLessThanOrEqual(now);
  });

  it('creates a serious discharge whose phone task is due now and whose survey waits for day 3', async () => {
    const sandbox = await startSandbox(db());
    await sandbox.post('/sandbox/api/seed');
    const res = await sandbox.post('/sandbox/api/example-case', { kind: 'discharge_serious' });
    const followUps = await db().prisma.followUp.findMany({ where: { caseId: res.body.caseId } });
    const steps = Object.fromEntries(followUps.map((f) => [f.step, f]));
    expect(Object.keys(steps).sort()).toEqual(['phone_serious', 'survey']);
    expect(steps.phone_serious!.dueAt.getTime()).toBeLessThanOrEqual(sandbox.clock.now().getTime());
    expect(steps.survey!.dueAt.getTime()).toBeGreaterThan(sandbox.clock.now().getTime());
  });

  it('places a discharge created before 09:00 local one day earlier, so its phone task is still due now', async () => {
    const sandbox = await startSandbox(db(), { at: '2026-11-10T00:30:00Z' }); // 08:30 in Asia/Shanghai
    await sandbox.post('/sandbox/api/seed');
    const res = await sandbox.post('/sandbox/api/example-case', { kind: 'discharge' });
    const phone = await db().prisma.followUp.findFirstOrThrow({ where: { caseId: res.body.caseId, step: 'phone' } });
    expect(phone.dueAt.getTime()).toBeLessThanOrEqual(sandbox.clock.now().getTime());
  });

  it('creates a handled property complaint assigned to the assistant, never to the repairman complained about', async () => {
    const sandbox = await startSandbox(db());
    await sandbox.post('/sandbox/api/seed');
    const res = await sandbox.post('/sandbox/api/example-case', { kind: 'complaint' });
    expect(res.status).toBe(201);
    const kase = await db().prisma.case.findUniqueOrThrow({ where: { id: res.body.caseId }, include: { followUps: { include: { assignee: true } }, customer: true } });
    expect(kase).toMatchObject({ type: 'property_complaint', policyId: 'P7' });
    expect(kase.customer.externalId).toMatch(/^O-/);
    expect(JSON.parse(kase.milestones)).toEqual({ handled: sandbox.clock.now().toISOString() });
    expect(kase.followUps).toHaveLength(1);
    expect(kase.followUps[0]!.assignee?.wecomUserId).toBe('zhuli.wu');
    expect(kase.followUps[0]!.dueAt.getTime()).toBeLessThanOrEqual(sandbox.clock.now().getTime());
  });

  it('is not served at all while staff messages go to real WeCom: no taps, examples or cases', async () => {
    const sandbox = await startSandbox(db(), {
      env: {
        WECOM_CORP_ID: 'ww0000000000000000',
        WECOM_AGENT_ID: '1000002',
        WECOM_SECRET: 'test-secret-test-secret',
        WECOM_CALLBACK_TOKEN: 'testtoken',
        WECOM_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
      },
    });
    expect(sandbox.app.config.channels.staff).toBe('wecom');
    const cases = await db().prisma.case.count();
    for (const [path, body] of [
      ['/sandbox/api/tap', { wecomUserId: 'hushi.li', taskId: 'fu_X_1', key: 'satisfied:X:1' }],
      ['/sandbox/api/seed', {}],
      ['/sandbox/api/example-case', { kind: 'discharge' }],
    ] as const) {
      const res = await sandbox.post(path, body);
      expect(res.status, path).toBe(404);
    }
    expect(await db().prisma.inboundEvent.count({ where: { source: 'wecom', payload: { contains: 'fu_X_1' } } })).toBe(0);
    expect(await db().prisma.case.count()).toBe(cases);
  });
});
