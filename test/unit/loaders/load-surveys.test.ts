import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSurveyDefinitions, parseSurveyDefinition, StaticSurveyRegistry } from '../../../bot/loaders/load-surveys.js';
import { loadPolicyPacks } from '../../../bot/loaders/load-policies.js';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';
import { ROOT_DIR } from '../../../bot/loaders/display-path.js';

const SURVEYS_DIR = join(ROOT_DIR, 'templates/surveys');

/** The problems a definition text produces (file `x.yaml`, key `x`). */
function problemsOf(text: string, file = 'x.yaml'): string[] {
  try {
    parseSurveyDefinition(text, file);
  } catch (err) {
    if (err instanceof DataLoadError) return err.problems;
    throw err;
  }
  return [];
}

const VALID = `key: x
title: 测试
questions:
  - key: overall
    type: stars
    text: 总体评价
`;

describe('survey definitions in templates/surveys', () => {
  it('load, with the keys policies and the seeds need', () => {
    const definitions = loadSurveyDefinitions(SURVEYS_DIR);
    const byKey = new StaticSurveyRegistry(definitions);
    expect(definitions.map((d) => d.key).sort()).toEqual(['decoration-phone', 'nps', 'power-supply-10', 'satisfaction-4', 'satisfaction-5']);
    expect(byKey.get('satisfaction-5')).toMatchObject({ audience: 'customer', headline: 'overall', questions: [{ key: 'overall', type: 'stars', required: true }, { key: 'comment', type: 'text', required: false }] });
    expect(byKey.get('satisfaction-4')!.questions[0]).toMatchObject({ type: 'scale4' });
    expect(byKey.get('nps')!.questions[0]).toMatchObject({ type: 'nps' });
  });

  it('quote the ten questions of the power-supply questionnaire (seed 000 第二篇)', () => {
    const d = new StaticSurveyRegistry(loadSurveyDefinitions(SURVEYS_DIR)).get('power-supply-10')!;
    expect(d.questions).toHaveLength(10);
    expect(d.questions.filter((q) => q.type === 'scale4')).toHaveLength(8);
    expect(d.questions[0]!.text).toBe('您对供电企业提供安全用电指导与帮助的服务是否满意？');
    expect(d.questions[2]!.text).toBe('您对拨打95598服务热线和解决问题的评价？');
    expect(d.questions[8]).toMatchObject({ type: 'multiple', text: '您希望供电企业通过何种方式通知停电？' });
    expect(d.questions[9]).toMatchObject({ type: 'text', text: '您觉得在那些方面供电企业的服务还有待提高？', required: false });
    expect(d.headline).toBeNull();
  });

  it('carry the decoration phone script of seed 002 制度 4 for staff, with the 0–5 meanings', () => {
    const d = new StaticSurveyRegistry(loadSurveyDefinitions(SURVEYS_DIR)).get('decoration-phone')!;
    expect(d.audience).toBe('staff');
    expect(d.intro).toContain('请问您现在是否方便接受一下我们的电话回访');
    expect(d.questions.find((q) => q.key === 'violations')).toMatchObject({ type: 'yes_no', positive: 'no' });
    const overall = d.questions.find((q) => q.key === 'overall');
    expect(overall).toMatchObject({ type: 'score05' });
    expect(overall!.type === 'score05' && overall!.labels[0]).toBe('感觉极差，不考虑再次合作');
    expect(overall!.type === 'score05' && overall!.labels[5]).toBe('十分满意，有机会一定会推荐给亲朋');
  });

  it('accept a minimal definition with defaults (customer audience, required, default labels)', () => {
    expect(parseSurveyDefinition(VALID, 'x.yaml')).toMatchObject({
      key: 'x',
      audience: 'customer',
      headline: null,
      questions: [{ key: 'overall', type: 'stars', required: true, labels: ['很不满意', '不满意', '一般', '满意', '非常满意'] }],
    });
  });
});

