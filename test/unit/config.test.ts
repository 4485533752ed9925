import { describe, it, expect } from 'vitest';
import { ConfigError, describeConfig, loadConfig, type Config } from '../../bot/config.js';

const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'; // 43 characters
const WECOM = {
  WECOM_CORP_ID: 'ww0123456789abcdef',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'wecom-secret-value-XYZ123',
  WECOM_CALLBACK_TOKEN: 'callbackTokenValue987',
  WECOM_ENCODING_AES_KEY: AES_KEY,
};
const TENCENT = {
  TENCENT_SECRET_ID: 'AKIDsecretIdValue0001',
  TENCENT_SECRET_KEY: 'tencentSecretKeyValue0002',
  TENCENT_SMS_SDK_APP_ID: '1400006666',
  TENCENT_SMS_SIGN_NAME: '回访中心',
  TENCENT_SMS_CALLBACK_KEY: 'smsCallbackKeyValue0003',
};
const WECHAT = { WECHAT_MP_APP_ID: 'wx0123456789abcdef', WECHAT_MP_APP_SECRET: 'wechatAppSecretValue0004', WECHAT_MP_SURVEY_TEMPLATE_ID: 'Tpl-Survey_0001' };
const API_KEY_A = 'apiKeyAlpha-0123456789';
const API_KEY_B = 'apiKeyBravo-0123456789';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env, { cwd: '/srv/huifang' });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw ConfigError');
}

