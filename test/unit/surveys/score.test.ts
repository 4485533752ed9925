import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { isScored, scoreAnswers, scoreQuestion } from '../../../bot/core/surveys/score.js';
import { readAnswers, sanitiseDraft, type SurveyDefinition, type SurveyQuestion } from '../../../bot/core/surveys/definitions.js';
import { loadSurveyDefinitions, StaticSurveyRegistry } from '../../../bot/loaders/load-surveys.js';
import { parseSurveyReply } from '../../../bot/core/surveys/parse-reply.js';
import { ROOT_DIR } from '../../../bot/loaders/display-path.js';
import { answerProblemText } from '../../../bot/http/survey-page.js';

const surveys = new StaticSurveyRegistry(loadSurveyDefinitions(join(ROOT_DIR, 'templates/surveys')));
const base = { key: 'q', text: '问题', required: true };

describe('scoring each question type to 0..1 and a category', () => {
  it('scale4: 满意 1, 比较满意 ⅔ satisfied; 基本满意 ⅓ neutral; 不满意 0 dissatisfied', () => {
    const q: SurveyQuestion = { ...base, type: 'scale4' };
    expect(scoreQuestion(q, 'satisfied')).toEqual({ score: 1, satisfaction: 'SATISFIED' });
    expect(scoreQuestion(q, 'fairly_satisfied')).toEqual({ score: 2 / 3, satisfaction: 'SATISFIED' });
    expect(scoreQuestion(q, 'basically_satisfied')).toEqual({ score: 1 / 3, satisfaction: 'NEUTRAL' });
    expect(scoreQuestion(q, 'dissatisfied')).toEqual({ score: 0, satisfaction: 'DISSATISFIED' });
    expect(scoreQuestion(q, 'great')).toBeNull();
  });

  it('stars 1–5 agree with the SMS reply parser for every value', () => {
    const q: SurveyQuestion = { ...base, type: 'stars', labels: ['1', '2', '3', '4', '5'] };
    for (let n = 1; n <= 5; n++) {
      const reply = parseSurveyReply(String(n));
      if (reply.kind !== 'score') throw new Error('expected a score');
      expect(scoreQuestion(q, n)).toEqual({ score: reply.normalized, satisfaction: reply.satisfaction });
    }
    expect(scoreQuestion(q, 0)).toBeNull();
    expect(scoreQuestion(q, 4.5)).toBeNull();
  });

  it('score05 0–5: n/5; 4–5 satisfied, 3 neutral, 0–2 dissatisfied', () => {
    const q: SurveyQuestion = { ...base, type: 'score05', labels: ['0', '1', '2', '3', '4', '5'] };
    expect([0, 1, 2, 3, 4, 5].map((n) => scoreQuestion(q, n))).toEqual([
      { score: 0, satisfaction: 'DISSATISFIED' },
      { score: 0.2, satisfaction: 'DISSATISFIED' },
      { score: 0.4, satisfaction: 'DISSATISFIED' },
      { score: 0.6, satisfaction: 'NEUTRAL' },
      { score: 0.8, satisfaction: 'SATISFIED' },
      { score: 1, satisfaction: 'SATISFIED' },
    ]);
    expect(scoreQuestion(q, 6)).toBeNull();
  });

  it('nps 0–10: n/10; promoters satisfied, passives neutral, detractors dissatisfied', () => {
    const q: SurveyQuestion = { ...base, type: 'nps', lowLabel: '', highLabel: '' };
    expect(scoreQuestion(q, 10)).toEqual({ score: 1, satisfaction: 'SATISFIED' });
    expect(scoreQuestion(q, 9)).toEqual({ score: 0.9, satisfaction: 'SATISFIED' });
    expect(scoreQuestion(q, 8)).toEqual({ score: 0.8, satisfaction: 'NEUTRAL' });
    expect(scoreQuestion(q, 7)).toEqual({ score: 0.7, satisfaction: 'NEUTRAL' });
    expect(scoreQuestion(q, 6)).toEqual({ score: 0.6, satisfaction: 'DISSATISFIED' });
    expect(scoreQuestion(q, 0)).toEqual({ score: 0, satisfaction: 'DISSATISFIED' });
    expect(scoreQuestion(q, 11)).toBeNull();
  });

  it('yes_no: scored only with a positive answer, which may be "no"', () => {
    expect(isScored({ ...base, type: 'yes_no' })).toBe(false);
    expect(scoreQuestion({ ...base, type: 'yes_no' }, 'yes')).toBeNull();
    const good: SurveyQuestion = { ...base, type: 'yes_no', positive: 'yes' };
    expect(scoreQuestion(good, 'yes')).toEqual({ score: 1, satisfaction: 'SATISFIED' });
    expect(scoreQuestion(good, 'no')).toEqual({ score: 0, satisfaction: 'DISSATISFIED' });
    const violations: SurveyQuestion = { ...base, type: 'yes_no', positive: 'no' };
    expect(scoreQuestion(violations, 'no')).toEqual({ score: 1, satisfaction: 'SATISFIED' });
    expect(scoreQuestion(violations, 'yes')).toEqual({ score: 0, satisfaction: 'DISSATISFIED' });
  });

  it('single: scored by option scores, the category stated or derived', () => {
    const q: SurveyQuestion = {
      ...base,
      type: 'single',
      options: [
        { value: 'a', label: 'A', score: 1 },
        { value: 'b', label: 'B', score: 0.5 },
        { value: 'c', label: 'C', score: 0.2 },
        { value: 'd', label: 'D', score: 0.5, satisfaction: 'DISSATISFIED' },
      ],
    };
    expect(scoreQuestion(q, 'a')).toEqual({ score: 1, satisfaction: 'SATISFIED' });
    expect(scoreQuestion(q, 'b')).toEqual({ score: 0.5, satisfaction: 'NEUTRAL' });
    expect(scoreQuestion(q, 'c')).toEqual({ score: 0.2, satisfaction: 'DISSATISFIED' });
    expect(scoreQuestion(q, 'd')).toEqual({ score: 0.5, satisfaction: 'DISSATISFIED' });
    expect(isScored({ ...base, type: 'single', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] })).toBe(false);
  });

  it('multiple and text are never scored', () => {
    expect(scoreQuestion({ ...base, type: 'multiple', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] }, ['a'])).toBeNull();
    expect(scoreQuestion({ ...base, type: 'text', maxLength: 500 }, '很好')).toBeNull();
  });
});

