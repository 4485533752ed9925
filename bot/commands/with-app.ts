import { loadConfig } from '../config.js';
import { migrateDatabase } from '../db/migrate.js';
import { createPrismaClient } from '../db/client.js';
import { systemClock } from '../clocks.js';
import { createHuifang, type Huifang } from '../huifang.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { createCommandLogger } from './create-command-logger.js';
import { loadCommandCalendar } from './load-command-calendar.js';
import { readCalendarEntries } from '../db/console-admin-store.js';

/** Runs a command body with the assembled service; tests pass `(fn) => fn(app)`. */
export type WithApp = <T>(fn: (app: Huifang) => Promise<T>) => Promise<T>;

/** Options for {@link withApp}. */
export interface WithAppOptions {
  /**
   * Keep info-level log lines (`jobs run` shows each message it sends) [false: with the default
   * `LOG_LEVEL=info`, only warnings and errors are logged; `debug` and `trace` are honoured].
   */
  infoLogs?: boolean;
  /** Where the missing-calendar warning goes [stderr]. */
  output?: CommandOutput;
}

/**
 * Runs `fn` with the service assembled against the configured database, migrated first, and closes
 * the database afterwards, whether `fn` succeeds or throws. Logs are readable lines on stderr (see
 * {@link createCommandLogger}); a missing holiday schedule for next year (in the shipped calendar and the
 * database's days) is one warning line.
 */
export async function withApp<T>(fn: (app: Huifang) => Promise<T>, options: WithAppOptions = {}): Promise<T> {
  const config = loadConfig();
  const logger = createCommandLogger(config, { infoLogs: options.infoLogs ?? false });
  // The migration's own log line is progress the command does not report; shown from debug on.
  await migrateDatabase(config.database.url, logger.isLevelEnabled('debug') ? { logger } : {});
  const db = createPrismaClient(config.database.url);
  try {
    // The days kept in the database first, so that the warning about next year counts them.
    const calendar = loadCommandCalendar(config, options.output ?? consoleOutput, { now: systemClock.now(), entries: await readCalendarEntries(db.prisma) });
    const app = createHuifang({ config, logger, db, calendar, nextYearReminder: false });
    await app.reloadCalendarOverlay();
    return await fn(app);
  } finally {
    await db.close();
  }
}
