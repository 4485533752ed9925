import type { Server } from 'node:http';
import { loadConfig, describeConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createPrismaClient } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { ensurePostgresDatabase } from './db/ensure-database.js';
import { createHuifang, type Huifang } from './huifang.js';
import { createHttpApp } from './http/app.js';
import { serveHttp, type HttpListener } from './http/serve-http.js';
import { assertSandboxNotExposed, type ServiceRole } from './sandbox-exposure.js';
import { scheduleJobs } from '../jobs/schedule.js';
import type { CutoffResult } from './core/cutoff.js';

export { SERVICE_ROLES, type ServiceRole } from './sandbox-exposure.js';

/** How often a `web` process reloads the console's calendar days (as the `reload-calendar` job does elsewhere). */
const CALENDAR_REFRESH_MS = 5 * 60_000;
/**
 * How often a process with an inbox drain (`all`, `jobs`) looks for waiting events it was not told of:
 * those a `web` process recorded, or left by a crash. Its own webhooks poke the drain at once.
 */
export const INBOX_POLL_MS = 1_000;

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
  /**
   * The deadline passed: cuts every connection, and cuts off the running jobs and the inbox drain, which take no further
   * work and hand back the claims they have not started on (core/cutoff.ts); resolves once handed back.
   */
  abort(): Promise<CutoffResult | null>;
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
  // A web process answers webhooks only; the jobs process's drain handles their events (INBOX_POLL_MS).
  const app = createHuifang({ config, logger, db, inboxDrain: role !== 'web' });
  let http: HttpListener;
  try {
    // Calendar days entered in the console apply from the first request on.
    await app.reloadCalendarOverlay();
    http = await serveHttp(createHttpApp(app, { role }), config.port, config.host);
  } catch (err) {
    await db.close();
    throw err;
  }
  const cron = role === 'web' ? null : scheduleJobs(app);
  // The one job that only refreshes this process's memory: a web process still follows calendar days
  // entered in the console on another process (the jobs process runs it as `reload-calendar`).
  const calendarRefresh =
    role === 'web'
      ? setInterval(() => void app.reloadCalendarOverlay().catch((err: unknown) => logger.warn({ err }, 'calendar reload failed; the next one retries')), CALENDAR_REFRESH_MS)
      : null;
  const inboxPoll = app.inboxDrain ? setInterval(() => app.inboxDrain?.poke(), INBOX_POLL_MS) : null;
  logger.info({ url: config.publicBaseUrl, host: config.host, port: http.port, role, jobs: cron !== null }, 'Huifang listening');
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info({ requests: http.inFlight(), jobs: cron?.running() ?? [] }, 'Huifang stopping');
      if (calendarRefresh !== null) clearInterval(calendarRefresh);
      if (inboxPoll !== null) clearInterval(inboxPoll);
      // At once: the deadline covers the slowest, not their sum. The inbox drain stops after the requests
      // in flight were answered (they may poke it); what it has not claimed waits in the inbox.
      await Promise.all([cron?.stop(), http.drain().then(() => app.inboxDrain?.stop())]);
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
    abort: async () => {
      http.destroyAll();
      const cut = await Promise.all([cron?.cutOff() ?? null, app.inboxDrain?.cutOff() ?? null]);
      return mergeCutoffs(cut);
    },
  };
}

/** One result for the cut-off jobs and the inbox drain (null when neither ran in this process). */
function mergeCutoffs(results: readonly (CutoffResult | null)[]): CutoffResult | null {
  const present = results.filter((r): r is CutoffResult => r !== null);
  if (present.length === 0) return null;
  const merged: CutoffResult = { released: {}, failed: [] };
  for (const result of present) {
    for (const [what, n] of Object.entries(result.released)) merged.released[what] = (merged.released[what] ?? 0) + n;
    merged.failed.push(...result.failed);
  }
  return merged;
}