describe('scoring a response', () => {
  it('satisfaction-5: the headline decides (4 → 0.75, satisfied, as an SMS reply "4")', () => {
    const d = surveys.get('satisfaction-5')!;
    expect(scoreAnswers(d, { overall: 4, comment: '护士很耐心' })).toMatchObject({ score: 0.75, satisfaction: 'SATISFIED' });
    expect(scoreAnswers(d, { overall: 2 })).toMatchObject({ score: 0.25, satisfaction: 'DISSATISFIED' });
  });

  it('power-supply-10 (no headline): the mean, and the worst answer decides the category', () => {
    const d = surveys.get('power-supply-10')!;
    const all = Object.fromEntries(d.questions.filter((q) => q.type === 'scale4').map((q) => [q.key, 'satisfied']));
    expect(scoreAnswers(d, { ...all, q9_outage_notice: ['sms'] })).toMatchObject({ score: 1, satisfaction: 'SATISFIED' });
    const oneNeutral = { ...all, q3_hotline: 'basically_satisfied' };
    const neutral = scoreAnswers(d, oneNeutral);
    expect(neutral.satisfaction).toBe('NEUTRAL');
    expect(neutral.score).toBeCloseTo((7 + 1 / 3) / 8, 4);
    expect(scoreAnswers(d, { ...oneNeutral, q8_energy_saving: 'dissatisfied' }).satisfaction).toBe('DISSATISFIED');
    expect(scoreAnswers(d, { q10_improve: '无' })).toMatchObject({ score: null, satisfaction: null });
  });

  it('decoration-phone: the 0–5 overall score is the headline; the other answers are scored per question', () => {
    const d = surveys.get('decoration-phone')!;
    const scored = scoreAnswers(d, { design: 'satisfied', violations: 'yes', overall: 3 });
    expect(scored).toMatchObject({ score: 0.6, satisfaction: 'NEUTRAL' });
    expect(scored.questions.violations).toEqual({ score: 0, satisfaction: 'DISSATISFIED' });
    // Without the headline answered, the worst answer decides.
    expect(scoreAnswers(d, { design: 'satisfied', violations: 'yes' })).toMatchObject({ score: 0.5, satisfaction: 'DISSATISFIED' });
  });

  it('nps: 9 is a satisfied response', () => {
    expect(scoreAnswers(surveys.get('nps')!, { recommend: 9 })).toMatchObject({ score: 0.9, satisfaction: 'SATISFIED' });
  });
});

