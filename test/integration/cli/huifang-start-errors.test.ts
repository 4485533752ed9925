/**
 * `huifang start` refusing to start, as an operator sees it: the real binary in a child process, one
 * line on stderr (Chinese, then English) naming what to change, no stack, and a non-zero exit code —
 * for a port already taken, an unreachable or missing PostgreSQL database, a sandbox bound beyond
 * loopback without a password and an unknown role. A missing database the user may create is created.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnStart } from '../../support/start-process.js';

const ROOT = join(import.meta.dirname, '../../..');
const run = promisify(execFile);
const PG_URL = process.env.TEST_POSTGRES_URL;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function huifangStart(args: string[], env: Record<string, string>): Promise<Ran> {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env };
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/huifang.mjs', 'start', ...args], { cwd: ROOT, env: merged, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const stderrLines = (ran: Ran) => ran.stderr.split('\n').filter((l) => l.trim() !== '');

/** `url` with another database (and user, when given). */
function withDatabase(url: string, database: string, user?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user !== undefined) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('huifang start (the binary): start-up errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-start-'));
  let taken: Server;
  let takenPort: number;
  let results: Record<string, Ran>;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
    const runs: Record<string, Promise<Ran>> = {
      portInUse: huifangStart([], { DATABASE_URL: `file:${join(dir, 'port.db')}`, PORT: String(takenPort) }),
      pgUnreachable: huifangStart([], { DATABASE_URL: 'postgresql://huifang:secret-pw@127.0.0.1:1/huifang' }),
      sandboxExposed: huifangStart([], { DATABASE_URL: `file:${join(dir, 'exposed.db')}`, HOST: '0.0.0.0' }),
      badRole: huifangStart(['--role', 'cron'], {}),
    };
    results = Object.fromEntries(await Promise.all(Object.entries(runs).map(async ([name, p]) => [name, await p] as const)));
  }, 300_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => taken?.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a port already in use: exit 1 and one line naming the port and PORT, no EADDRINUSE stack', () => {
    const ran = results.portInUse!;
    expect(ran.code).toBe(1);
    expect(stderrLines(ran)).toEqual([
      `端口 ${takenPort}（127.0.0.1）已被占用：请停止占用它的进程，或用 PORT 换一个端口 / port ${takenPort} on 127.0.0.1 is already in use: stop the process holding it, or set PORT to another port`,
    ]);
  });

  it('an unreachable PostgreSQL: exit 1 and one line naming host, port and the cause, without the password or the Prisma banner', () => {
    const ran = results.pgUnreachable!;
    expect(ran.code).toBe(1);
    expect(stderrLines(ran)).toEqual([
      '无法连接 PostgreSQL 127.0.0.1:1（ECONNREFUSED）：请确认数据库已启动，且 DATABASE_URL 中的主机和端口正确 / cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED): is it running, and are the host and port in DATABASE_URL right?',
    ]);
    expect(ran.stdout + ran.stderr).not.toContain('secret-pw');
    expect(ran.stdout).not.toContain('Prisma schema loaded');
  });

  it('the sandbox on HOST=0.0.0.0 without HUIFANG_SANDBOX_PASSWORD: exit 78 and one line naming both settings', () => {
    const ran = results.sandboxExposed!;
    expect(ran.code).toBe(78);
    expect(stderrLines(ran)).toHaveLength(1);
    expect(stderrLines(ran)[0]).toContain('HOST=0.0.0.0 would expose the sandbox (every customer and signed link) beyond this machine: set HUIFANG_SANDBOX_PASSWORD, or unset HOST to listen on 127.0.0.1');
  });

  it('an unknown role: exit 2 with the usage', () => {
    const ran = results.badRole!;
    expect(ran.code).toBe(2);
    expect(stderrLines(ran)).toEqual(['Usage: huifang start [--role all|web|jobs]']);
  });
});

describe.skipIf(PG_URL === undefined)('huifang start (the binary): a missing PostgreSQL database', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `huifang_start_${suffix}`;
  const role = `huifang_nocreate_${suffix}`;

  beforeAll(async () => {
    await adminQuery(`CREATE ROLE ${role} LOGIN NOCREATEDB`);
  });

  afterAll(async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  it('is created when the user may, then migrated and served', async () => {
    const service = spawnStart(['--role', 'web'], { DATABASE_URL: withDatabase(PG_URL!, database), PORT: String(await freePort()) });
    try {
      expect(await service.waitForLog('database created')).toMatchObject({ database });
      await service.waitForLog('Huifang listening');
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  }, 180_000);

  it('is explained in one line, with exit 1, when the user may not create it', async () => {
    const ran = await huifangStart([], { DATABASE_URL: withDatabase(PG_URL!, `${database}_other`, role) });
    expect(ran.code).toBe(1);
    const where = `${new URL(PG_URL!).hostname}:${new URL(PG_URL!).port || '5432'}`;
    expect(stderrLines(ran)).toEqual([
      `PostgreSQL ${where} 上没有数据库 "${database}_other"，且用户 ${role} 无权创建：请先建库（CREATE DATABASE "${database}_other" OWNER ${role}）或给该用户 CREATEDB 权限 / database "${database}_other" does not exist on PostgreSQL ${where} and user ${role} may not create it: create it (CREATE DATABASE "${database}_other" OWNER ${role}) or grant the user CREATEDB`,
    ]);
  }, 120_000);
});
