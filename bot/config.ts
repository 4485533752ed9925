/**
 * Configuration (STYLE C1–C6): the only module that reads `process.env`.
 *
 * `loadConfig` validates every variable against one declared schema, reports every problem at once
 * in a single {@link ConfigError}, and returns a deeply frozen, typed {@link Config} that the
 * composition root passes down. Secret values never appear in error messages or in
 * {@link describeConfig}.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
// Report and digest schedules: parsed by the pure schedule modules so the format has one definition.
import { DEFAULT_DIGEST_SCHEDULE, parseWeeklySchedule, type WeeklySchedule } from './core/digests/digest-schedule.js';
import { parseQuietHours, type CustomerContactSettings } from './core/outbox/contact-hours.js';
import {
  DEFAULT_REPORT_DEADLINE,
  DEFAULT_REPORT_SCHEDULE,
  parseMonthlyDeadline,
  parseMonthlySendSchedule,
  type MonthlyDeadline,
  type MonthlySendSchedule,
} from './core/reports/report-schedule.js';

/** Log levels accepted by pino. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Values of `LOG_FORMAT`. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Which database Prisma talks to; derived from the `DATABASE_URL` scheme (STYLE C4). */
export type DatabaseProvider = 'sqlite' | 'postgresql';

/** Database connection settings. */
export interface DatabaseConfig {
  /** `DATABASE_URL` as given [`file:./data/huifang.db`]. May contain a password: never log it. */
  readonly url: string;
  /** `postgresql` for `postgres://` and `postgresql://` URLs, `sqlite` for `file:` URLs. */
  readonly provider: DatabaseProvider;
  /** SQLite only: absolute path of the database file, resolved against the `cwd` option. */
  readonly sqliteFile?: string;
}

/** One accepted API key for `/api/v1` (bearer token). */
export interface ApiKey {
  /** Name recorded in the audit log: the `name:` prefix, or `keyN` for the N-th entry (1-based) without one. */
  readonly name: string;
  /** The key itself, at least 16 characters. Secret. */
  readonly key: string;
}

/** WeCom (企业微信) self-built application credentials; all five are required together. */
export interface WecomConfig {
  /** `WECOM_CORP_ID`: the corp id (`ww…`). */
  readonly corpId: string;
  /** `WECOM_AGENT_ID`: the application's agent id (integer). */
  readonly agentId: number;
  /** `WECOM_SECRET`: the application secret used to fetch access tokens. Secret. */
  readonly secret: string;
  /** `WECOM_CALLBACK_TOKEN`: token used to verify `msg_signature` on callbacks. Secret. */
  readonly callbackToken: string;
  /** `WECOM_ENCODING_AES_KEY`: 43-character callback AES key. Secret. */
  readonly encodingAesKey: string;
  /** `WECOM_API_BASE` [`https://qyapi.weixin.qq.com`]: API root without trailing slash; tests point it at the simulator. */
  readonly apiBase: string;
  /** `WECOM_OAUTH_BASE` [`https://open.weixin.qq.com`]: host of WeCom's in-app OAuth2 sign-in link (console sign-in). */
  readonly oauthBase: string;
  /** `WECOM_SSO_BASE` [`https://login.work.weixin.qq.com`]: host of WeCom's QR-code (Web) login page (console sign-in). */
  readonly ssoBase: string;
  /**
   * `WECOM_DAILY_MESSAGE_LIMIT`: the application's daily quota of app messages (the enterprise's seat
   * limit 帐号上限数 × 200 person-times); messages beyond it wait for the next day. Unset: not tracked.
   */
  readonly dailyMessageLimit: number | null;
  /**
   * `WECOM_CALLBACK_MAX_SKEW_SECONDS` [300]: a callback whose signed `timestamp` is further than this
   * from our clock is refused, and a `nonce` is remembered (in the database) this long to refuse replays.
   */
  readonly callbackMaxSkewSeconds: number;
  /** Customer contact (客户联系): reaching customers who are external contacts of members (docs/protocols/wecom.md §12). */
  readonly customerContact: WecomCustomerContactConfig;
}

/**
 * How many group messages (群发) one customer may receive from the corp, as set in 群发助手 → 设置群发规则
 * (docs/protocols/wecom.md §12.3): as many per natural month as the month has days (WeCom's default),
 * 7 per week, or 1 per day.
 */
export type WecomGroupMessageRule = 'days_in_month' | 'seven_a_week' | 'one_a_day';

export interface WecomCustomerContactConfig {
  /**
   * `WECOM_CUSTOMER_CONTACT` [false]: `1`/`true` sends `wecom_contact` steps through 企业群发; the
   * application must be in 客户联系 → 可调用应用. Off: such steps use the sandbox (or the next channel).
   */
  readonly enabled: boolean;
  /** `WECOM_GROUP_MESSAGE_RULE` [`days_in_month`]: the corp's rule, so Huifang never queues one over it. */
  readonly groupMessageRule: WecomGroupMessageRule;
  /**
   * `WECOM_CONTACT_CONFIRM_DAYS` [3]: days the member has to send a queued message; after that it is
   * withdrawn (cancel_groupmsg_send) and the next channel of the chain takes over — earlier for a survey
   * whose deadline comes first (bot/core/contacts/collect-contact-results.ts, `memberSendDeadline`).
   */
  readonly confirmWithinDays: number;
  /**
   * `WECOM_CONTACT_RECONCILE_WAIT_SECONDS` [600]: how long a send interrupted after `add_msg_template`
   * (a crash, a lost answer) keeps being looked up in `get_groupmsg_list_v2` on later claims, while
   * WeCom may not list the task yet, before it is created again (docs/protocols/wecom.md §12.2).
   */
  readonly reconcileWaitMs: number;
}

