import { createHash, timingSafeEqual } from 'node:crypto';
import { XmlReadError, readXml, type XmlValue } from '../read-xml.js';
import { isSafeText } from '../../inbound-text.js';

/**
 * The Official Account's server push (服务器配置, 明文模式): every request carries `signature`, the SHA-1
 * of the Token, `timestamp` and `nonce` sorted and joined, and the body is plain XML. Safe mode
 * (安全模式, `encrypt_type=aes`) is not supported: the account is configured in plaintext mode, the
 * request still authenticated by the signature.
 */
export function wechatSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}

/** Whether `signature` is the account's signature of `timestamp` and `nonce` (constant-time). */
export function verifyWechatSignature(token: string, query: { signature?: string; timestamp?: string; nonce?: string }): boolean {
  const { signature, timestamp, nonce } = query;
  if (!signature || !timestamp || !nonce || !/^[0-9a-f]{40}$/.test(signature)) return false;
  const expected = Buffer.from(wechatSignature(token, timestamp, nonce));
  return timingSafeEqual(expected, Buffer.from(signature));
}

/**
 * The fields of a pushed message or event, all strings (MsgID is a 64-bit number); null when the body is
 * not well-formed XML with an `<xml>` root, or has a declaration or deep nesting (bot/channels/read-xml.ts).
 */
export function parseWechatPush(xml: string): Record<string, string> | null {
  let read: { root: string; value: XmlValue };
  try {
    read = readXml(xml);
  } catch (error) {
    if (error instanceof XmlReadError) return null;
    throw error;
  }
  if (read.root !== 'xml' || typeof read.value !== 'object' || Array.isArray(read.value)) return null;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(read.value)) if (typeof value === 'string') out[key] = value;
  // A character reference such as &#0; decodes to text no database can store.
  if (!Object.values(out).every(isSafeText)) return null;
  return out;
}
