import { describe, it, expect } from 'vitest';
import { DomainError } from '../../../bot/core/errors.js';
import { maskPhone, normalizePhone } from '../../../bot/core/phone.js';

describe('normalizePhone', () => {
  it.each([
    ['13812345678', '+8613812345678', '138****5678'],
    ['138 1234 5678', '+8613812345678', '138****5678'],
    ['138-1234-5678', '+8613812345678', '138****5678'],
    ['+86 138 1234 5678', '+8613812345678', '138****5678'],
    ['+8613812345678', '+8613812345678', '138****5678'],
    ['008613812345678', '+8613812345678', '138****5678'],
    ['86-13812345678', '+8613812345678', '138****5678'],
    ['(+86)13812345678', '+8613812345678', '138****5678'],
    ['１３８１２３４５６７８', '+8613812345678', '138****5678'],
    ['＋８６　１３８－１２３４－５６７８', '+8613812345678', '138****5678'],
    ['  19912345678 ', '+8619912345678', '199****5678'],
    ['022-23456789', '+862223456789', '******6789'],
    ['010 8888 6666', '+861088886666', '******6666'],
    ['0755-88886666', '+8675588886666', '*******6666'],
    ['+44 20 7946 0958', '+442079460958', '+44 ******0958'],
    ['+852 6123 4567', '+85261234567', '+852 ****4567'],
  ])('%s → %s', (input, e164, masked) => {
    expect(normalizePhone(input)).toEqual({ e164, masked });
  });

  it('uses the default country for national numbers', () => {
    expect(normalizePhone('020 7946 0958', 'GB')).toEqual({ e164: '+442079460958', masked: '+44 ******0958' });
  });

  it.each([
    [''],
    ['   '],
    ['abc'],
    ['1381234567'],
    ['138123456789'],
    ['12012345678'],
    ['10086'],
    ['abc13812345678xyz'],
    ['13812345678 ext. 12'],
    ['tel:13812345678'],
    ['138****5678'],
  ])('rejects %j as INVALID_PHONE', (input) => {
    let thrown: unknown;
    try {
      normalizePhone(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    const error = thrown as DomainError;
    expect(error.code).toBe('INVALID_PHONE');
    expect(error.details).toEqual({ field: 'phone' });
    expect(error.message).toBe('phone is not a valid phone number');
  });
});

describe('maskPhone', () => {
  it.each([
    ['+8613812345678', '138****5678'],
    ['+8617700001111', '177****1111'],
    ['+862223456789', '******6789'],
    ['+442079460958', '+44 ******0958'],
    ['+12025550143', '+1 ******0143'],
    ['13812345678', '*******5678'],
    ['+86123', '****'],
    ['', '****'],
  ])('%s → %s', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });
});
