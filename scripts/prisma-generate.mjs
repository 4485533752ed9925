#!/usr/bin/env node
// Generates both Prisma clients (PostgreSQL and SQLite) into prisma/generated/.
// Runs as npm's postinstall. DATABASE_URL is set per provider because Prisma 6.19 otherwise
// falls back to downloading a native query engine, which these machines cannot reach.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
for (const url of ['postgresql://generate@localhost/generate', 'file:./data/generate.db']) {
  const run = spawnSync(process.execPath, [prismaCli, 'generate'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