/** Tencent Cloud SMS (API 3.0) settings; the four credentials are required together. */
export interface TencentSmsConfig {
  /** `TENCENT_SECRET_ID`: API key id. */
  readonly secretId: string;
  /** `TENCENT_SECRET_KEY`: API key secret. Secret. */
  readonly secretKey: string;
  /** `TENCENT_SMS_SDK_APP_ID`: the `SmsSdkAppId` (e.g. `1400006666`). */
  readonly sdkAppId: string;
  /** `TENCENT_SMS_SIGN_NAME`: the approved signature (签名) content. */
  readonly signName: string;
  /** `TENCENT_SMS_REGION` [`ap-guangzhou`]. */
  readonly region: string;
  /**
   * `TENCENT_SMS_ENDPOINT` [`sms.tencentcloudapi.com`]: host (and optional port) of the API, as the
   * SDK's `httpProfile.endpoint` expects. The variable may also be a full `http(s)://host:port` URL
   * (tests point it at the simulator); the scheme then goes to {@link protocol}.
   */
  readonly endpoint: string;
  /** `https://` unless `TENCENT_SMS_ENDPOINT` was given as an `http://` URL; the SDK's `httpProfile.protocol`. */
  readonly protocol: 'https://' | 'http://';
  /**
   * `TENCENT_SMS_CALLBACK_KEY` (optional, ≥ 16 characters): secret `?key=` that guards the unsigned
   * reply/status callback routes. `null` when unset, in which case those routes reject everything. Secret.
   */
  readonly callbackKey: string | null;
  /**
   * `TENCENT_SMS_TEMPLATES` [none]: approved Tencent template id (`TemplateId`) per message template
   * key, from `key=id,key=id` (e.g. `survey_invite=1234567,greeting=2345678`). A message whose key has
   * no id here is not sent (a permanent failure naming the key).
   */
  readonly templates: Readonly<Record<string, string>>;
  /**
   * `TENCENT_SMS_EXTEND_CODE` [false]: send the survey's reply code as `ExtendCode` (扩展码) so a reply is
   * matched to its survey exactly. Off unless Tencent support enabled extend codes for the account
   * (docs/protocols/tencent-sms.md §2.1); off, a reply answers the number's latest open survey.
   */
  readonly extendCode: boolean;
  /**
   * `TENCENT_SMS_RECONCILE_WAIT_SECONDS` [600]: how long after a send interrupted by a crash Huifang keeps
   * asking Tencent for a delivery report naming it (`PullSmsSendStatusByPhoneNumber`, matched by
   * `SessionContext`) before it holds the SMS as UNCERTAIN for a person. Never sent again blindly.
   */
  readonly reconcileWaitMs: number;
}

/** WeChat Official Account (公众号) settings; both credentials are required together. */
export interface WechatConfig {
  /** `WECHAT_MP_APP_ID`: the official account's AppID. */
  readonly appId: string;
  /** `WECHAT_MP_APP_SECRET`: the AppSecret. Secret. */
  readonly appSecret: string;
  /** `WECHAT_API_BASE` [`https://api.weixin.qq.com`]: API root without trailing slash. */
  readonly apiBase: string;
  /**
   * `WECHAT_MP_SURVEY_TEMPLATE_ID`: id of the template message (模板消息) used for survey
   * invitations, as shown in the MP console; its keywords are mapped in templates/messages
   * (`survey_invite.wechat.data`). Required with the credentials.
   */
  readonly surveyTemplateId: string;
  /**
   * `WECHAT_MP_CALLBACK_TOKEN`: the Token of the account's server configuration (服务器配置, 明文模式).
   * When set, `/wechat/callback` accepts WeChat's signed pushes (template delivery results). Secret.
   */
  readonly callbackToken: string | null;
}

/** Which implementation each outbound channel uses. `sandbox` sends nothing and shows messages on `/sandbox`. */
export interface ChannelModes {
  /** Staff task cards: `wecom` when WeCom is configured and sandbox is not forced. */
  readonly staff: 'wecom' | 'sandbox';
  /** Customer SMS: `tencent` when Tencent SMS is configured and sandbox is not forced. */
  readonly sms: 'tencent' | 'sandbox';
  /** Customer WeChat messages: `wechat` when the official account is configured and sandbox is not forced. */
  readonly wechat: 'wechat' | 'sandbox';
}

