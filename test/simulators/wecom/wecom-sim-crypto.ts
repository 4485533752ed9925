// The WeCom callback crypto, written from the protocol description (docs/protocols/wecom.md §6.4)
// with node:crypto only — deliberately independent of @wecom/crypto, which the adapter uses, so
// that the simulator cannot share a bug with the code under test (STYLE T3). Checked against the
// official vectors in test/fixtures/wecom/official-vectors.json.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** PKCS#7 block size of the scheme: 32 bytes, not AES's 16. */
const PAD_BLOCK = 32;

/** AESKey = Base64Decode(EncodingAESKey + "="), 32 bytes; IV = its first 16 bytes. */
function keyAndIv(encodingAesKey: string): { key: Buffer; iv: Buffer } {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (encodingAesKey.length !== 43 || key.length !== 32) throw new Error('simulator: EncodingAESKey must be 43 characters decoding to 32 bytes');
  return { key, iv: key.subarray(0, 16) };
}

/** `msg_signature` = hex(SHA1(concat(sort([token, timestamp, nonce, encrypt])))). */
export function simSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  const parts = [token, timestamp, nonce, encrypt].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha1').update(parts.join(''), 'utf8').digest('hex');
}

/** Base64(AES-256-CBC(random(16) ‖ len(4, BE) ‖ msg ‖ receiveId, PKCS#7 to 32)), no auto-padding. */
export function simEncrypt(encodingAesKey: string, message: string, receiveId: string, random: Buffer = randomBytes(16)): string {
  if (random.length !== 16) throw new Error('simulator: the random prefix is 16 bytes');
  const { key, iv } = keyAndIv(encodingAesKey);
  const msg = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(msg.length, 0);
  const plain = Buffer.concat([random, length, msg, Buffer.from(receiveId, 'utf8')]);
  const padLength = PAD_BLOCK - (plain.length % PAD_BLOCK);
  const padded = Buffer.concat([plain, Buffer.alloc(padLength, padLength)]);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/** The inverse of {@link simEncrypt}; throws on bad padding or layout. */
export function simDecrypt(encodingAesKey: string, encrypted: string): { message: string; receiveId: string; random: Buffer } {
  const { key, iv } = keyAndIv(encodingAesKey);
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > PAD_BLOCK || pad > padded.length) throw new Error('simulator: bad PKCS#7 padding');
  const plain = padded.subarray(0, padded.length - pad);
  if (plain.length < 20) throw new Error('simulator: plaintext too short');
  const length = plain.readUInt32BE(16);
  if (20 + length > plain.length) throw new Error('simulator: message length beyond the plaintext');
  return {
    random: plain.subarray(0, 16),
    message: plain.subarray(20, 20 + length).toString('utf8'),
    receiveId: plain.subarray(20 + length).toString('utf8'),
  };
}
