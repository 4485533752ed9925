import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { replyCodeFromToken } from '../../../../bot/core/surveys/channel-chain.js';

/** The token read as one base-64 number (BigInt), then reduced: what a reply code of a token must be. */
function reference(token: string, digits: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let value = 0n;
  for (const ch of token) {
    const v = alphabet.indexOf(ch);
    if (v >= 0) value = value * 64n + BigInt(v);
  }
  const lowest = 10n ** BigInt(digits - 1);
  return String(lowest + (value % (9n * lowest)));
}

describe('replyCodeFromToken', () => {
  it('gives the code of the whole token read as a number, for tokens of every length the generator makes', () => {
    for (let i = 0; i < 2_000; i++) {
      const token = randomBytes(1 + (i % 24)).toString('base64url');
      for (const digits of [4, 6, 8]) expect(replyCodeFromToken(token, digits)).toBe(reference(token, digits));
    }
  });

  it('skips characters outside base64url and keeps the first digit from 1 to 9', () => {
    expect(replyCodeFromToken('A.B*C')).toBe(reference('ABC', 6));
    expect(replyCodeFromToken('____________')).toBe(reference('____________', 6));
    expect(replyCodeFromToken('')).toBe('100000');
  });
});
