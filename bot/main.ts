import type { Server } from 'node:http';
import { loadConfig, describeConfig, isFullSandbox, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createPrismaClient } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { ensurePostgresDatabase } from './db/ensure-database.js';
import { createHuifang, type Huifang } from './huifang.js';
import { createHttpApp } from './http/app.js';
import { serveHttp } from './http/serve-http.js';
import { StartupError } from './startup-error.js';
import { scheduleJobs } from '../jobs/schedule.js';

/**
 * What one process runs: `all` the HTTP service and the cron jobs; `web` the HTTP service only (run
 * several behind a load balancer); `jobs` the cron jobs only, with `/healthz` and `/metrics` on PORT.
 */
export type ServiceRole = 'web' | 'jobs' | 'all';

export const SERVICE_ROLES: readonly ServiceRole[] = ['all', 'web', 'jobs'];

export interface RunningService {
  app: Huifang;
  server: Server;
  /** The port actually bound. */
  port: number;
  role: ServiceRole;
  /**
   * Stops gracefully: no new connections or job runs; requests in flight are answered (with
   * `Connection: close`) and idle keep-alive sockets closed; a running job finishes; then the database
   * closes. Idempotent. Callers bound it with {@link Config.shutdownTimeoutMs} and {@link abort}.
   */
  stop(): Promise<void>;
  /** What `stop` still waits for, for the log line when the deadline passes. */
  pending(): { requests: number; jobs: string[] };
  /** Cuts every connection (the deadline passed). */
  abort(): void;
}

export interface StartServiceOptions {
  logger?: Logger;
  config?: Config;
  /** [`all`] */
  role?: ServiceRole;
}

/**
 * Composition root: config → logger → database (reachable, created if missing, migrated) → service →
 * HTTP + cron, as the role asks. Fails fast with a message naming the variable when the configuration
 * is wrong, and with a one-line {@link StartupError} when the port, the database or the sandbox
 * exposure is.
 */
export async function startService(env: Record<string, string | undefined> = process.env, options: StartServiceOptions = {}): Promise<RunningService> {
  const config = options.config ?? loadConfig(env);
  const role = options.role ?? 'all';
  assertSandboxNotExposed(config, role);
  const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, timeZone: config.timezone });
  logger.info({ ...describeConfig(config), role }, 'Huifang starting');
  const sandboxed = Object.entries(config.channels).filter(([, mode]) => mode === 'sandbox').map(([name]) => name);
  if (sandboxed.length > 0) {
    logger.warn(
      { sandboxChannels: sandboxed },
      `SANDBOX channels (${sandboxed.join(', ')}): nothing reaches real WeCom/SMS/WeChat; deliveries show at ${config.publicBaseUrl}/sandbox`,
    );
  }
  if (config.database.provider === 'postgresql') await ensurePostgresDatabase(config.database.url, { logger });
  // migrateDatabase logs what it applied.
  await migrateDatabase(config.database.url, { logger });
  const db = createPrismaClient(config.database.url);
  const app = createHuifang({ config, logger, db });
  let http;
  try {
    // Calendar days entered in the console apply from the first request on.
    await app.reloadCalendarOverlay();
    http = await serveHttp(createHttpApp(app, { role }), config.port, config.host);
  } catch (err) {
    await db.close();
    throw err;
  }
  const cron = role === 'web' ? null : scheduleJobs(app);
  logger.info({ url: config.publicBaseUrl, host: config.host, port: http.port, role, jobs: cron !== null }, 'Huifang listening');
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info({ requests: http.inFlight(), jobs: cron?.running() ?? [] }, 'Huifang stopping');
      // Both at once: the deadline covers the slower of the two, not their sum.
      await Promise.all([cron?.stop(), http.drain()]);
      await db.close();
      logger.info('Huifang stopped');
    })());
  return {
    app,
    server: http.server,
    port: http.port,
    role,
    stop,
    pending: () => ({ requests: http.inFlight(), jobs: cron?.running() ?? [] }),
    abort: () => http.destroyAll(),
  };
}

/**
 * The sandbox shows every customer and every signed link, and its console signs anyone in: served
 * beyond loopback only behind HUIFANG_SANDBOX_PASSWORD. (HOST defaults to loopback in the sandbox, so
 * a wider address was set on purpose.) A `jobs` process serves no sandbox page.
 *
 * @throws StartupError `SANDBOX_EXPOSED` (exit 78)
 */
export function assertSandboxNotExposed(config: Config, role: ServiceRole): void {
  if (role === 'jobs' || !isFullSandbox(config) || isLoopback(config.host) || config.sandboxPassword !== null) return;
  throw new StartupError(
    'SANDBOX_EXPOSED',
    `沙箱模式下 HOST=${config.host} 会把 /sandbox（全部客户和签名链接）暴露出去：请设置 HUIFANG_SANDBOX_PASSWORD，或去掉 HOST 只在本机访问 / HOST=${config.host} would expose the sandbox (every customer and signed link) beyond this machine: set HUIFANG_SANDBOX_PASSWORD, or unset HOST to listen on 127.0.0.1`,
    78,
  );
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
