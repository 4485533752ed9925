import { startService } from '../main.js';

/**
 * `huifang start`: the HTTP service and the cron jobs, until SIGINT or SIGTERM, which stop both and
 * close the database before the process exits with 0. Resolves once the service is listening.
 */
export async function runStartCommand(): Promise<void> {
  const service = await startService();
  const shutdown = () => void service.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
