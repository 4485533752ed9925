import { describe, expect, it } from 'vitest';
import { parseActionKey } from '../../../../bot/core/follow-ups/record-staff-outcome.js';
import { DomainError } from '../../../../bot/core/errors.js';

function rejection(key: string): DomainError {
  try {
    parseActionKey(key);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error(`"${key}" was accepted`);
}

describe('parseActionKey', () => {
  it.each([
    ['satisfied:01JD3ZQ8X2K4M5N6P7Q8R9S0T1:1', 'satisfied', '01JD3ZQ8X2K4M5N6P7Q8R9S0T1', 1],
    ['dissatisfied:01JD3ZQ8X2K4M5N6P7Q8R9S0T1:2', 'dissatisfied', '01JD3ZQ8X2K4M5N6P7Q8R9S0T1', 2],
    ['unreachable:abc123:3', 'unreachable', 'abc123', 3],
    ['reschedule:X:12', 'reschedule', 'X', 12],
  ])('reads %s', (key, action, followUpId, activation) => {
    // The number is the activation that pushed the card (card n of the follow-up).
    expect(parseActionKey(key)).toEqual({ action, followUpId, activation });
  });

  it.each([
    ['an unknown action', 'approve:01JD3ZQ8X2K4M5N6P7Q8R9S0T1:1'],
    ['an upper-case action', 'SATISFIED:01JD3ZQ8X2K4M5N6P7Q8R9S0T1:1'],
    ['a missing attempt', 'satisfied:01JD3ZQ8X2K4M5N6P7Q8R9S0T1'],
    ['a non-numeric attempt', 'satisfied:01JD3ZQ8X2K4M5N6P7Q8R9S0T1:one'],
    ['an extra part', 'satisfied:01JD3ZQ8X2K4M5N6P7Q8R9S0T1:1:2'],
    ['an id with punctuation', 'satisfied:../etc:1'],
    ['an empty key', ''],
    ['surrounding spaces', ' satisfied:abc:1 '],
  ])('rejects %s with INVALID_ACTION_KEY', (_what, key) => {
    expect(rejection(key).code).toBe('INVALID_ACTION_KEY');
  });

  it('keeps at most 80 characters of a rejected key in the error details', () => {
    const err = rejection(`x${'y'.repeat(500)}`);
    expect(String(err.details?.key)).toHaveLength(80);
  });
});
