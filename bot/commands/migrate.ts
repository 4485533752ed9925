import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { migrateDatabase } from '../db/migrate.js';

/** `huifang migrate`: applies the pending migrations to the configured database and exits. */
export async function runMigrateCommand(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const { applied } = await migrateDatabase(config.database.url, { logger });
  logger.info({ applied, provider: config.database.provider }, applied.length ? 'migrations applied' : 'database is up to date');
  return 0;
}
