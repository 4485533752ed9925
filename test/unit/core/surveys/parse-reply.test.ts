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
    ['很差', 1, 'DISSATISFIED', null],
    ['较差', 2, 'DISSATISFIED', null],
    ['5很好', 5, 'SATISFIED', null],
    ['1（很差）服务太慢', 1, 'DISSATISFIED', '服务太慢'],
    ['很不满意', 1, 'DISSATISFIED', null],
    ['非常不满意！！', 1, 'DISSATISFIED', null],
    // Forms seen in real replies to "请回复1-5（5=非常满意）".
    ['5分满意', 5, 'SATISFIED', null],
    ['5=非常满意', 5, 'SATISFIED', null],
    ['5（非常满意）', 5, 'SATISFIED', null],
    ['５（非常满意）谢谢', 5, 'SATISFIED', '谢谢'],
    ['4(满意)，出院手续有点慢', 4, 'SATISFIED', '出院手续有点慢'],
    ['１分，护士态度差，等了一上午！', 1, 'DISSATISFIED', '护士态度差，等了一上午！'],
    ['打5分', 5, 'SATISFIED', null],
    ['我给你们打5分', 5, 'SATISFIED', null],
    ['给五分，谢谢护士', 5, 'SATISFIED', '谢谢护士'],
    ['评4分', 4, 'SATISFIED', null],
    ['5星', 5, 'SATISFIED', null],
    ['五星', 5, 'SATISFIED', null],
    ['五颗星', 5, 'SATISFIED', null],
    ['五星好评', 5, 'SATISFIED', null],
    ['⑤', 5, 'SATISFIED', null],
    ['5.', 5, 'SATISFIED', null],
    ['5～', 5, 'SATISFIED', null],
    ['3分 一般般吧', 3, 'NEUTRAL', '一般般吧'],
    ['满分', 5, 'SATISFIED', null],
    ['非常好', 5, 'SATISFIED', null],
    ['很好', 5, 'SATISFIED', null],
    ['较好', 4, 'SATISFIED', null],
    ['1，态度很差，要投诉', 1, 'DISSATISFIED', '态度很差，要投诉'],
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

  it.each(['R', 'r', 'Ｒ', 'TD', 'td', 'Td', 'ｔｄ', ' TD ', 'TD。', '退订', '退订！', 'T', 't', 'N', 'n', '取消', '拒收', '取消订阅', '退订回T', '回T退订', '拒收请回复R', 'STOP'])('treats "%s" as an opt-out', (reply) => {
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
    '你们是谁',
    '你们是哪里？',
    '我没有住过院',
    '请给我打电话',
    '护士态度太差了，我要投诉',
    '医生说的药在哪里买',
    '5个',
    '1-5',
    '4-5',
    '5分钟后回电话',
    '三',
    'TDD',
    'RR',
  ])('keeps "%s" as text for a person to read', (reply) => {
    expect(parseSurveyReply(reply)).toEqual({ kind: 'text', text: reply });
  });
});

describe('toHalfWidth', () => {
  it('converts full-width digits, letters, punctuation and the ideographic space', () => {
    expect(toHalfWidth('１２３ＡＢｃ！，　')).toBe('123ABc!, ');
  });
});
