import http from 'node:http';
import type { TencentSmsConfig } from '../../config.js';

type SmsClientClass = (typeof import('tencentcloud-sdk-nodejs-sms'))['sms']['v20210111']['Client'];
type SmsClient = InstanceType<SmsClientClass>;

/** The Tencent Cloud SMS API 2021-01-11 client of `tencentcloud-sdk-nodejs-sms` (signs with TC3-HMAC-SHA256). */
export type TencentSmsApi = Pick<SmsClient, 'SendSms' | 'PullSmsSendStatus' | 'PullSmsReplyStatus' | 'PullSmsSendStatusByPhoneNumber'>;

/** Per-request timeout [10 s]; the SDK's default of 60 s would hold a dispatcher slot far too long. */
export const TENCENT_SMS_TIMEOUT_SECONDS = 10;

/**
 * The SDK client for the configured account, region and endpoint (docs/protocols/tencent-sms.md §8).
 * `TENCENT_SMS_ENDPOINT` may name a local simulator over plain http; the SDK would send such requests
 * through `http_proxy` when the variable is set (it has no NO_PROXY handling), so a plain-http endpoint
 * gets its own agent and is always reached directly. HTTPS requests keep the SDK's proxy behaviour.
 */
export function createTencentSmsClient(config: TencentSmsConfig, options: { timeoutSeconds?: number } = {}): TencentSmsApi {
  // The SDK (about 20 MB resident with its dependencies) is loaded at the first call, not at start-up:
  // a service whose SMS channel is the sandbox never loads it (README, "Memory").
  let client: Promise<SmsClient> | null = null;
  const sdk = () => (client ??= import('tencentcloud-sdk-nodejs-sms').then(({ default: tencentcloud }) => newSmsClient(tencentcloud.sms.v20210111.Client, config, options)));
  return {
    SendSms: async (req, cb) => (await sdk()).SendSms(req, cb),
    PullSmsSendStatus: async (req, cb) => (await sdk()).PullSmsSendStatus(req, cb),
    PullSmsReplyStatus: async (req, cb) => (await sdk()).PullSmsReplyStatus(req, cb),
    PullSmsSendStatusByPhoneNumber: async (req, cb) => (await sdk()).PullSmsSendStatusByPhoneNumber(req, cb),
  };
}

function newSmsClient(Client: SmsClientClass, config: TencentSmsConfig, options: { timeoutSeconds?: number }): SmsClient {
  return new Client({
    credential: { secretId: config.secretId, secretKey: config.secretKey },
    region: config.region,
    profile: {
      httpProfile: {
        endpoint: config.endpoint,
        protocol: config.protocol,
        reqTimeout: options.timeoutSeconds ?? TENCENT_SMS_TIMEOUT_SECONDS,
        ...(config.protocol === 'http://' ? { agent: new http.Agent({ keepAlive: true }) } : {}),
      },
    },
  });
}
