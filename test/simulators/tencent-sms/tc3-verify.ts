// TC3-HMAC-SHA256 (Tencent Cloud API 3.0 signing), written for the simulator from the published
// algorithm (docs/protocols/tencent-sms.md §7) — independently of the SDK's signer, so that a signing
// bug in either shows up as a rejected request. Checked against the SDK in tc3-verify.test.ts.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';

export interface Tc3Input {
  secretKey: string;
  /** Unix seconds (`X-TC-Timestamp`). */
  timestamp: number;
  /** Credential-scope service: the first label of the endpoint host (`sms`, or `127` for an IP). */
  service: string;
  method: string;
  path: string;
  query: string;
  /** The `Content-Type` header exactly as sent. */
  contentType: string;
  /** The host name without port. */
  host: string;
  body: Buffer | string;
}

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** UTC calendar date of a Unix timestamp, `YYYY-MM-DD`. */
export function utcDate(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

/** The canonical request over `content-type;host`, the only headers the SDK signs. */
export function canonicalRequest(input: Omit<Tc3Input, 'secretKey' | 'timestamp' | 'service'>): string {
  return [
    input.method.toUpperCase(),
    input.path,
    input.query,
    `content-type:${input.contentType.trim().toLowerCase()}\nhost:${input.host.toLowerCase()}\n`,
    'content-type;host',
    sha256Hex(input.body),
  ].join('\n');
}

/** The hex signature Tencent expects for `input`. */
export function tc3Signature(input: Tc3Input): string {
  const date = utcDate(input.timestamp);
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = [TC3_ALGORITHM, String(input.timestamp), scope, sha256Hex(canonicalRequest(input))].join('\n');
  const kDate = hmac(`TC3${input.secretKey}`, date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, 'tc3_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

/** The parts of an `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header. */
export interface Tc3Authorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string;
  signature: string;
}

export function parseAuthorization(header: string | undefined): Tc3Authorization | null {
  if (!header) return null;
  const m = /^TC3-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return null;
  return { secretId: m[1]!, date: m[2]!, service: m[3]!, signedHeaders: m[4]!, signature: m[5]! };
}

/** Constant-time comparison of two hex signatures. */
export function signaturesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
