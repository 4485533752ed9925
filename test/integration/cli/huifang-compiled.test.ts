/**
 * `huifang` runs the service compiled to JavaScript (scripts/build.mjs, dist/), built again whenever a
 * source changed, and its start-up loads neither the modules only some routes and jobs need (exceljs,
 * ECharts, resvg, the Tencent SMS SDK, the OpenAPI document generator, the CSV parser) nor the other database's
 * Prisma client and driver (README, "Memory"). Real builds and a real `huifang start`; the loaded modules
 * are recorded by an observing preload (test/support/record-loaded-modules.mjs).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { build, DIST_DIR, ensureBuild, freshEntry } from '../../../scripts/build.mjs';
import { createTestDb, testDatabases, type AdHocTestDb } from '../../support/db.js';
import { freePort, spawnStart } from '../../support/start-process.js';

const ROOT = join(import.meta.dirname, '../../..');
const RECORDER = join(ROOT, 'test/support/record-loaded-modules.mjs');

describe('scripts/build.mjs', () => {
  // Inside dist/ (so that the chunks find node_modules), in a directory of this test's own.
  const distDir = join(DIST_DIR, `.test-${process.pid}`);
  afterAll(() => rmSync(distDir, { recursive: true, force: true }));

  it('builds once, is fresh while no input changes, and builds again when one did', async () => {
    expect(freshEntry(distDir)).toBeNull();
    const entry = await build(distDir);
    expect(freshEntry(distDir)).toBe(entry);
    expect(await ensureBuild(distDir)).toBe(entry);

    // An input whose content no longer matches what was built (as after an edit of bot/cli.ts).
    const currentFile = join(distDir, 'current.json');
    const current = JSON.parse(readFileSync(currentFile, 'utf8')) as { inputs: Record<string, string> };
    expect(Object.keys(current.inputs)).toEqual(expect.arrayContaining(['bot/cli.ts', 'bot/main.ts', 'jobs/schedule.ts', 'scripts/build.mjs']));
    current.inputs['bot/cli.ts'] = '0'.repeat(64);
    writeFileSync(currentFile, JSON.stringify(current));
    expect(freshEntry(distDir)).toBeNull();
    // Same sources, so the same directory again, and fresh.
    expect(await ensureBuild(distDir)).toBe(entry);
    expect(freshEntry(distDir)).toBe(entry);
  });

  it('gives a build that runs: `huifang help` from it', async () => {
    const entry = await ensureBuild(distDir);
    const { stdout } = await promisify(execFile)(process.execPath, [entry, 'help'], { cwd: ROOT });
    expect(stdout).toContain('huifang start [--role all|web|jobs]');
    expect(stdout).toMatch(/Jobs: .*activate-due-follow-ups/);
  });
});

/**
 * Modules that only some routes, jobs or commands need: packages, and the build's chunks of our own
 * modules that load them (esbuild names a chunk loaded by `import()` after its module).
 */
const LAZY = [
  /node_modules\/exceljs\//,
  /node_modules\/echarts\//,
  /node_modules\/zrender\//,
  /node_modules\/@resvg\//,
  /node_modules\/tencentcloud-sdk-nodejs/,
  /node_modules\/csv-parse\//,
  /\/dist\/[0-9a-f]+\/(openapi|render-chart|report-files)-[A-Z0-9]+\.js$/,
];
const OTHER_DATABASE = {
  sqlite: [/prisma\/generated\/postgresql\//, /node_modules\/@prisma\/adapter-pg\//, /node_modules\/pg\//],
  postgresql: [/prisma\/generated\/sqlite\//, /node_modules\/@prisma\/adapter-better-sqlite3\//, /node_modules\/better-sqlite3\//],
} as const;

for (const { name: provider, enabled } of testDatabases) {
  describe.skipIf(!enabled)(`huifang start: what start-up loads [${provider}]`, () => {
    const dbs: AdHocTestDb[] = [];
    const dirs: string[] = [];
    afterAll(async () => {
      await Promise.all(dbs.map((db) => db.destroy()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it('runs the compiled service and loads no report, chart, SMS SDK, OpenAPI or CSV module, nor the other database', async () => {
      const db = await createTestDb(provider);
      dbs.push(db);
      await db.close();
      const recorded = mkdtempSync(join(tmpdir(), 'huifang-loaded-'));
      dirs.push(recorded);
      const started = spawnStart([], {
        DATABASE_URL: db.url,
        PORT: String(await freePort()),
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${RECORDER}`.trim(),
        HUIFANG_TEST_LOADED_DIR: recorded,
      });
      await started.waitForLog('Huifang listening');
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);

      const loaded = readFileSync(join(recorded, `${started.child.pid}.txt`), 'utf8').split('\n').filter(Boolean);
      // Compiled: the entry under dist/, no TypeScript source and no tsx.
      expect(loaded.some((m) => /\/dist\/[0-9a-f]+\/cli\.js$/.test(m))).toBe(true);
      expect(loaded.filter((m) => m.endsWith('.ts') || m.includes('node_modules/tsx/'))).toEqual([]);
      // But the service is really up: its database's client and the web framework are there.
      expect(loaded.some((m) => m.includes(`prisma/generated/${provider}/`))).toBe(true);
      expect(loaded.some((m) => m.includes('node_modules/koa/'))).toBe(true);
      expect(loaded.filter((m) => LAZY.some((re) => re.test(m)))).toEqual([]);
      expect(loaded.filter((m) => OTHER_DATABASE[provider].some((re) => re.test(m)))).toEqual([]);
    });
  });
}
