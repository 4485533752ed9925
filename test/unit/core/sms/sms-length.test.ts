import { describe, expect, it } from 'vitest';
import { countSegments, isGsm7, measureSms, SMS_MAX_CHARACTERS } from '../../../../bot/core/sms/sms-length.js';

describe('measureSms (domestic, as Tencent counts and bills)', () => {
  it('counts the signature with its brackets', () => {
    expect(measureSms('您好', { signName: '回访中心' })).toEqual({ encoding: 'ucs2', characters: 8, segments: 1, withinLimit: true });
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
    [150, 3], // Tencent's own example: 67 + 67 + 16
    [201, 3],
    [202, 4],
  ])('bills %i characters as %i message(s)', (characters, segments) => {
    expect(measureSms('好'.repeat(characters))).toMatchObject({ characters, segments });
  });

  it('counts letters, digits, spaces and punctuation of either width as one each, also for pure ASCII', () => {
    expect(measureSms('Hi, 1-5！ ，').characters).toBe(10);
    // Domestic SMS is never GSM 7-bit: 80 ASCII characters are two messages.
    expect(measureSms('a'.repeat(80))).toMatchObject({ encoding: 'ucs2', segments: 2 });
  });

  it('counts an emoji once (one character)', () => {
    expect(measureSms('好😀').characters).toBe(2);
  });

  it('refuses content above 500 characters', () => {
    expect(measureSms('好'.repeat(SMS_MAX_CHARACTERS)).withinLimit).toBe(true);
    expect(measureSms('好'.repeat(SMS_MAX_CHARACTERS - 5), { signName: '回访中心' }).withinLimit).toBe(false);
  });

  it('measures the survey invitation as sent (signature, text, values)', () => {
    const text =
      '王女士您好，您于11月3日出院，诚邀您为本次服务评分：请回复1-5（5=非常满意），或点击 https://hf.example.cn/s/AbCdEfGhIjKlMnOpQrStUv 填写问卷。拒收请回复R';
    const measured = measureSms(text, { signName: '回访中心' });
    expect(measured.characters).toBe(6 + [...text].length);
    expect(measured.segments).toBe(Math.ceil(measured.characters / 67));
  });
});

describe('measureSms (international)', () => {
  it('uses GSM 7-bit, 160 / 153, for plain English', () => {
    expect(measureSms('a'.repeat(160), { international: true })).toMatchObject({ encoding: 'gsm7', characters: 160, segments: 1 });
    expect(measureSms('a'.repeat(161), { international: true })).toMatchObject({ encoding: 'gsm7', segments: 2 });
    expect(measureSms('a'.repeat(307), { international: true }).segments).toBe(3);
  });

  it('counts the GSM extension characters twice', () => {
    expect(measureSms('[x]€', { international: true })).toMatchObject({ encoding: 'gsm7', characters: 7 });
  });

  it('falls back to UCS-2, 70 / 67, counted in UTF-16 units, for other scripts', () => {
    expect(measureSms('Hello 您好', { international: true })).toMatchObject({ encoding: 'ucs2', characters: 8, segments: 1 });
    expect(measureSms('😀', { international: true }).characters).toBe(2);
  });
});

describe('countSegments and isGsm7', () => {
  it('is 0 for nothing', () => {
    expect(countSegments(0, 'ucs2')).toBe(0);
  });
  it('knows the GSM alphabet', () => {
    expect(isGsm7('Reply 1-5 @ £10')).toBe(true);
    expect(isGsm7('回复')).toBe(false);
    expect(isGsm7('½')).toBe(false);
  });
});
