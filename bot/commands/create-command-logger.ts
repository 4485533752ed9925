import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';

/**
 * The logger of a CLI command: readable lines on stderr (JSON with `LOG_FORMAT=json`), so stdout
 * carries only the command's result. With the default `LOG_LEVEL=info` it logs warnings and errors
 * only, unless `infoLogs` (then also what the command did, e.g. each message `jobs run` sends).
 */
export function createCommandLogger(config: Config, options: { infoLogs?: boolean } = {}): Logger {
  return createLogger({
    level: config.logLevel === 'info' && !options.infoLogs ? 'warn' : config.logLevel,
    destination: process.stderr,
    format: config.logFormat ?? 'pretty',
    timeZone: config.timezone,
  });
}