/** The validated, deeply frozen configuration. */
export interface Config {
  /** From `DATABASE_URL` [`file:./data/huifang.db`]. */
  readonly database: DatabaseConfig;
  /** `PORT` [3000]: TCP port the HTTP server listens on, 1–65535. */
  readonly port: number;
  /**
   * `HOST` [`127.0.0.1` while every channel is the sandbox, else `0.0.0.0`]: interface the HTTP server
   * binds to. `huifang start` refuses a sandbox bound beyond loopback without `HUIFANG_SANDBOX_PASSWORD`.
   */
  readonly host: string;
  /**
   * `PUBLIC_BASE_URL` [`http://localhost:<PORT>`]: the http(s) URL customers and WeCom reach us at,
   * without trailing slash; used to build survey links and callback URLs.
   */
  readonly publicBaseUrl: string;
  /** `API_KEYS` [none]: comma-separated `key` or `name:key` entries. With none, `/api/v1` rejects every request. */
  readonly apiKeys: readonly ApiKey[];
  /**
   * `HUIFANG_TIMEZONE` [`Asia/Shanghai`]: IANA zone for business days, working hours, ISO weeks and
   * rendering. Independent of the process `TZ`; instants are stored in UTC (STYLE C6).
   */
  readonly timezone: string;
  /**
   * `HUIFANG_CALENDAR_BEYOND_DATA` [`assume_weekends`]: a working-day question about a year the holiday
   * data does not cover is answered by weekends only, with a warning logged for every such answer
   * (`assume_weekends`), or refused with CALENDAR_NOT_COVERED (`error`). Add the year's State Council
   * schedule under templates/calendar/ to end either.
   */
  readonly calendarBeyondData: 'assume_weekends' | 'error';
  /** `HUIFANG_ORG_NAME` [`回访中心`]: the organisation's name as customers see it (SMS opens with 【name】). */
  readonly organisationName: string;
  /**
   * `HUIFANG_LINK_SECRET` (at least 32 characters): signs survey, form, digest and report links.
   * When unset a secret is generated once and kept in the database (Setting table).
   */
  readonly linkSecret: string | null;
  /**
   * `HUIFANG_FAILED_AUTH_ATTEMPTS` [20]: failed authentications (a wrong API key, a forged signed link,
   * a wrong SMS callback key, a wrong sandbox password) one client address may make in 15 minutes; then
   * 429 with `Retry-After`.
   * Counted in memory by each process (README "Security").
   */
  readonly failedAuthAttemptsPer15Minutes: number;
  /**
   * `HUIFANG_DIGEST_SCHEDULE` [`MON 09:00`]: weekday (MON…SUN) and local time from which managers get the
   * digest of the previous ISO week; a tick missed then is caught up later the same week.
   */
  readonly digestSchedule: WeeklySchedule;
  /**
   * `HUIFANG_REPORT_SCHEDULE` [`WORKDAY 1 09:00`]: when managers get the previous month's report —
   * `WORKDAY N HH:MM` (N-th working day, mainland calendar) or `DAY N HH:MM` (calendar day N).
   */
  readonly reportSchedule: MonthlySendSchedule;
  /**
   * `HUIFANG_REPORT_DEADLINE` [`5 16:00`]: the policy's reporting deadline (day of month and time); a
   * send time at or after it moves to the 1st (holidays do not postpone the deadline).
   */
  readonly reportDeadline: MonthlyDeadline;
  /** `LOG_LEVEL` [`info`]: pino level. */
  readonly logLevel: LogLevel;
  /**
   * `LOG_FORMAT` [unset]: `json` (one JSON object per line) or `pretty` (readable lines with local
   * times). Unset: pretty when the service logs to a terminal, JSON otherwise; CLI commands log
   * readable lines to stderr.
   */
  readonly logFormat?: LogFormat | undefined;
  /** `HUIFANG_SANDBOX` [false]: `1`/`true` forces every channel to sandbox even when credentials are set. */
  readonly sandbox: boolean;
  /**
   * `HUIFANG_SANDBOX_PASSWORD` [none; at least 12 characters]: the password (HTTP Basic, any user name)
   * of `/sandbox` and the console while every channel is the sandbox. Required to bind such a service
   * beyond loopback (`HOST=0.0.0.0`): the sandbox lists every customer and every signed link.
   */
  readonly sandboxPassword: string | null;
  /**
   * `HUIFANG_SHUTDOWN_TIMEOUT_SECONDS` [10]: after SIGTERM/SIGINT, how long open requests and a running
   * job get to finish before the process exits anyway (with code 1). Keep it under the platform's grace
   * period (Kubernetes and Docker: 30 s and 10 s), so the process is never killed with SIGKILL.
   */
  readonly shutdownTimeoutMs: number;
  /**
   * `HUIFANG_WECOM_CONTACT_SYNC` [false]: `1`/`true` runs the daily `sync-wecom-contacts` job, which
   * mirrors the WeCom contact list of the app's visible range into departments and staff (as
   * `huifang staff sync-wecom` does). Needs the WECOM_* variables.
   */
  readonly wecomContactSync: boolean;
  /** WeCom credentials, or `null` when none of them is set (staff channel runs in sandbox). */
  readonly wecom: WecomConfig | null;
  /** Tencent SMS credentials, or `null` when none of them is set (SMS runs in sandbox). */
  readonly tencentSms: TencentSmsConfig | null;
  /** WeChat official account credentials, or `null` when neither is set (WeChat runs in sandbox). */
  readonly wechat: WechatConfig | null;
  /** Derived: which implementation each channel uses. */
  readonly channels: ChannelModes;
  /**
   * `HUIFANG_OPTOUT_SCOPE` [`all`]: what a customer's opt-out (an `R` reply, 退订 …) covers:
   * `all` customer messages including surveys, or `marketing` only (surveys and service notices still
   * go out while the customer consents to surveys). Marketing always needs explicit consent.
   */
  readonly optOutScope: 'marketing' | 'all';
  /**
   * When customer messages may leave the outbox (bot/core/outbox/contact-hours.ts, docs/contact-rules.md):
   * `HUIFANG_QUIET_HOURS` [`21:00-08:00`], local times between which no customer message is sent
   * (`off`: none; the policies' own windows still apply), and `HUIFANG_SURVEY_MIN_GAP_HOURS` [72], the
   * least time between two survey invitations to one customer (0: none; it gives way to a survey's deadline).
   */
  readonly customerContact: CustomerContactSettings;
  /**
   * `HUIFANG_SMS_PRICE_PER_SEGMENT` [unset]: price of one billed SMS (a 70/67-character part) in yuan, for
   * the cost estimate of `huifang campaign preview`; a campaign's own `pricePerSegment` wins.
   */
  readonly smsPricePerSegment?: number | undefined;
  /**
   * `HUIFANG_SMS_DAILY_BUDGET` [2]: SMS one customer may receive per local day, every kind together
   * (survey, reminder, greeting, notice) — Tencent's default frequency policy is 2 per number a day
   * (docs/protocols/tencent-sms.md §4.1). One over it, a retry or fallback included, waits for the next day.
   * `0` turns the budget off (for an account whose console policy allows more).
   */
  readonly smsDailyBudget: number;
  /** The console (管理台): sessions, sign-in and the audited number reveals. */
  readonly console: ConsoleConfig;
}

