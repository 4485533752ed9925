import http from 'node:http';
import tencentcloud from 'tencentcloud-sdk-nodejs-sms';
import type { TencentSmsConfig } from '../../config.js';

const SmsClient = tencentcloud.sms.v20210111.Client;

/** The Tencent Cloud SMS API 2021-01-11 client of `tencentcloud-sdk-nodejs-sms` (signs with TC3-HMAC-SHA256). */
export type TencentSmsApi = Pick<InstanceType<typeof SmsClient>, 'SendSms' | 'PullSmsSendStatus' | 'PullSmsReplyStatus' | 'PullSmsSendStatusByPhoneNumber'>;

/** Per-request timeout [10 s]; the SDK's default of 60 s would hold a dispatcher slot far too long. */
export const TENCENT_SMS_TIMEOUT_SECONDS = 10;

/**
 * The SDK client for the configured account, region and endpoint (docs/protocols/tencent-sms.md §8).
 * `TENCENT_SMS_ENDPOINT` may name a local simulator over plain http; the SDK would send such requests
 * through `http_proxy` when the variable is set (it has no NO_PROXY handling), so a plain-http endpoint
 * gets its own agent and is always reached directly. HTTPS requests keep the SDK's proxy behaviour.
 */
export function createTencentSmsClient(config: TencentSmsConfig, options: { timeoutSeconds?: number } = {}): TencentSmsApi {
  return new SmsClient({
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