describe('survey definition errors name the file, the line and the reason', () => {
  it('YAML syntax', () => {
    expect(problemsOf('key: x\ntitle: [unclosed\n')[0]).toMatch(/^x\.yaml:\d+: /);
  });

  it('a key that does not match the file name', () => {
    expect(problemsOf(VALID, 'other.yaml')).toEqual(['other.yaml:1: key: "x" must match the file name ("other")']);
  });

  it('an unknown question type, on its line', () => {
    const problems = problemsOf(VALID.replace('type: stars', 'type: slider'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^x\.yaml:5: questions\.0\.type: type must be one of scale4, stars/);
  });

  it('an unknown field', () => {
    expect(problemsOf(VALID + 'colour: red\n')[0]).toMatch(/^x\.yaml:\?|x\.yaml:1: \(root\): Unrecognized key/);
  });

  it('duplicate question keys and a headline that does not exist', () => {
    const text = VALID + '  - key: overall\n    type: text\n    text: 意见\nheadline: nope\n';
    const problems = problemsOf(text);
    expect(problems).toContain('x.yaml:7: questions.1.key: duplicate question key "overall"');
    expect(problems).toContain('x.yaml:10: headline: no question has the key "nope"');
  });

  it('a headline that is not scored', () => {
    const text = VALID + '  - key: comment\n    type: text\n    text: 意见\nheadline: comment\n';
    expect(problemsOf(text)).toEqual(['x.yaml:10: headline: question "comment" is not scored, so it cannot be the headline']);
  });

  it('a customer survey without a required scored question', () => {
    const text = 'key: x\ntitle: 测试\nquestions:\n  - key: c\n    type: text\n    text: 意见\n';
    expect(problemsOf(text)).toEqual([expect.stringMatching(/^x\.yaml:4: questions: a customer survey needs at least one required scored question/)]);
  });

  it('score05 meanings that do not cover 0–5', () => {
    const text = 'key: x\ntitle: 测试\nquestions:\n  - key: s\n    type: score05\n    text: 打分\n    labels: { 0: 差, 5: 好 }\n';
    expect(problemsOf(text)[0]).toMatch(/^x\.yaml:7: questions\.0\.labels: must give a meaning for each value 0–5 \(missing: 1, 2, 3, 4\)/);
  });

  it('choice options: duplicates, partial scores, scores on multiple choice, out-of-range scores, min above max', () => {
    const text = [
      'key: x',
      'title: 测试',
      'questions:',
      '  - { key: a, type: stars, text: 总体 }',
      '  - key: b',
      '    type: single',
      '    text: 单选',
      '    options: [{ value: p, label: 好, score: 1 }, { value: p, label: 差 }]',
      '  - key: c',
      '    type: multiple',
      '    text: 多选',
      '    options: [{ value: a, label: A, score: 0.5 }, B]',
      '    min: 2',
      '    max: 1',
      '  - key: d',
      '    type: single',
      '    text: 单选',
      '    options: [{ value: a, label: A, score: 1.5 }, B]',
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems).toContain('x.yaml:18: questions.3.options.0.score: must be from 0 to 1');
    // The other problems are found once the ranges are fixed.
    const fixed = problemsOf(text.replace('score: 1.5 }, B', 'score: 1 }, { value: b, label: B, score: 0 }'));
    expect(fixed).toEqual(
      expect.arrayContaining([
        'x.yaml:8: questions.1.options.1: duplicate option "p"',
        'x.yaml:8: questions.1.options: give every option a score, or none',
        'x.yaml:12: questions.2.options: multiple-choice answers are not scored: remove the scores',
        'x.yaml:13: questions.2.min: min must not exceed max',
      ]),
    );
  });

  it('a text limit above 2000 characters', () => {
    const text = VALID + '  - { key: c, type: text, text: 意见, maxLength: 5000 }\n';
    expect(problemsOf(text)).toEqual(['x.yaml:7: questions.1.maxLength: at most 2000 characters']);
  });

  it('every problem across files at once, and keys defined twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'surveys-'));
    writeFileSync(join(dir, 'a.yaml'), VALID.replace('key: x', 'key: a').replace('type: stars', 'type: bogus'));
    writeFileSync(join(dir, 'b.yaml'), VALID.replace('key: x', 'key: b').replace('title: 测试\n', ''));
    writeFileSync(join(dir, 'README.md'), '# not a definition');
    let error: unknown;
    try {
      loadSurveyDefinitions(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataLoadError);
    const problems = (error as DataLoadError).problems;
    expect(problems.some((p) => p.startsWith(join(dir, 'a.yaml') + ':5: questions.0.type'))).toBe(true);
    expect(problems.some((p) => p.startsWith(join(dir, 'b.yaml') + ':1: title') || p.startsWith(join(dir, 'b.yaml') + ':1: (root)'))).toBe(true);
  });
});

describe('policy steps name existing surveys', () => {
  it('the shipped packs all do', () => {
    const surveys = new StaticSurveyRegistry(loadSurveyDefinitions(SURVEYS_DIR));
    expect(() => loadPolicyPacks(join(ROOT_DIR, 'templates/policies'), { surveys })).not.toThrow();
  });

  it('an unknown surveyKey stops the start with the file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    const pack = [
      'id: PX',
      'name: 测试',
      'source: 测试',
      'caseTypes: [test_case]',
      'steps:',
      '  - key: survey',
      '    title: 问卷',
      '    action: CUSTOMER_SURVEY',
      '    channel: sms',
      '    anchor: event',
      '    earliest: 1 days',
      '    deadline: 3 days',
      '    maxAttempts: 1',
      '    surveyKey: no-such-survey',
      '    instructions: 评分',
      '  - key: script',
      '    title: 电话',
      '    action: CUSTOMER_SURVEY',
      '    channel: sms',
      '    anchor: event',
      '    earliest: 1 days',
      '    deadline: 3 days',
      '    maxAttempts: 1',
      '    surveyKey: decoration-phone',
      '    instructions: 评分',
      'escalation: { dissatisfiedTo: [supervisor], deadline: 3 days }',
    ].join('\n');
    writeFileSync(join(dir, 'PX.yaml'), pack);
    const surveys = new StaticSurveyRegistry(loadSurveyDefinitions(SURVEYS_DIR));
    let error: unknown;
    try {
      loadPolicyPacks(dir, { surveys });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataLoadError);
    expect((error as DataLoadError).problems).toEqual([
      `${join(dir, 'PX.yaml')}:14: steps.0.surveyKey: unknown survey "no-such-survey" (no templates/surveys/no-such-survey.yaml)`,
      `${join(dir, 'PX.yaml')}:24: steps.1.surveyKey: survey "decoration-phone" is a phone script for staff; a CUSTOMER_SURVEY step needs a customer survey`,
    ]);
  });
});
