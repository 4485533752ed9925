import { describe, expect, it } from 'vitest';
import { classifyTencentCode, TENCENT_SMS_CODES } from '../../../bot/channels/tencent-sms/error-codes.js';

describe('Tencent SMS error classification', () => {
  it.each([
    ['LimitExceeded.PhoneNumberThirtySecondLimit', 'rate_limited'],
    ['LimitExceeded.PhoneNumberDailyLimit', 'rate_limited'],
    ['RequestLimitExceeded', 'rate_limited'],
    ['InvalidParameterValue.IncorrectPhoneNumber', 'permanent'],
    ['FailedOperation.PhoneNumberInBlacklist', 'permanent'],
    ['FailedOperation.InsufficientBalanceInSmsPackage', 'auth'],
    ['FailedOperation.SignatureIncorrectOrUnapproved', 'auth'],
    ['FailedOperation.TemplateIncorrectOrUnapproved', 'auth'],
    ['UnauthorizedOperation.SmsSdkAppIdVerifyFail', 'auth'],
    ['AuthFailure.SignatureFailure', 'auth'],
    ['InternalError.Timeout', 'retryable'],
    ['InternalError.SigVerificationFail', 'auth'],
    ['FailedOperation.OtherError', 'permanent'],
    ['FailedOperation.MissingSignatureList', 'permanent'],
    ['FailedOperation.MissingTemplateList', 'permanent'],
    ['InvalidParameterValue.TemplateWithDirtyWords', 'permanent'],
    ['InvalidParameter.DirtyWordFound', 'permanent'],
    ['InvalidParameterValue.ProhibitedUseUrlInTemplateParameter', 'permanent'],
    ['InvalidParameterValue.SomethingNew', 'permanent'],
    ['InvalidParameter', 'permanent'],
  ])('%s is %s', (code, kind) => {
    expect(classifyTencentCode(code).kind).toBe(kind);
  });

  it('classifies unknown codes by family', () => {
    expect(classifyTencentCode('UnauthorizedOperation.SomethingNew').kind).toBe('auth');
    expect(classifyTencentCode('AuthFailure.SomethingNew').kind).toBe('auth');
    expect(classifyTencentCode('LimitExceeded.SomethingNew')).toMatchObject({ kind: 'rate_limited', retryAfterMs: expect.any(Number) });
    // Anything else: retried a few times only, then the message dies for an operator to look up the code.
    expect(classifyTencentCode('FailedOperation.SomethingNew')).toMatchObject({ kind: 'retryable', maxAttempts: 3 });
  });

  it('gives every frequency limit a wait at least as long as its window', () => {
    expect(classifyTencentCode('LimitExceeded.PhoneNumberThirtySecondLimit').retryAfterMs).toBeGreaterThanOrEqual(30_000);
    expect(classifyTencentCode('LimitExceeded.PhoneNumberOneHourLimit').retryAfterMs).toBeGreaterThanOrEqual(3_600_000);
    for (const [code, rule] of Object.entries(TENCENT_SMS_CODES)) {
      if (rule.kind === 'rate_limited') expect(rule.retryAfterMs, code).toBeGreaterThan(0);
      if (rule.invalidNumber) expect(rule.kind, code).toBe('permanent');
    }
  });
});
