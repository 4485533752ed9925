// The simulator's own TC3-HMAC-SHA256 implementation against the SDK's signer (a known-good vector
// computed by tencentcloud-sdk-nodejs-common for fixed inputs), and the simulator refusing requests
// whose signature does not match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { canonicalRequest, parseAuthorization, tc3Signature } from '../../simulators/tencent-sms/tc3-verify.js';
import { TencentSmsSimulator } from '../../simulators/tencent-sms/tencent-sms-simulator.js';

const require = createRequire(import.meta.url);
const Sign = (require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js') as { default: { sign3(o: Record<string, unknown>): string } }).default;

const VECTOR = {
  secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  timestamp: 1_551_113_065,
  body: { Limit: 1, Offset: 0 },
};

describe('TC3-HMAC-SHA256 (simulator implementation)', () => {
  it('computes the same signature as the Tencent SDK for the same request', () => {
    const sdkHeader = Sign.sign3({
      method: 'POST',
      url: 'https://sms.tencentcloudapi.com/',
      payload: VECTOR.body,
      timestamp: VECTOR.timestamp,
      service: 'sms',
      secretId: VECTOR.secretId,
      secretKey: VECTOR.secretKey,
      multipart: false,
      headers: { 'Content-Type': 'application/json' },
    });
    const parsed = parseAuthorization(sdkHeader)!;
    expect(parsed).toMatchObject({ secretId: VECTOR.secretId, date: '2019-02-25', service: 'sms', signedHeaders: 'content-type;host' });
    const ours = tc3Signature({
      secretKey: VECTOR.secretKey,
      timestamp: VECTOR.timestamp,
      service: 'sms',
      method: 'POST',
      path: '/',
      query: '',
      contentType: 'application/json',
      host: 'sms.tencentcloudapi.com',
      body: JSON.stringify(VECTOR.body),
    });
    expect(ours).toBe(parsed.signature);
  });

  it('builds the canonical request of the published algorithm', () => {
    expect(canonicalRequest({ method: 'post', path: '/', query: '', contentType: 'application/json', host: 'sms.tencentcloudapi.com', body: '' })).toBe(
      'POST\n/\n\ncontent-type:application/json\nhost:sms.tencentcloudapi.com\n\ncontent-type;host\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('TencentSmsSimulator request verification', () => {
  let sim: TencentSmsSimulator;
  beforeAll(async () => {
    sim = await TencentSmsSimulator.start({ templates: { '1': '{1}' } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  const signedRequest = (body: string, options: { secretKey?: string; timestamp?: number } = {}) => {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const host = new URL(sim.baseUrl).host;
    const header = Sign.sign3({
      method: 'POST',
      url: `${sim.baseUrl}/`,
      payload: JSON.parse(body) as object,
      timestamp,
      service: '127',
      secretId: sim.secretId,
      secretKey: options.secretKey ?? sim.secretKey,
      multipart: false,
      headers: { 'Content-Type': 'application/json' },
    });
    return {
      method: 'POST',
      headers: {
        Host: host,
        'Content-Type': 'application/json',
        Authorization: header,
        'X-TC-Action': 'PullSmsReplyStatus',
        'X-TC-Version': '2021-01-11',
        'X-TC-Region': 'ap-guangzhou',
        'X-TC-Timestamp': String(timestamp),
      },
      body,
    };
  };
  const call = async (init: ReturnType<typeof signedRequest>) => ((await (await fetch(`${sim.baseUrl}/`, init)).json()) as { Response: Record<string, unknown> }).Response;

  it('answers a correctly signed request', async () => {
    const response = await call(signedRequest(JSON.stringify({ Limit: 10, SmsSdkAppId: sim.sdkAppId })));
    expect(response).toMatchObject({ PullSmsReplyStatusSet: [] });
    expect(response.RequestId).toEqual(expect.any(String));
  });

  it('refuses a body changed after signing with AuthFailure.SignatureFailure', async () => {
    const init = signedRequest(JSON.stringify({ Limit: 10, SmsSdkAppId: sim.sdkAppId }));
    const forged = { ...init, body: JSON.stringify({ Limit: 99, SmsSdkAppId: sim.sdkAppId }) };
    expect(await call(forged)).toMatchObject({ Error: { Code: 'AuthFailure.SignatureFailure', Message: expect.any(String) }, RequestId: expect.any(String) });
  });

  it('refuses a signature made with another key', async () => {
    const response = await call(signedRequest(JSON.stringify({ Limit: 10, SmsSdkAppId: sim.sdkAppId }), { secretKey: 'not-the-key' }));
    expect(response).toMatchObject({ Error: { Code: 'AuthFailure.SignatureFailure' } });
  });

  it('refuses a request signed more than 5 minutes ago with AuthFailure.SignatureExpire', async () => {
    const response = await call(signedRequest(JSON.stringify({ Limit: 10, SmsSdkAppId: sim.sdkAppId }), { timestamp: Math.floor(Date.now() / 1000) - 301 }));
    expect(response).toMatchObject({ Error: { Code: 'AuthFailure.SignatureExpire' } });
  });

  it('refuses an unsigned request', async () => {
    const init = signedRequest(JSON.stringify({ Limit: 10, SmsSdkAppId: sim.sdkAppId }));
    const { Authorization: _, ...headers } = init.headers;
    expect(await call({ ...init, headers: headers as typeof init.headers })).toMatchObject({ Error: { Code: 'AuthFailure.SignatureFailure' } });
  });
});
