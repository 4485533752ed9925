import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { maskDatabaseUrls, migrateDatabase } from '../db/migrate.js';
import { ensurePostgresDatabase } from '../db/ensure-database.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { createCommandLogger } from './create-command-logger.js';

const USAGE = 'Usage: huifang migrate [--json]';

/**
 * `huifang migrate [--json]`: applies the pending migrations to the configured database and says which
 * (with `--json`: `{"provider":"sqlite","applied":[…]}`). A missing PostgreSQL database is created first
 * when the user may (as `huifang start` does). Exit codes: 0 done, 1 database unreachable or missing, 2 bad arguments.
 */
export async function runMigrateCommand(args: string[], output: CommandOutput = consoleOutput): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } }));
  } catch (err) {
    output.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const logger = createCommandLogger(config);
  if (config.database.provider === 'postgresql') await ensurePostgresDatabase(config.database.url, { logger });
  const { applied } = await migrateDatabase(config.database.url, logger.isLevelEnabled('debug') ? { logger } : {});
  const { provider } = config.database;
  if (values.json) {
    output.out(JSON.stringify({ provider, applied }));
    return 0;
  }
  const database = `${provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'} database ${maskDatabaseUrls(config.database.url)}`;
  output.out(applied.length === 0 ? `The ${database} is up to date.` : `Applied ${applied.length} migration(s) to the ${database}:\n${applied.map((m) => `  ${m}`).join('\n')}`);
  return 0;
}
