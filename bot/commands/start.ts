import { startService } from '../main.js';
import { SERVICE_ROLES, type ServiceRole } from '../sandbox-exposure.js';

/**
 * `huifang start [--role web|jobs|all]`: the HTTP service and the cron jobs (or one of the two), until
 * SIGINT or SIGTERM. Then it stops accepting, lets requests in flight and a running job finish, closes
 * the database and exits with 0 — or, when HUIFANG_SHUTDOWN_TIMEOUT_SECONDS pass first, cuts what is
 * left and exits with 1: a cut-off job takes no further work and hands back the claims it has not
 * started on, which any process claims again at once (a send already handed to the provider is
 * reconciled by the next claim, after its lease).
 * Returns 2 for a usage error, `null` once the service is listening.
 */
/** How long, past the shutdown deadline, handing back the cut-off jobs' claims may take before the exit. */
const CUTOFF_RELEASE_BOUND_MS = 2_000;

export async function runStartCommand(args: string[]): Promise<number | null> {
  const role = parseRole(args);
  if (role === null) {
    console.error(`Usage: huifang start [--role ${SERVICE_ROLES.join('|')}]`);
    return 2;
  }
  const service = await startService(process.env, { role });
  const { logger, config } = service.app;
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      // A second Ctrl-C: the operator does not want to wait.
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    let deadlinePassed = false;
    const deadline = setTimeout(() => {
      deadlinePassed = true;
      logger.error({ ...service.pending(), timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed: exiting with work unfinished');
      // Claims not started on go back to the queue before the exit (not left to their leases), within a
      // short bound: the platform's grace period is only a few seconds longer.
      const handedBack = service.abort().then(
        (result) => {
          if (result) logger.warn({ released: result.released, failed: result.failed.map((e) => e.message) }, 'claims of the cut-off jobs handed back');
        },
        (err: unknown) => logger.error({ err }, 'handing back claims failed: they wait for their leases'),
      );
      const bound = new Promise<void>((resolve) => setTimeout(resolve, CUTOFF_RELEASE_BOUND_MS));
      void Promise.race([handedBack, bound]).then(() => process.exit(1));
    }, config.shutdownTimeoutMs);
    service.stop().then(
      () => {
        clearTimeout(deadline);
        // Past the deadline the exit is the cut-off's (with 1), once the claims are handed back.
        if (!deadlinePassed) process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  return null;
}

function parseRole(args: string[]): ServiceRole | null {
  if (args.length === 0) return 'all';
  const value = args[0] === '--role' ? args[1] : args[0]?.startsWith('--role=') ? args[0].slice('--role='.length) : undefined;
  const rest = args[0] === '--role' ? args.slice(2) : args.slice(1);
  return rest.length === 0 && SERVICE_ROLES.includes(value as ServiceRole) ? (value as ServiceRole) : null;
}
