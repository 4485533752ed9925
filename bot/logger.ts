/**
 * The root pino logger (STYLE L1), created once in the composition root and passed down; units of
 * work take `logger.child({...})`.
 *
 * PII and secrets are redacted by path (STYLE L4, C5): phone-like values become `138****5678`,
 * anything else under a sensitive key becomes `[redacted]`. Redaction is by key name, so put
 * phone numbers, tokens and reply text under the keys listed in {@link REDACTED_KEYS}.
 *
 * Lines are JSON (for log collectors), or readable text in a terminal (see {@link LogFormat}); the
 * readable form is made from the redacted JSON line, so both show the same masked values.
 */
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { createPrettyLogStream } from './pretty-log-stream.js';

export type { Logger, DestinationStream } from 'pino';

/** What a redacted value that is not a phone number is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Keys whose values never reach a log line in clear, wherever they appear in the top two levels of
 * a log object (`phone`, `customer.phone`, `event.customer.phone`).
 */
export const REDACTED_KEYS: readonly string[] = Object.freeze([
  'phone',
  'mobile',
  'phoneE164',
  'phoneNumber',
  // Tencent SMS status/reply callbacks use PascalCase keys.
  'PhoneNumber',
  'to',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'apiKey',
  'authorization',
  'encodingAesKey',
  'corpSecret',
  'SecretKey',
  'password',
  // Free text typed by a customer (SMS replies, survey comments).
  'text',
  // WeCom member ids identify staff outside our system (STYLE L4).
  'wecomUserId',
  'userid',
  'touser',
  'FromUserName',
]);

/** Every redaction path handed to pino: each key at depth 0, 1 and 2, plus request headers. */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  ...REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  'req.headers.authorization',
  'req.headers.cookie',
]);

/**
 * `json`: one JSON object per line, as pino writes it. `pretty`: `2026-12-06T20:15:03.120+08:00 INFO
 * Huifang listening url=… port=3000`, local time with its offset, then the fields as `key=value`.
 */
export type LogFormat = 'json' | 'pretty';

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Minimum level written: `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent`. */
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream that collects lines. */
  destination?: DestinationStream;
  /**
   * [`pretty` when writing to stdout and stdout is a terminal, else `json`]. An explicit destination
   * gets JSON unless `pretty` is asked for.
   */
  format?: LogFormat | undefined;
  /** IANA zone of the times in `pretty` lines [the process's local zone]; JSON lines carry epoch milliseconds. */
  timeZone?: string;
}

/**
 * Creates the root logger: redaction by path, `err` serialised with pino's standard serializer
 * (message and stack phone-masked), and phone numbers masked in string log arguments (the message
 * and any format arguments); JSON lines, or readable ones in a terminal.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const loggerOptions: LoggerOptions = {
    level: options.level,
    redact: { paths: [...REDACT_PATHS], censor: censorValue },
    serializers: { err: serializeError },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg: unknown) => (typeof arg === 'string' ? maskPhoneInText(arg) : arg));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
  const format = options.format ?? (options.destination === undefined && process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    const out = options.destination ?? process.stdout;
    return pino(loggerOptions, createPrettyLogStream(out, options.timeZone ? { timeZone: options.timeZone } : {}));
  }
  return options.destination === undefined ? pino(loggerOptions) : pino(loggerOptions, options.destination);
}

/**
 * An 11-digit mainland mobile, optionally prefixed by `+86`/`86` and split by spaces or hyphens
 * (`138 1234 5678`), not part of a longer digit run (so order numbers are left alone).
 */
const MOBILE_IN_TEXT = /(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)/g;

/** The whole value is a mainland mobile (`13812345678`, `+86 138-1234-5678`, `8613812345678`). */
const WHOLE_MOBILE = /^(?:\+?86)?(1[3-9]\d)\d{4}(\d{4})$/;

/**
 * Masks every mainland mobile number inside free text: `请联系13812345678` → `请联系138****5678`.
 * A `+86`/`86` prefix is dropped together with the number.
 */
export function maskPhoneInText(s: string): string {
  return s.replace(MOBILE_IN_TEXT, (_match, head: string, tail: string) => `${head}****${tail}`);
}

/**
 * pino censor: a phone-like value keeps its masked form so operators can still tell customers apart;
 * anything else is replaced. `null`/`undefined` are kept (pino also calls the censor for absent keys,
 * and returning a value there would add the key).
 */
function censorValue(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => censorValue(item));
  if (typeof value === 'string' || typeof value === 'number') {
    const match = WHOLE_MOBILE.exec(String(value).replace(/[\s-]/g, ''));
    if (match !== null) return `${match[1]}****${match[2]}`;
  }
  return REDACTED;
}

function serializeError(err: Error): ReturnType<typeof stdSerializers.err> {
  const serialized = stdSerializers.err(err);
  // Provider and database errors sometimes quote the number they failed on.
  if (typeof serialized.message === 'string') serialized.message = maskPhoneInText(serialized.message);
  if (typeof serialized.stack === 'string') serialized.stack = maskPhoneInText(serialized.stack);
  return serialized;
}