/** Console settings. */
export interface ConsoleConfig {
  /** `HUIFANG_CONSOLE_IDLE_MINUTES` [120]: a session unused this long ends. */
  readonly idleMinutes: number;
  /** `HUIFANG_CONSOLE_SESSION_HOURS` [12]: a session ends this long after sign-in, whatever the activity. */
  readonly sessionHours: number;
  /**
   * `HUIFANG_CONSOLE_REVEALS_PER_DAY` [30]: full phone numbers one staff member (or an account without one)
   * may reveal a day: the console's 查看号码 / 拨打 and the staff form's 拨打 together (docs/staff-form.md).
   */
  readonly revealsPerDay: number;
  /** `HUIFANG_CONSOLE_SIGNIN_ATTEMPTS` [20]: sign-in attempts from one address per 15 minutes. */
  readonly signInAttemptsPer15Minutes: number;
}

/** One invalid or missing setting. `message` never contains a secret value. */
export interface ConfigProblem {
  /** The environment variable at fault, e.g. `PORT`. */
  variable: string;
  /** What is wrong, e.g. `must be an integer between 1 and 65535`. */
  message: string;
}

/** Thrown by {@link loadConfig} with every problem found; the message lists them one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
  }
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory a relative SQLite path is resolved against [`process.cwd()`]. */
  cwd?: string;
}

const DEFAULTS = {
  DATABASE_URL: 'file:./data/huifang.db',
  PORT: 3000,
  HOST: '0.0.0.0',
  SANDBOX_HOST: '127.0.0.1',
  HUIFANG_TIMEZONE: 'Asia/Shanghai',
  HUIFANG_ORG_NAME: '回访中心',
  HUIFANG_CALENDAR_BEYOND_DATA: 'assume_weekends',
  LOG_LEVEL: 'info',
  WECOM_API_BASE: 'https://qyapi.weixin.qq.com',
  WECOM_OAUTH_BASE: 'https://open.weixin.qq.com',
  WECOM_SSO_BASE: 'https://login.work.weixin.qq.com',
  TENCENT_SMS_REGION: 'ap-guangzhou',
  TENCENT_SMS_ENDPOINT: 'sms.tencentcloudapi.com',
  WECHAT_API_BASE: 'https://api.weixin.qq.com',
} as const;

const WECOM_CREDENTIALS = [
  'WECOM_CORP_ID',
  'WECOM_AGENT_ID',
  'WECOM_SECRET',
  'WECOM_CALLBACK_TOKEN',
  'WECOM_ENCODING_AES_KEY',
] as const;
const TENCENT_CREDENTIALS = [
  'TENCENT_SECRET_ID',
  'TENCENT_SECRET_KEY',
  'TENCENT_SMS_SDK_APP_ID',
  'TENCENT_SMS_SIGN_NAME',
] as const;
const WECHAT_CREDENTIALS = ['WECHAT_MP_APP_ID', 'WECHAT_MP_APP_SECRET'] as const;

/** Variables whose values must never be echoed, even by accident (scrubbed from messages as a last guard). */
const SECRET_VARIABLES = [
  'DATABASE_URL',
  'API_KEYS',
  'WECOM_SECRET',
  'WECOM_CALLBACK_TOKEN',
  'WECOM_ENCODING_AES_KEY',
  'TENCENT_SECRET_ID',
  'TENCENT_SECRET_KEY',
  'TENCENT_SMS_CALLBACK_KEY',
  'WECHAT_MP_APP_SECRET',
  'HUIFANG_LINK_SECRET',
  'WECHAT_MP_CALLBACK_TOKEN',
  'HUIFANG_SANDBOX_PASSWORD',
] as const;

// --- field schemas; every message is custom so zod never echoes a received value ---

const nonEmpty = z.string({ required_error: 'is required' }).min(1, 'must not be empty');

const integer = (min: number, max: number, message: string) =>
  z
    .string()
    .regex(/^\d+$/, message)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, message);

const httpUrl = (message: string) =>
  z.string().transform((value, ctx) => {
    const url = parseUrl(value);
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message });
      return z.NEVER;
    }
    return url.href.replace(/\/+$/, '');
  });

const databaseUrl = z.string().transform((url, ctx): DatabaseConfig => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    // Reports only the fact, not the URL: it may carry a password.
    const hostname = parseUrl(url)?.hostname;
    if (hostname === undefined || hostname === '') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'is not a valid postgresql:// URL (host missing or malformed)' });
      return z.NEVER;
    }
    return { url, provider: 'postgresql' };
  }
  if (scheme === 'file') return { url, provider: 'sqlite' };
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: `unsupported scheme${scheme === undefined ? '' : ` "${scheme}:"`}; use file:./path.db (SQLite) or postgres(ql)://… (PostgreSQL)`,
  });
  return z.NEVER;
});

const aesKey = z
  .string()
  .refine((s) => s.length === 43, (s) => ({ message: `must be exactly 43 characters (got ${s.length})` }))
  .refine((s) => /^[A-Za-z0-9]*$/.test(s), 'must contain only the letters A-Z, a-z and digits 0-9');

