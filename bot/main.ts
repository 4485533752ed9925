import type { Server } from 'node:http';
import { loadConfig, describeConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createPrismaClient } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createHuifang, type Huifang } from './huifang.js';
import { createHttpApp } from './http/app.js';
import { scheduleJobs } from '../jobs/schedule.js';

export interface RunningService {
  app: Huifang;
  server: Server;
  stop(): Promise<void>;
}

/**
 * Composition root: config → logger → database (migrated) → service → HTTP + cron. Fails fast with
 * a message naming the variable when the configuration is wrong.
 */
export async function startService(env: Record<string, string | undefined> = process.env, options: { logger?: Logger; config?: Config; cron?: boolean } = {}): Promise<RunningService> {
  const config = options.config ?? loadConfig(env);
  const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, timeZone: config.timezone });
  logger.info(describeConfig(config), 'Huifang starting');
  const sandboxed = Object.entries(config.channels).filter(([, mode]) => mode === 'sandbox').map(([name]) => name);
  if (sandboxed.length > 0) {
    logger.warn(
      { sandboxChannels: sandboxed },
      `SANDBOX channels (${sandboxed.join(', ')}): nothing reaches real WeCom/SMS/WeChat; deliveries show at ${config.publicBaseUrl}/sandbox`,
    );
  }
  // migrateDatabase logs what it applied.
  await migrateDatabase(config.database.url, { logger });
  const db = createPrismaClient(config.database.url);
  const app = createHuifang({ config, logger, db });
  // Calendar days entered in the console apply from the first request on.
  await app.reloadCalendarOverlay();
  const koa = createHttpApp(app);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = koa.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const cron = options.cron === false ? null : scheduleJobs(app);
  logger.info({ url: config.publicBaseUrl, port: config.port }, 'Huifang listening');
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('Huifang stopping');
      await cron?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
      logger.info('Huifang stopped');
    })());
  return { app, server, stop };
}