describe('loadConfig', () => {
  it('applies every default when the environment is empty', () => {
    const config = loadConfig({}, { cwd: '/srv/huifang' });
    expect(config).toEqual({
      database: { url: 'file:./data/huifang.db', provider: 'sqlite', sqliteFile: '/srv/huifang/data/huifang.db' },
      port: 3000,
      host: '127.0.0.1',
      publicBaseUrl: 'http://localhost:3000',
      apiKeys: [],
      timezone: 'Asia/Shanghai',
      organisationName: '回访中心',
      calendarBeyondData: 'assume_weekends',
      logLevel: 'info',
      sandbox: false,
      sandboxPassword: null,
      shutdownTimeoutMs: 10_000,
      wecomContactSync: false,
      wecom: null,
      tencentSms: null,
      wechat: null,
      linkSecret: null,
      failedAuthAttemptsPer15Minutes: 20,
      optOutScope: 'all',
      customerContact: { quietHours: { from: '21:00', to: '08:00' }, surveyMinGapMs: 72 * 3_600_000 },
      // Tencent's default frequency policy: 2 SMS per number a day.
      smsDailyBudget: 2,
      digestSchedule: { weekday: 1, hour: 9, minute: 0 },
      reportSchedule: { kind: 'WORKDAY', n: 1, hour: 9, minute: 0 },
      reportDeadline: { day: 5, hour: 16, minute: 0 },
      channels: { staff: 'sandbox', sms: 'sandbox', wechat: 'sandbox' },
      console: { idleMinutes: 120, sessionHours: 12, revealsPerDay: 30, signInAttemptsPer15Minutes: 20 },
    } satisfies Config);
  });

  it('binds to loopback while every channel is the sandbox, to every interface once one is real, and to HOST when set', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ ...WECOM, HUIFANG_SANDBOX: '1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ ...WECOM }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', HUIFANG_SANDBOX_PASSWORD: 'a-long-sandbox-password' })).toMatchObject({ host: '0.0.0.0', sandboxPassword: 'a-long-sandbox-password' });
    expect(configError({ HUIFANG_SANDBOX_PASSWORD: 'short' }).message).toContain('HUIFANG_SANDBOX_PASSWORD: must be at least 12 characters');
  });

  it('reads the shutdown deadline in seconds, and refuses nonsense with the variable named', () => {
    expect(loadConfig({ HUIFANG_SHUTDOWN_TIMEOUT_SECONDS: '25' }).shutdownTimeoutMs).toBe(25_000);
    expect(configError({ HUIFANG_SHUTDOWN_TIMEOUT_SECONDS: '0' }).message).toContain('HUIFANG_SHUTDOWN_TIMEOUT_SECONDS: must be a whole number of seconds from 1 to 600');
  });

  it('reads the console settings and refuses nonsense with the variable named', () => {
    expect(loadConfig({ HUIFANG_CONSOLE_IDLE_MINUTES: '30', HUIFANG_CONSOLE_REVEALS_PER_DAY: '0' }).console).toMatchObject({ idleMinutes: 30, revealsPerDay: 0 });
    expect(configError({ HUIFANG_CONSOLE_SESSION_HOURS: 'forever' }).message).toContain('HUIFANG_CONSOLE_SESSION_HOURS: must be a whole number of hours');
  });

  it('reads the customer quiet hours and survey gap, and refuses nonsense with the variable named', () => {
    expect(loadConfig({ HUIFANG_QUIET_HOURS: '22:30-07:45', HUIFANG_SURVEY_MIN_GAP_HOURS: '0' }).customerContact).toEqual({ quietHours: { from: '22:30', to: '07:45' }, surveyMinGapMs: 0 });
    expect(loadConfig({ HUIFANG_QUIET_HOURS: 'off' }).customerContact.quietHours).toBeNull();
    expect(configError({ HUIFANG_QUIET_HOURS: '9pm-8am' }).message).toContain('HUIFANG_QUIET_HOURS: must be HH:MM-HH:MM (e.g. 21:00-08:00) or off');
    expect(configError({ HUIFANG_QUIET_HOURS: '08:00-08:00' }).message).toContain('HUIFANG_QUIET_HOURS: must span some time');
    expect(configError({ HUIFANG_SURVEY_MIN_GAP_HOURS: 'soon' }).message).toContain('HUIFANG_SURVEY_MIN_GAP_HOURS: must be a whole number of hours');
  });

  it('reads LOG_FORMAT (json or pretty); unset leaves the choice to the logger', () => {
    expect(loadConfig({}, { cwd: '/srv/huifang' }).logFormat).toBeUndefined();
    expect(loadConfig({ LOG_FORMAT: 'Pretty' }, { cwd: '/srv/huifang' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { cwd: '/srv/huifang' }).logFormat).toBe('json');
    expect(configError({ LOG_FORMAT: 'xml' }).message).toContain('\n  LOG_FORMAT: must be one of json, pretty');
  });

  it('treats blank variables as unset and derives the public URL from PORT', () => {
    const config = loadConfig({ PORT: '8080', PUBLIC_BASE_URL: '  ', LOG_LEVEL: '' }, { cwd: '/srv/huifang' });
    expect(config.port).toBe(8080);
    expect(config.publicBaseUrl).toBe('http://localhost:8080');
    expect(config.logLevel).toBe('info');
  });

  it('stores PUBLIC_BASE_URL without trailing slash', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://huifang.example.cn/app/' }).publicBaseUrl).toBe('https://huifang.example.cn/app');
  });

  it.each([
    ['postgres://huifang:pw@db.internal:5432/huifang'],
    ['postgresql://huifang@127.0.0.1/huifang?schema=public'],
  ])('derives postgresql from %s', (url) => {
    const config = loadConfig({ DATABASE_URL: url });
    expect(config.database).toEqual({ url, provider: 'postgresql' });
  });

  it.each([
    ['file:./dev.db', '/srv/huifang/dev.db'],
    ['file:/var/lib/huifang/h.db', '/var/lib/huifang/h.db'],
    ['file:///var/lib/huifang/h.db?connection_limit=1', '/var/lib/huifang/h.db'],
  ])('resolves the sqlite file of %s against cwd', (url, file) => {
    expect(loadConfig({ DATABASE_URL: url }, { cwd: '/srv/huifang' }).database).toEqual({ url, provider: 'sqlite', sqliteFile: file });
  });

  it('rejects an unsupported database scheme without echoing the URL', () => {
    const error = configError({ DATABASE_URL: 'mysql://root:hunter2secret@db/huifang' });
    expect(error.problems).toEqual([
      { variable: 'DATABASE_URL', message: 'unsupported scheme "mysql:"; use file:./path.db (SQLite) or postgres(ql)://… (PostgreSQL)' },
    ]);
    expect(error.message).not.toContain('hunter2secret');
  });

  it('reports every problem at once, each naming its variable', () => {
    const error = configError({
      DATABASE_URL: 'mysql://db/huifang',
      PORT: '70000',
      PUBLIC_BASE_URL: 'ftp://files.example.cn',
      API_KEYS: 'short',
      HUIFANG_TIMEZONE: 'Mars/Olympus_Mons',
      LOG_LEVEL: 'loud',
      HUIFANG_SANDBOX: 'maybe',
      WECOM_CORP_ID: 'ww0123456789abcdef',
      TENCENT_SMS_CALLBACK_KEY: 'tooShort',
      WECHAT_API_BASE: 'not a url',
    });
    expect(error.problems.map((p) => p.variable)).toEqual([
      'DATABASE_URL',
      'PORT',
      'PUBLIC_BASE_URL',
      'API_KEYS',
      'HUIFANG_TIMEZONE',
      'LOG_LEVEL',
      'HUIFANG_SANDBOX',
      'WECOM_AGENT_ID',
      'WECOM_SECRET',
      'WECOM_CALLBACK_TOKEN',
      'WECOM_ENCODING_AES_KEY',
      'TENCENT_SMS_CALLBACK_KEY',
      'WECHAT_API_BASE',
    ]);
    expect(error.message).toContain('\n  PORT: must be an integer between 1 and 65535\n');
    expect(error.message).toContain('\n  PUBLIC_BASE_URL: must be an http:// or https:// URL\n');
    expect(error.message).toContain('\n  API_KEYS: entry 1: key must be at least 16 characters\n');
    expect(error.message).toContain('\n  HUIFANG_TIMEZONE: must be an IANA time zone such as Asia/Shanghai\n');
    expect(error.message).toContain('\n  LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent\n');
    expect(error.message).toContain('\n  HUIFANG_SANDBOX: must be 1, true, 0 or false\n');
    expect(error.message).toContain('\n  TENCENT_SMS_CALLBACK_KEY: must be at least 16 characters\n');
    expect(error.message.startsWith('Invalid configuration (13 problems):\n')).toBe(true);
    expect(error.name).toBe('ConfigError');
  });

  it.each([['0'], ['65536'], ['3000.5'], ['-1'], ['abc']])('rejects PORT=%s', (port) => {
    expect(configError({ PORT: port }).problems).toEqual([{ variable: 'PORT', message: 'must be an integer between 1 and 65535' }]);
  });

  it('names the missing variables of a partial WeCom set', () => {
    const error = configError({ WECOM_CORP_ID: WECOM.WECOM_CORP_ID, WECOM_SECRET: WECOM.WECOM_SECRET });
    const why =
      'is required because WECOM_CORP_ID, WECOM_SECRET are set (set all of WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, ' +
      'WECOM_CALLBACK_TOKEN, WECOM_ENCODING_AES_KEY for WeCom, or none to run it in sandbox)';
    expect(error.problems).toEqual([
      { variable: 'WECOM_AGENT_ID', message: why },
      { variable: 'WECOM_CALLBACK_TOKEN', message: why },
      { variable: 'WECOM_ENCODING_AES_KEY', message: why },
    ]);
    expect(error.message).not.toContain(WECOM.WECOM_SECRET);
  });

  it('names the missing half of a partial Tencent SMS and WeChat set', () => {
    const error = configError({ TENCENT_SECRET_ID: TENCENT.TENCENT_SECRET_ID, WECHAT_MP_APP_SECRET: WECHAT.WECHAT_MP_APP_SECRET });
    expect(error.problems.map((p) => p.variable)).toEqual([
      'TENCENT_SECRET_KEY',
      'TENCENT_SMS_SDK_APP_ID',
      'TENCENT_SMS_SIGN_NAME',
      'WECHAT_MP_APP_ID',
    ]);
  });

  it.each([
    [AES_KEY.slice(1), 'must be exactly 43 characters (got 42)'],
    [`${AES_KEY.slice(1)}+`, 'must contain only the letters A-Z, a-z and digits 0-9'],
    [`${AES_KEY.slice(1)}=`, 'must contain only the letters A-Z, a-z and digits 0-9'],
  ])('rejects a bad EncodingAESKey without echoing it', (key, message) => {
    const error = configError({ ...WECOM, WECOM_ENCODING_AES_KEY: key });
    expect(error.problems).toEqual([{ variable: 'WECOM_ENCODING_AES_KEY', message }]);
    expect(error.message).not.toContain(key);
  });

  it('rejects a non-integer WECOM_AGENT_ID', () => {
    expect(configError({ ...WECOM, WECOM_AGENT_ID: 'agent' }).problems).toEqual([
      { variable: 'WECOM_AGENT_ID', message: 'must be a positive integer (the application AgentId)' },
    ]);
  });

  it('reads the WeCom customer-contact settings, and refuses them without WeCom or with an unknown rule', () => {
    const config = loadConfig({ ...WECOM, WECOM_CUSTOMER_CONTACT: '1', WECOM_GROUP_MESSAGE_RULE: 'seven_a_week', WECOM_CONTACT_CONFIRM_DAYS: '5', WECOM_CONTACT_RECONCILE_WAIT_SECONDS: '900' });
    expect(config.wecom?.customerContact).toEqual({ enabled: true, groupMessageRule: 'seven_a_week', confirmWithinDays: 5, reconcileWaitMs: 900_000 });
    expect(configError({ WECOM_CUSTOMER_CONTACT: '1' }).problems).toEqual([{ variable: 'WECOM_CUSTOMER_CONTACT', message: 'needs WeCom: set the WECOM_* variables, or unset this one' }]);
    expect(configError({ ...WECOM, WECOM_GROUP_MESSAGE_RULE: '4_a_month', WECOM_CONTACT_CONFIRM_DAYS: '0', WECOM_CONTACT_RECONCILE_WAIT_SECONDS: '86401' }).problems.map((p) => p.variable)).toEqual([
      'WECOM_GROUP_MESSAGE_RULE',
      'WECOM_CONTACT_CONFIRM_DAYS',
      'WECOM_CONTACT_RECONCILE_WAIT_SECONDS',
    ]);
  });

  it('builds every provider block when all credentials are set', () => {
    const config = loadConfig({
      ...WECOM,
      ...TENCENT,
      ...WECHAT,
      WECOM_API_BASE: 'http://127.0.0.1:4001/',
      TENCENT_SMS_ENDPOINT: 'http://127.0.0.1:4002',
    });
    expect(config.wecom).toEqual({
      corpId: 'ww0123456789abcdef',
      agentId: 1000002,
      secret: WECOM.WECOM_SECRET,
      callbackToken: WECOM.WECOM_CALLBACK_TOKEN,
      encodingAesKey: AES_KEY,
      apiBase: 'http://127.0.0.1:4001',
      oauthBase: 'https://open.weixin.qq.com',
      ssoBase: 'https://login.work.weixin.qq.com',
      dailyMessageLimit: null,
      callbackMaxSkewSeconds: 300,
      customerContact: { enabled: false, groupMessageRule: 'days_in_month', confirmWithinDays: 3, reconcileWaitMs: 600_000 },
    });
    expect(config.tencentSms).toEqual({
      secretId: TENCENT.TENCENT_SECRET_ID,
      secretKey: TENCENT.TENCENT_SECRET_KEY,
      sdkAppId: '1400006666',
      signName: '回访中心',
      region: 'ap-guangzhou',
      endpoint: '127.0.0.1:4002',
      protocol: 'http://',
      callbackKey: TENCENT.TENCENT_SMS_CALLBACK_KEY,
      templates: {},
      // Off unless Tencent enabled extend codes for the account.
      extendCode: false,
      reconcileWaitMs: 600_000,
    });
    expect(loadConfig({ ...TENCENT, TENCENT_SMS_EXTEND_CODE: 'true' }).tencentSms!.extendCode).toBe(true);
    expect(config.wechat).toEqual({
      appId: WECHAT.WECHAT_MP_APP_ID,
      appSecret: WECHAT.WECHAT_MP_APP_SECRET,
      apiBase: 'https://api.weixin.qq.com',
      surveyTemplateId: WECHAT.WECHAT_MP_SURVEY_TEMPLATE_ID,
      callbackToken: null,
    });
    expect(config.channels).toEqual({ staff: 'wecom', sms: 'tencent', wechat: 'wechat' });
  });

  it('defaults the Tencent endpoint to the production host over https', () => {
    const sms = loadConfig({ ...TENCENT, TENCENT_SMS_CALLBACK_KEY: undefined }).tencentSms;
    expect(sms?.endpoint).toBe('sms.tencentcloudapi.com');
    expect(sms?.protocol).toBe('https://');
    expect(sms?.callbackKey).toBeNull();
  });

  it('reads TENCENT_SMS_TEMPLATES as approved template ids per message key', () => {
    const sms = loadConfig({ ...TENCENT, TENCENT_SMS_TEMPLATES: ' survey_invite=1234567, greeting = 2345678 ,' }).tencentSms;
    expect(sms?.templates).toEqual({ survey_invite: '1234567', greeting: '2345678' });
  });

  it('reports every malformed TENCENT_SMS_TEMPLATES entry by position', () => {
    const problems = (() => {
      try {
        loadConfig({ ...TENCENT, TENCENT_SMS_TEMPLATES: 'survey_invite=12ab,greeting,greeting=1,greeting=2' });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    })();
    expect(problems.map((p) => p.variable)).toEqual(['TENCENT_SMS_TEMPLATES', 'TENCENT_SMS_TEMPLATES', 'TENCENT_SMS_TEMPLATES']);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('entry 1: must be key=TemplateId'),
      expect.stringContaining('entry 2: must be key=TemplateId'),
      'entry 4: key "greeting" is given twice',
    ]);
  });

  it('requires the survey template id with complete WeChat credentials, and reads the opt-out scope', () => {
    const { WECHAT_MP_SURVEY_TEMPLATE_ID: _template, ...credentials } = WECHAT;
    expect(configError(credentials).problems.map((p) => p.variable)).toEqual(['WECHAT_MP_SURVEY_TEMPLATE_ID']);
    expect(loadConfig({ HUIFANG_OPTOUT_SCOPE: 'marketing' }).optOutScope).toBe('marketing');
    expect(configError({ HUIFANG_OPTOUT_SCOPE: 'surveys' }).problems).toEqual([{ variable: 'HUIFANG_OPTOUT_SCOPE', message: 'must be marketing or all' }]);
  });

  it.each([['1'], ['true'], ['TRUE']])('HUIFANG_SANDBOX=%s forces sandbox channels despite credentials', (flag) => {
    const config = loadConfig({ ...WECOM, ...TENCENT, ...WECHAT, HUIFANG_SANDBOX: flag });
    expect(config.sandbox).toBe(true);
    expect(config.channels).toEqual({ staff: 'sandbox', sms: 'sandbox', wechat: 'sandbox' });
    expect(config.wecom?.corpId).toBe(WECOM.WECOM_CORP_ID);
  });

  it('HUIFANG_SANDBOX=0 leaves configured channels live', () => {
    expect(loadConfig({ ...WECOM, HUIFANG_SANDBOX: '0' }).channels).toEqual({ staff: 'wecom', sms: 'sandbox', wechat: 'sandbox' });
  });

  it('parses named and unnamed API keys', () => {
    const config = loadConfig({ API_KEYS: ` crm:${API_KEY_A} , ${API_KEY_B},` });
    expect(config.apiKeys).toEqual([
      { name: 'crm', key: API_KEY_A },
      { name: 'key2', key: API_KEY_B },
    ]);
  });

  it('rejects duplicate API key names and keys without echoing keys', () => {
    const error = configError({ API_KEYS: `his:${API_KEY_A},his:${API_KEY_B},${API_KEY_A}` });
    expect(error.problems).toEqual([
      { variable: 'API_KEYS', message: 'entry 2: name "his" is used twice' },
      { variable: 'API_KEYS', message: 'entry 3: same key as an earlier entry' },
    ]);
    expect(error.message).not.toContain(API_KEY_A);
  });

  it('never puts secret values in error messages', () => {
    const secrets = [
      WECOM.WECOM_SECRET,
      WECOM.WECOM_CALLBACK_TOKEN,
      TENCENT.TENCENT_SECRET_KEY,
      WECHAT.WECHAT_MP_APP_SECRET,
      'shortSecret',
      'pgPassword123',
    ];
    const error = configError({
      DATABASE_URL: 'postgres://huifang:pgPassword123@',
      WECOM_SECRET: WECOM.WECOM_SECRET,
      WECOM_CALLBACK_TOKEN: WECOM.WECOM_CALLBACK_TOKEN,
      WECOM_ENCODING_AES_KEY: 'x'.repeat(10),
      TENCENT_SECRET_KEY: TENCENT.TENCENT_SECRET_KEY,
      TENCENT_SMS_CALLBACK_KEY: 'shortSecret',
      WECHAT_MP_APP_SECRET: WECHAT.WECHAT_MP_APP_SECRET,
      API_KEYS: `ops:${API_KEY_A},tooShortKey`,
    });
    expect(error.problems.map((p) => p.variable)).toEqual([
      'DATABASE_URL',
      'API_KEYS',
      'WECOM_CORP_ID',
      'WECOM_AGENT_ID',
      'WECOM_ENCODING_AES_KEY',
      'TENCENT_SECRET_ID',
      'TENCENT_SMS_SDK_APP_ID',
      'TENCENT_SMS_SIGN_NAME',
      'TENCENT_SMS_CALLBACK_KEY',
      'WECHAT_MP_APP_ID',
    ]);
    for (const secret of [...secrets, 'tooShortKey', 'x'.repeat(10)]) {
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.problems)).not.toContain(secret);
    }
  });

  it('describeConfig summarises without secrets', () => {
    const config = loadConfig({
      ...WECOM,
      ...TENCENT,
      ...WECHAT,
      API_KEYS: `crm:${API_KEY_A},${API_KEY_B}`,
      DATABASE_URL: 'postgresql://huifang:pgPassword123@db.internal/huifang',
      PORT: '8080',
    });
    const summary = describeConfig(config);
    expect(summary).toEqual({
      databaseProvider: 'postgresql',
      host: '0.0.0.0',
      port: 8080,
      publicBaseUrl: 'http://localhost:8080',
      timezone: 'Asia/Shanghai',
      logLevel: 'info',
      sandboxForced: false,
      channels: { staff: 'wecom', sms: 'tencent', wechat: 'wechat' },
      apiKeyCount: 2,
      wecomApiBase: 'https://qyapi.weixin.qq.com',
      tencentSmsEndpoint: 'https://sms.tencentcloudapi.com',
      tencentSmsCallbacksEnabled: true,
      wechatApiBase: 'https://api.weixin.qq.com',
    });
    const text = JSON.stringify(summary);
    for (const secret of [
      ...Object.values(WECOM),
      TENCENT.TENCENT_SECRET_ID,
      TENCENT.TENCENT_SECRET_KEY,
      TENCENT.TENCENT_SMS_CALLBACK_KEY,
      WECHAT.WECHAT_MP_APP_SECRET,
      API_KEY_A,
      API_KEY_B,
      'pgPassword123',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ ...WECOM, API_KEYS: API_KEY_A });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(Object.isFrozen(config.apiKeys)).toBe(true);
    expect(Object.isFrozen(config.apiKeys[0])).toBe(true);
    expect(Object.isFrozen(config.wecom)).toBe(true);
    expect(Object.isFrozen(config.channels)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.apiKeys as { name: string; key: string }[]).push({ name: 'x', key: 'y' });
    }).toThrow(TypeError);
    expect(config.port).toBe(3000);
  });
});