const apiKeyList = z.string().transform((raw, ctx): ApiKey[] => {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const keys: ApiKey[] = [];
  entries.forEach((entry, index) => {
    const position = index + 1;
    const colon = entry.indexOf(':');
    const name = colon === -1 ? `key${position}` : entry.slice(0, colon).trim();
    const key = colon === -1 ? entry : entry.slice(colon + 1).trim();
    // Messages name the entry by position only: the text of a malformed entry may be part of a key.
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `entry ${position}: name must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-"` });
    }
    if (key.length < 16) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `entry ${position}: key must be at least 16 characters` });
    }
    if (keys.some((k) => k.name === name)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `entry ${position}: name "${name}" is used twice` });
    }
    if (keys.some((k) => k.key === key)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `entry ${position}: same key as an earlier entry` });
    }
    keys.push({ name, key });
  });
  return keys;
});

const timezone = z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai');

const logLevel = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s): s is LogLevel => (LOG_LEVELS as readonly string[]).includes(s), `must be one of ${LOG_LEVELS.join(', ')}`)
  .transform((s) => s as LogLevel);

const booleanish = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => ['1', 'true', '0', 'false'].includes(s), 'must be 1, true, 0 or false')
  .transform((s) => s === '1' || s === 'true');

const tencentTemplates = z.string().transform((raw, ctx): Record<string, string> => {
  const templates: Record<string, string> = {};
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .forEach((entry, index) => {
      const position = index + 1;
      const match = /^([a-z][a-z0-9_]{0,63})\s*=\s*(\d{1,20})$/.exec(entry);
      if (!match) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `entry ${position}: must be key=TemplateId, the key as in templates/messages (lower-case letters, digits, "_") and the id as shown in the SMS console (digits), e.g. survey_invite=1234567`,
        });
        return;
      }
      const [, key, id] = match as unknown as [string, string, string];
      if (key in templates) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `entry ${position}: key "${key}" is given twice` });
      templates[key] = id;
    });
  return templates;
});

const tencentEndpoint = z.string().transform((value, ctx) => {
  const asUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? parseUrl(value) : parseUrl(`https://${value}`);
  const ok = asUrl !== null && (asUrl.protocol === 'http:' || asUrl.protocol === 'https:') && asUrl.host !== '' && (asUrl.pathname === '/' || asUrl.pathname === '');
  if (!ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a host[:port] such as sms.tencentcloudapi.com, or an http(s)://host[:port] URL' });
    return z.NEVER;
  }
  return { endpoint: asUrl.host, protocol: asUrl.protocol === 'http:' ? ('http://' as const) : ('https://' as const) };
});

/** A schedule string checked by its parser; the parser's message names the expected form. */
function scheduleText<T extends object>(parse: (text: string) => T | { error: string }) {
  return z.string().transform((value, ctx): T => {
    const parsed = parse(value);
    if ('error' in parsed) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  });
}