describe('reading form answers', () => {
  const d: SurveyDefinition = surveys.get('power-supply-10')!;

  it('types the values, and names what is missing or wrong per question', () => {
    const { answers, errors } = readAnswers(
      d,
      { q_q1_safety_guidance: 'satisfied', q_q2_repair_time: 'perfect', q_q9_outage_notice: ['sms', 'wechat', 'sms'], q_q10_improve: '  抢修再快一些 ', other: 'x' },
      { enforceRequired: true },
    );
    expect(answers).toEqual({ q1_safety_guidance: 'satisfied', q9_outage_notice: ['sms', 'wechat'], q10_improve: '抢修再快一些' });
    expect(errors.q2_repair_time).toEqual({ code: 'NOT_A_CHOICE' });
    expect(errors.q3_hotline).toEqual({ code: 'REQUIRED', answer: 'choice' });
    // As the form says it.
    expect(answerProblemText(errors.q2_repair_time!)).toBe('请从所列选项中选择。');
    expect(answerProblemText(errors.q3_hotline!)).toBe('请选择一项。');
    expect(errors.q10_improve).toBeUndefined();
    expect(Object.keys(errors)).toHaveLength(7);
  });

  it('does not insist on required questions for the staff form, but still checks values', () => {
    const { answers, errors } = readAnswers(d, { q_q4_staff_attitude: 'fairly_satisfied', q_q5_disclosure: ['satisfied', 'dissatisfied'] }, { enforceRequired: false });
    expect(answers).toEqual({ q4_staff_attitude: 'fairly_satisfied' });
    expect(errors).toEqual({ q5_disclosure: { code: 'ONE_ONLY' } });
    expect(answerProblemText(errors.q5_disclosure!)).toBe('只能选择一项。');
  });

  it('numbers for rating types, and length limits for text', () => {
    const s5 = surveys.get('satisfaction-5')!;
    expect(readAnswers(s5, { q_overall: '5' }, { enforceRequired: true })).toEqual({ answers: { overall: 5 }, errors: {} });
    expect(readAnswers(s5, { q_overall: '6' }, { enforceRequired: true }).errors).toEqual({ overall: { code: 'NOT_A_CHOICE' } });
    const tooLong = readAnswers(s5, { q_overall: '3', q_comment: '字'.repeat(501) }, { enforceRequired: true }).errors;
    expect(tooLong).toEqual({ comment: { code: 'TOO_LONG', maxLength: 500 } });
    expect(answerProblemText(tooLong.comment!)).toBe('请不要超过 500 字。');
  });

  it('keeps only known fields in a draft, bounded', () => {
    const draft = sanitiseDraft(surveys.get('satisfaction-5')!, { q_overall: '4', q_comment: '很'.repeat(900), intent: 'save', q_other: 'x' });
    expect(Object.keys(draft)).toEqual(['q_overall', 'q_comment']);
    expect([...(draft.q_comment as string)]).toHaveLength(500);
  });
});
