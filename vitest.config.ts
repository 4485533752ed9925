import { defineConfig } from 'vitest/config';

// Two projects (STYLE T1):
// - `unit` (test/unit): the core and pure helpers, no database, no child process (enforced by
//   test/unit/architecture/unit-isolation.test.ts). Worker threads without per-file isolation: the
//   modules and the shipped templates/ data are loaded once per thread, not once per file.
// - `integration` (test/integration, test/e2e, test/fuzz): each test file gets its own database and its own
//   process; files run in parallel, two at a time on the 2-core machines. Migrates one template
//   database per provider per run (test/support/global-setup.ts), only when this project runs.
// A whole run runs the unit tests first, then the integration tests, so the two never compete for the cores.
//
// Pools are configured at the root (vitest creates one pool of each kind for all projects); the unit
// project repeats the isolation setting, which its workers apply between files.
// Worker threads share the process's timezone and cannot change it (process.env.TZ has no effect in
// a worker): that the answers do not depend on TZ is checked on the binary, in test/integration/cli.
const threads = { isolate: false, maxThreads: 2, minThreads: 1 };
const forks = { maxForks: 2, minForks: 1 };

export default defineConfig({
  test: {
    reporters: ['default'],
    poolOptions: { threads, forks },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          poolOptions: { threads: { isolate: false } },
          isolate: false,
          sequence: { groupOrder: 0 },
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          pool: 'forks',
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