/** The declared environment schema (STYLE C1). Absent and blank variables are both "unset". */
const envSchema = z.object({
  DATABASE_URL: databaseUrl.default(DEFAULTS.DATABASE_URL),
  PORT: integer(1, 65535, 'must be an integer between 1 and 65535').optional(),
  HOST: nonEmpty.optional(),
  PUBLIC_BASE_URL: httpUrl('must be an http:// or https:// URL').optional(),
  API_KEYS: apiKeyList.optional(),
  HUIFANG_TIMEZONE: timezone.default(DEFAULTS.HUIFANG_TIMEZONE),
  HUIFANG_CALENDAR_BEYOND_DATA: z
    .enum(['assume_weekends', 'error'], { errorMap: () => ({ message: 'must be assume_weekends or error' }) })
    .default(DEFAULTS.HUIFANG_CALENDAR_BEYOND_DATA),
  HUIFANG_LINK_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  HUIFANG_FAILED_AUTH_ATTEMPTS: integer(1, 100_000, 'must be a whole number of failed attempts per 15 minutes').default('20'),
  HUIFANG_DIGEST_SCHEDULE: scheduleText(parseWeeklySchedule).default(DEFAULT_DIGEST_SCHEDULE),
  HUIFANG_REPORT_SCHEDULE: scheduleText(parseMonthlySendSchedule).default(DEFAULT_REPORT_SCHEDULE),
  HUIFANG_REPORT_DEADLINE: scheduleText(parseMonthlyDeadline).default(DEFAULT_REPORT_DEADLINE),
  HUIFANG_ORG_NAME: z.string().trim().min(1).max(20, 'must be at most 20 characters (it opens every SMS as 【name】)').default(DEFAULTS.HUIFANG_ORG_NAME),
  LOG_LEVEL: logLevel.default(DEFAULTS.LOG_LEVEL),
  LOG_FORMAT: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(LOG_FORMATS, { errorMap: () => ({ message: `must be one of ${LOG_FORMATS.join(', ')}` }) }))
    .optional(),
  HUIFANG_SANDBOX: booleanish.optional(),
  HUIFANG_SANDBOX_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  HUIFANG_SHUTDOWN_TIMEOUT_SECONDS: integer(1, 600, 'must be a whole number of seconds from 1 to 600').default('10'),
  HUIFANG_WECOM_CONTACT_SYNC: booleanish.optional(),

  WECOM_CORP_ID: nonEmpty.optional(),
  WECOM_AGENT_ID: integer(1, Number.MAX_SAFE_INTEGER, 'must be a positive integer (the application AgentId)').optional(),
  WECOM_SECRET: nonEmpty.optional(),
  WECOM_CALLBACK_TOKEN: nonEmpty.optional(),
  WECOM_ENCODING_AES_KEY: aesKey.optional(),
  WECOM_API_BASE: httpUrl('must be an http:// or https:// URL').default(DEFAULTS.WECOM_API_BASE),
  WECOM_OAUTH_BASE: httpUrl('must be an http:// or https:// URL').default(DEFAULTS.WECOM_OAUTH_BASE),
  WECOM_SSO_BASE: httpUrl('must be an http:// or https:// URL').default(DEFAULTS.WECOM_SSO_BASE),
  WECOM_CALLBACK_MAX_SKEW_SECONDS: integer(30, 86_400, 'must be a whole number of seconds from 30 to 86400').default('300'),

  TENCENT_SECRET_ID: nonEmpty.optional(),
  TENCENT_SECRET_KEY: nonEmpty.optional(),
  TENCENT_SMS_SDK_APP_ID: nonEmpty.optional(),
  TENCENT_SMS_SIGN_NAME: nonEmpty.optional(),
  TENCENT_SMS_REGION: nonEmpty.default(DEFAULTS.TENCENT_SMS_REGION),
  TENCENT_SMS_ENDPOINT: tencentEndpoint.default(DEFAULTS.TENCENT_SMS_ENDPOINT),
  TENCENT_SMS_CALLBACK_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  TENCENT_SMS_TEMPLATES: tencentTemplates.optional(),
  TENCENT_SMS_EXTEND_CODE: booleanish.optional(),
  TENCENT_SMS_RECONCILE_WAIT_SECONDS: integer(0, 7 * 24 * 3600, 'must be a whole number of seconds from 0 to 604800 (7 days, as far back as Tencent keeps reports)').default('600'),

  WECHAT_MP_APP_ID: nonEmpty.optional(),
  WECHAT_MP_APP_SECRET: nonEmpty.optional(),
  WECHAT_API_BASE: httpUrl('must be an http:// or https:// URL').default(DEFAULTS.WECHAT_API_BASE),
  WECOM_DAILY_MESSAGE_LIMIT: integer(1, 100_000_000, 'must be a whole number of messages a day (帐号上限数 × 200)').optional(),
  WECOM_CUSTOMER_CONTACT: booleanish.optional(),
  WECOM_GROUP_MESSAGE_RULE: z
    .enum(['days_in_month', 'seven_a_week', 'one_a_day'], { errorMap: () => ({ message: 'must be days_in_month, seven_a_week or one_a_day (群发助手 → 设置群发规则)' }) })
    .default('days_in_month'),
  WECOM_CONTACT_CONFIRM_DAYS: integer(1, 30, 'must be a whole number of days from 1 to 30').optional(),
  WECOM_CONTACT_RECONCILE_WAIT_SECONDS: integer(0, 86_400, 'must be a whole number of seconds from 0 to 86400 (one day, well within the 3 days searched)').default('600'),
  WECHAT_MP_CALLBACK_TOKEN: z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'must be 3–32 letters or digits (the Token of 服务器配置)').optional(),
  WECHAT_MP_SURVEY_TEMPLATE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a template id as shown in the MP console (letters, digits, "-", "_")').optional(),
  HUIFANG_QUIET_HOURS: z
    .string()
    .transform((text, ctx) => {
      try {
        return parseQuietHours(text);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        return z.NEVER;
      }
    })
    .default('21:00-08:00'),
  HUIFANG_SURVEY_MIN_GAP_HOURS: integer(0, 24 * 60, 'must be a whole number of hours from 0 (no gap) to 1440').default('72'),
  HUIFANG_OPTOUT_SCOPE: z.enum(['marketing', 'all'], { errorMap: () => ({ message: 'must be marketing or all' }) }).default('all'),
  HUIFANG_CONSOLE_IDLE_MINUTES: integer(5, 24 * 60, 'must be a whole number of minutes from 5 to 1440').default('120'),
  HUIFANG_CONSOLE_SESSION_HOURS: integer(1, 24 * 30, 'must be a whole number of hours from 1 to 720').default('12'),
  HUIFANG_CONSOLE_REVEALS_PER_DAY: integer(0, 10_000, 'must be a whole number of reveals a day (0 disables them)').default('30'),
  HUIFANG_CONSOLE_SIGNIN_ATTEMPTS: integer(1, 10_000, 'must be a whole number of attempts per 15 minutes').default('20'),
  // Greetings: cost estimate only.
  HUIFANG_SMS_DAILY_BUDGET: z.string().regex(/^\d{1,3}$/, 'must be a whole number of SMS per customer and day, e.g. 2 (0: no budget)').transform(Number).optional(),
  HUIFANG_SMS_PRICE_PER_SEGMENT: z.coerce.number({ invalid_type_error: 'must be a price in yuan such as 0.045' }).positive('must be a price in yuan such as 0.045').max(10, 'must be a price in yuan such as 0.045').optional(),
});

type EnvName = keyof typeof envSchema.shape;
const ENV_NAMES = Object.keys(envSchema.shape) as EnvName[];

