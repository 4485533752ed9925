import { describe, expect, it } from 'vitest';
import { parseSurveyReply, toHalfWidth } from '../../../../bot/core/surveys/parse-reply.js';

describe('parseSurveyReply', () => {
  it.each([
    // reply, score, satisfaction, comment
    ['5', 5, 'SATISFIED', null],
    ['５', 5, 'SATISFIED', null],
    ['5分', 5, 'SATISFIED', null],
    ['５分！', 5, 'SATISFIED', null],
    ['五分', 5, 'SATISFIED', null],
    ['4 星', 4, 'SATISFIED', null],
    ['两分', 2, 'DISSATISFIED', null],
    ['3', 3, 'NEUTRAL', null],
    ['2', 2, 'DISSATISFIED', null],
    ['1分', 1, 'DISSATISFIED', null],
    [' 4 ', 4, 'SATISFIED', null],
    ['5，谢谢医生', 5, 'SATISFIED', '谢谢医生'],
    ['５分，护士很好', 5, 'SATISFIED', '护士很好'],
    ['非常满意', 5, 'SATISFIED', null],
    ['很满意！', 5, 'SATISFIED', null],
    ['满意', 4, 'SATISFIED', null],
    ['满意。', 4, 'SATISFIED', null],
    ['不错', 4, 'SATISFIED', null],
    ['一般', 3, 'NEUTRAL', null],
    ['还可以', 3, 'NEUTRAL', null],
    ['不满意', 2, 'DISSATISFIED', null],
    ['不满意，护士态度差', 2, 'DISSATISFIED', '护士态度差'],
    ['不太满意 等太久了', 2, 'DISSATISFIED', '等太久了'],
    ['很差', 2, 'DISSATISFIED', null],
    ['很不满意', 1, 'DISSATISFIED', null],
    ['非常不满意！！', 1, 'DISSATISFIED', null],
  ])('reads "%s" as %i (%s)', (reply, value, satisfaction, comment) => {
    expect(parseSurveyReply(reply)).toEqual({
      kind: 'score',
      score: value,
      scale: 5,
      normalized: (value - 1) / 4,
      satisfaction,
      comment,
    });
  });

  it('normalises scores to 0..1 (1 → 0, 2 → 0.25, 3 → 0.5, 5 → 1)', () => {
    const normalized = ['1', '2', '3', '4', '5'].map((r) => {
      const parsed = parseSurveyReply(r);
      return parsed.kind === 'score' ? parsed.normalized : NaN;
    });
    expect(normalized).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it.each(['R', 'r', 'Ｒ', 'TD', 'td', ' TD ', '退订', 'T', 'N', '取消订阅', 'STOP'])('treats "%s" as an opt-out', (reply) => {
    expect(parseSurveyReply(reply)).toEqual({ kind: 'opt_out' });
  });

  it.each([
    '你们是谁',
    '满意度很低',
    '满意吗',
    '好的，你们是谁',
    '不好',
    '0',
    '6',
    '10',
    '55',
    '5.5',
    '五',
    '退订了吗',
    'Rick',
    '',
    '   ',
  ])('keeps "%s" as text for a person to read', (reply) => {
    expect(parseSurveyReply(reply)).toEqual({ kind: 'text', text: reply });
  });
});

describe('toHalfWidth', () => {
  it('converts full-width digits, letters, punctuation and the ideographic space', () => {
    expect(toHalfWidth('１２３ＡＢｃ！，　')).toBe('123ABc!, ');
  });
});
