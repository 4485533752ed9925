// The composition root by process role (`huifang start --role`): `web` serves every route and
// schedules no job; `jobs` schedules every job and serves only /healthz and /metrics. And the sandbox
// password: HTTP Basic in front of /sandbox and the console, nowhere else.
import cron from 'node-cron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type AdHocTestDb } from '../support/db.js';
import { createLogger } from '../../bot/logger.js';
import { startService, type RunningService, type ServiceRole } from '../../bot/main.js';
import { jobs } from '../../jobs/index.js';
import { freePort } from '../support/start-process.js';
import { TEST_API_KEY } from '../support/service.js';

/** Names of the Huifang jobs node-cron has scheduled in this process (stopped ones are destroyed). */
const scheduledJobs = () => [...cron.getTasks().values()].map((task) => task.name ?? '').filter((name) => Object.hasOwn(jobs, name)).sort();

describe('process roles', () => {
  let db: AdHocTestDb;

  beforeAll(async () => {
    db = await createTestDb('sqlite');
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
  });

  async function start(role: ServiceRole, env: Record<string, string> = {}): Promise<{ service: RunningService; base: string }> {
    const service = await startService(
      {
        DATABASE_URL: db.url,
        PORT: String(await freePort()),
        API_KEYS: `test:${TEST_API_KEY}`,
        // WeCom configured (never called here), so that the WeCom callback route exists.
        WECOM_CORP_ID: 'wwroles0000000001',
        WECOM_AGENT_ID: '1000002',
        WECOM_SECRET: 'roles-secret',
        WECOM_CALLBACK_TOKEN: 'rolestoken',
        WECOM_ENCODING_AES_KEY: 'a'.repeat(43),
        WECOM_API_BASE: 'http://127.0.0.1:9',
        ...env,
      },
      { role, logger: createLogger({ level: 'silent' }) },
    );
    return { service, base: `http://127.0.0.1:${service.port}` };
  }

  it('web: every route, no job scheduled', async () => {
    const { service, base } = await start('web');
    try {
      expect(scheduledJobs()).toEqual([]);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/wecom/callback`)).status).not.toBe(404);
      expect((await fetch(`${base}/api/v1/cases`, { method: 'POST' })).status).toBe(401);
      expect((await fetch(`${base}/console/login`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  }, 120_000);

  it('jobs: every job scheduled, only /healthz and /metrics served; stopping unschedules them', async () => {
    const { service, base } = await start('jobs');
    try {
      expect(scheduledJobs()).toEqual(Object.keys(jobs).sort());
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      for (const [method, path] of [['GET', '/wecom/callback'], ['POST', '/wecom/callback'], ['POST', '/api/v1/cases'], ['GET', '/console/login'], ['GET', '/sandbox']] as const) {
        expect((await fetch(base + path, { method, headers: { Authorization: `Bearer ${TEST_API_KEY}` } })).status, `${method} ${path}`).toBe(404);
      }
    } finally {
      await service.stop();
    }
    expect(scheduledJobs()).toEqual([]);
  }, 120_000);

  it('the sandbox password guards /sandbox and the console with HTTP Basic, and nothing else', async () => {
    const password = 'sandbox-pass-0123';
    const { service, base } = await start('web', {
      HUIFANG_SANDBOX: '1',
      HOST: '127.0.0.1',
      HUIFANG_SANDBOX_PASSWORD: password,
    });
    const basic = (user: string, pass: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    try {
      for (const path of ['/sandbox', '/sandbox/api/state', '/console/login', '/']) {
        const refused = await fetch(base + path, { redirect: 'manual' });
        expect(refused.status, path).toBe(401);
        expect(refused.headers.get('www-authenticate'), path).toBe('Basic realm="Huifang sandbox", charset="UTF-8"');
        expect((await fetch(base + path, { headers: basic('x', 'wrong-password'), redirect: 'manual' })).status, path).toBe(401);
      }
      expect((await fetch(`${base}/sandbox`, { headers: basic('anyone', password) })).status).toBe(200);
      expect((await fetch(`${base}/sandbox/api/state`, { headers: basic('', password) })).status).toBe(200);
      expect((await fetch(`${base}/console/login`, { headers: basic('me', password) })).status).toBe(200);
      // Not guarded: the API keeps its own keys, health checks stay open.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const api = await fetch(`${base}/api/v1/cases`, { method: 'POST' });
      expect(api.status).toBe(401);
      expect(api.headers.get('www-authenticate') ?? '').not.toContain('Huifang sandbox');
    } finally {
      await service.stop();
    }
  }, 120_000);
});