/**
 * Reads and validates the configuration.
 *
 * @param env the environment [`process.env`]; tests pass a plain object. Values are trimmed, and
 *   blank values count as unset.
 * @param options `cwd` for resolving a relative SQLite path [`process.cwd()`]
 * @throws ConfigError listing every problem found, each naming its variable
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): Config {
  const raw: Partial<Record<EnvName, string>> = {};
  for (const name of ENV_NAMES) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') raw[name] = value;
  }

  const problems: ConfigProblem[] = [];
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ variable: String(issue.path[0] ?? 'environment'), message: issue.message });
    }
  }
  // Checked on presence alone so they are reported even when a field above failed to parse.
  if (parsed.success && parsed.data.WECOM_CUSTOMER_CONTACT && raw.WECOM_CORP_ID === undefined) {
    problems.push({ variable: 'WECOM_CUSTOMER_CONTACT', message: 'needs WeCom: set the WECOM_* variables, or unset this one' });
  }
  if (parsed.success && parsed.data.HUIFANG_WECOM_CONTACT_SYNC && raw.WECOM_CORP_ID === undefined) {
    problems.push({ variable: 'HUIFANG_WECOM_CONTACT_SYNC', message: 'needs WeCom: set the WECOM_* variables, or unset this one' });
  }
  problems.push(
    ...allOrNone(raw, WECOM_CREDENTIALS, 'WeCom'),
    ...allOrNone(raw, TENCENT_CREDENTIALS, 'Tencent SMS'),
    ...allOrNone(raw, WECHAT_CREDENTIALS, 'WeChat official account'),
    ...(WECHAT_CREDENTIALS.every((name) => raw[name] !== undefined) && raw.WECHAT_MP_SURVEY_TEMPLATE_ID === undefined
      ? [{ variable: 'WECHAT_MP_SURVEY_TEMPLATE_ID', message: 'is required with WECHAT_MP_APP_ID and WECHAT_MP_APP_SECRET: the id of the survey invitation template (公众号后台 → 模板消息)' }]
      : []),
  );

  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(scrubSecrets(sortByDeclaration(problems), raw));
  }

  return deepFreeze(buildConfig(parsed.data, options.cwd ?? process.cwd()));
}

/**
 * A secret-free summary for the first log lines: database provider (and SQLite file), listen
 * address, public URL, timezone, log level, channel modes, API base URLs and the number of API keys.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    databaseProvider: config.database.provider,
    ...(config.database.sqliteFile === undefined ? {} : { sqliteFile: config.database.sqliteFile }),
    host: config.host,
    port: config.port,
    publicBaseUrl: config.publicBaseUrl,
    timezone: config.timezone,
    logLevel: config.logLevel,
    sandboxForced: config.sandbox,
    channels: { ...config.channels },
    apiKeyCount: config.apiKeys.length,
    wecomApiBase: config.wecom?.apiBase ?? null,
    tencentSmsEndpoint: config.tencentSms === null ? null : `${config.tencentSms.protocol}${config.tencentSms.endpoint}`,
    tencentSmsCallbacksEnabled: config.tencentSms !== null && config.tencentSms.callbackKey !== null,
    wechatApiBase: config.wechat?.apiBase ?? null,
  };
}

function buildConfig(env: z.output<typeof envSchema>, cwd: string): Config {
  const port = env.PORT ?? DEFAULTS.PORT;
  const sandbox = env.HUIFANG_SANDBOX ?? false;
  const database: DatabaseConfig =
    env.DATABASE_URL.provider === 'sqlite'
      ? { ...env.DATABASE_URL, sqliteFile: resolveSqliteFile(env.DATABASE_URL.url, cwd) }
      : env.DATABASE_URL;

  // allOrNone has already guaranteed each block is complete or empty.
  const wecom: WecomConfig | null =
    env.WECOM_CORP_ID === undefined
      ? null
      : {
          corpId: env.WECOM_CORP_ID,
          agentId: env.WECOM_AGENT_ID!,
          secret: env.WECOM_SECRET!,
          callbackToken: env.WECOM_CALLBACK_TOKEN!,
          encodingAesKey: env.WECOM_ENCODING_AES_KEY!,
          apiBase: env.WECOM_API_BASE,
          oauthBase: env.WECOM_OAUTH_BASE,
          ssoBase: env.WECOM_SSO_BASE,
          dailyMessageLimit: env.WECOM_DAILY_MESSAGE_LIMIT ?? null,
          callbackMaxSkewSeconds: env.WECOM_CALLBACK_MAX_SKEW_SECONDS,
          customerContact: {
            enabled: env.WECOM_CUSTOMER_CONTACT ?? false,
            groupMessageRule: env.WECOM_GROUP_MESSAGE_RULE,
            confirmWithinDays: env.WECOM_CONTACT_CONFIRM_DAYS ?? 3,
            reconcileWaitMs: env.WECOM_CONTACT_RECONCILE_WAIT_SECONDS * 1000,
          },
        };
  const tencentSms: TencentSmsConfig | null =
    env.TENCENT_SECRET_ID === undefined
      ? null
      : {
          secretId: env.TENCENT_SECRET_ID,
          secretKey: env.TENCENT_SECRET_KEY!,
          sdkAppId: env.TENCENT_SMS_SDK_APP_ID!,
          signName: env.TENCENT_SMS_SIGN_NAME!,
          region: env.TENCENT_SMS_REGION,
          endpoint: env.TENCENT_SMS_ENDPOINT.endpoint,
          protocol: env.TENCENT_SMS_ENDPOINT.protocol,
          callbackKey: env.TENCENT_SMS_CALLBACK_KEY ?? null,
          templates: env.TENCENT_SMS_TEMPLATES ?? {},
          extendCode: env.TENCENT_SMS_EXTEND_CODE ?? false,
          reconcileWaitMs: env.TENCENT_SMS_RECONCILE_WAIT_SECONDS * 1000,
        };
  const wechat: WechatConfig | null =
    env.WECHAT_MP_APP_ID === undefined
      ? null
      : {
          appId: env.WECHAT_MP_APP_ID,
          appSecret: env.WECHAT_MP_APP_SECRET!,
          apiBase: env.WECHAT_API_BASE,
          surveyTemplateId: env.WECHAT_MP_SURVEY_TEMPLATE_ID!,
          callbackToken: env.WECHAT_MP_CALLBACK_TOKEN ?? null,
        };

  const channels: ChannelModes = {
    staff: wecom !== null && !sandbox ? 'wecom' : 'sandbox',
    sms: tencentSms !== null && !sandbox ? 'tencent' : 'sandbox',
    wechat: wechat !== null && !sandbox ? 'wechat' : 'sandbox',
  };
  return {
    database,
    port,
    // The sandbox has no sign-in of its own: by default only this machine reaches it.
    host: env.HOST ?? (isFullSandbox({ channels }) ? DEFAULTS.SANDBOX_HOST : DEFAULTS.HOST),
    publicBaseUrl: env.PUBLIC_BASE_URL ?? `http://localhost:${port}`,
    apiKeys: env.API_KEYS ?? [],
    timezone: env.HUIFANG_TIMEZONE,
    organisationName: env.HUIFANG_ORG_NAME,
    linkSecret: env.HUIFANG_LINK_SECRET ?? null,
    failedAuthAttemptsPer15Minutes: env.HUIFANG_FAILED_AUTH_ATTEMPTS,
    digestSchedule: env.HUIFANG_DIGEST_SCHEDULE,
    reportSchedule: env.HUIFANG_REPORT_SCHEDULE,
    reportDeadline: env.HUIFANG_REPORT_DEADLINE,
    calendarBeyondData: env.HUIFANG_CALENDAR_BEYOND_DATA,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    sandbox,
    sandboxPassword: env.HUIFANG_SANDBOX_PASSWORD ?? null,
    shutdownTimeoutMs: env.HUIFANG_SHUTDOWN_TIMEOUT_SECONDS * 1000,
    wecomContactSync: env.HUIFANG_WECOM_CONTACT_SYNC ?? false,
    wecom,
    tencentSms,
    wechat,
    optOutScope: env.HUIFANG_OPTOUT_SCOPE,
    customerContact: { quietHours: env.HUIFANG_QUIET_HOURS, surveyMinGapMs: env.HUIFANG_SURVEY_MIN_GAP_HOURS * 3_600_000 },
    smsPricePerSegment: env.HUIFANG_SMS_PRICE_PER_SEGMENT,
    smsDailyBudget: env.HUIFANG_SMS_DAILY_BUDGET ?? 2,
    console: {
      idleMinutes: env.HUIFANG_CONSOLE_IDLE_MINUTES,
      sessionHours: env.HUIFANG_CONSOLE_SESSION_HOURS,
      revealsPerDay: env.HUIFANG_CONSOLE_REVEALS_PER_DAY,
      signInAttemptsPer15Minutes: env.HUIFANG_CONSOLE_SIGNIN_ATTEMPTS,
    },
    channels,
  };
}

/**
 * Whether every channel is the sandbox (no message can reach a real person): only then does the
 * service offer its demo pages and the console's password-free picker of staff members.
 */
