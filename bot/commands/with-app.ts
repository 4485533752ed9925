import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { migrateDatabase } from '../db/migrate.js';
import { createPrismaClient } from '../db/client.js';
import { createHuifang, type Huifang } from '../huifang.js';

/** Runs a command body with the assembled service; tests pass `(fn) => fn(app)`. */
export type WithApp = <T>(fn: (app: Huifang) => Promise<T>) => Promise<T>;

/** Options for {@link withApp}. */
export interface WithAppOptions {
  /**
   * Keep info-level log lines (`jobs run` shows each message it sends) [false: with the default
   * `LOG_LEVEL=info`, only warnings and errors are logged; `debug` and `trace` are honoured].
   */
  infoLogs?: boolean;
}

/**
 * Runs `fn` with the service assembled against the configured database, migrated first, and closes
 * the database afterwards, whether `fn` succeeds or throws.
 */
export async function withApp<T>(fn: (app: Huifang) => Promise<T>, options: WithAppOptions = {}): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' && !options.infoLogs ? 'warn' : config.logLevel });
  await migrateDatabase(config.database.url, { logger });
  const db = createPrismaClient(config.database.url);
  try {
    return await fn(createHuifang({ config, logger, db }));
  } finally {
    await db.close();
  }
}
