import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature (docs/webhooks.md). */
export const SIGNATURE_HEADER = 'Huifang-Signature';
export const EVENT_ID_HEADER = 'Huifang-Event-Id';

/** `hex(HMAC-SHA256(secret, "<t>.<body>"))`: what `v1` holds for timestamp `t` (Unix seconds). */
export function signatureV1(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/**
 * The `Huifang-Signature` value: `t=<unix seconds>,v1=<hex>`, with one `v1` per secret — two during the
 * overlap after a rotation (the new secret's first), as Stripe does.
 */
export function signatureHeader(secrets: string | readonly string[], timestamp: number, body: string): string {
  const all = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${timestamp}`, ...all.map((secret) => `v1=${signatureV1(secret, timestamp, body)}`)].join(',');
}

/**
 * Checks a `Huifang-Signature` header as a receiver should (docs/webhooks.md): the `v1` value over the
 * raw body, compared in constant time, and a timestamp within `toleranceSeconds` of `nowSeconds`.
 */
export function verifySignature(secret: string, header: string | undefined, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), part.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureV1(secret, t, body), 'hex');
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