export function isFullSandbox(config: Pick<Config, 'channels'>): boolean {
  return config.channels.staff === 'sandbox' && config.channels.sms === 'sandbox' && config.channels.wechat === 'sandbox';
}

function allOrNone(
  raw: Partial<Record<EnvName, string>>,
  names: readonly EnvName[],
  label: string,
): ConfigProblem[] {
  const present = names.filter((name) => raw[name] !== undefined);
  if (present.length === 0 || present.length === names.length) return [];
  return names
    .filter((name) => raw[name] === undefined)
    .map((variable) => ({
      variable,
      message: `is required because ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set (set all of ${names.join(', ')} for ${label}, or none to run it in sandbox)`,
    }));
}

/** `file:./data/x.db`, `file:/abs/x.db` or `file:///abs/x.db`, optionally with `?params`. */
function resolveSqliteFile(url: string, cwd: string): string {
  const withoutQuery = url.replace(/\?.*$/, '');
  const filePath = withoutQuery.startsWith('file://') ? fileURLToPath(withoutQuery) : withoutQuery.slice('file:'.length);
  return path.resolve(cwd, filePath);
}

function sortByDeclaration(problems: ConfigProblem[]): ConfigProblem[] {
  const order = (variable: string) => {
    const index = ENV_NAMES.indexOf(variable as EnvName);
    return index === -1 ? ENV_NAMES.length : index;
  };
  return problems.map((p, i) => ({ p, i })).sort((a, b) => order(a.p.variable) - order(b.p.variable) || a.i - b.i).map(({ p }) => p);
}

/** Last guard for STYLE C5: no message may contain a secret value, even through a future careless message. */
function scrubSecrets(problems: ConfigProblem[], raw: Partial<Record<EnvName, string>>): ConfigProblem[] {
  const secrets: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const value = raw[name];
    if (value !== undefined) secrets.push(...secretPartsOf(name, value));
  }
  const longestFirst = secrets.filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  return problems.map((problem) => ({
    variable: problem.variable,
    message: longestFirst.reduce((message, secret) => message.split(secret).join('[redacted]'), problem.message),
  }));
}

function secretPartsOf(name: EnvName, value: string): string[] {
  if (name === 'DATABASE_URL') {
    const password = parseUrl(value)?.password;
    return password ? [value, password, safeDecode(password)] : [value];
  }
  if (name === 'API_KEYS') {
    return value.split(',').flatMap((entry) => [entry.trim(), entry.slice(entry.indexOf(':') + 1).trim()]);
  }
  return [value];
}

function safeDecode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
