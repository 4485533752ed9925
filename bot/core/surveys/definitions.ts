import type { Satisfaction } from '../model.js';

/**
 * Survey definitions (问卷) as data: templates/surveys/*.yaml, validated at start by
 * bot/loaders/load-surveys.ts into these objects. A policy step names one by `surveyKey`; the customer
 * page (/s/…) and the staff 详情 form (/f/…) render it, and `scoreAnswers` (score.ts) turns answers
 * into a normalised score in 0..1 and a satisfaction category.
 */

/** Question types. Which are scored, and how, is in score.ts. */
export type QuestionType = 'scale4' | 'stars' | 'score05' | 'nps' | 'yes_no' | 'single' | 'multiple' | 'text';

export const QUESTION_TYPES: readonly QuestionType[] = ['scale4', 'stars', 'score05', 'nps', 'yes_no', 'single', 'multiple', 'text'];

/** The four levels of `scale4`, best first, as stored in answers (value) and shown (label). */
export const SCALE4_LEVELS: readonly { value: Scale4Value; label: string }[] = [
  { value: 'satisfied', label: '满意' },
  { value: 'fairly_satisfied', label: '比较满意' },
  { value: 'basically_satisfied', label: '基本满意' },
  { value: 'dissatisfied', label: '不满意' },
];
export type Scale4Value = 'satisfied' | 'fairly_satisfied' | 'basically_satisfied' | 'dissatisfied';

/** Default labels of `stars` values 1–5 (index 0 = 1 star). */
export const DEFAULT_STAR_LABELS: readonly string[] = ['很不满意', '不满意', '一般', '满意', '非常满意'];

/** Default meanings of `score05` values 0–5 (index = score), after 002 制度 4. */
export const DEFAULT_SCORE05_LABELS: readonly string[] = ['感觉极差', '十分不满意', '不满意', '感觉一般', '比较满意', '十分满意'];

/** One option of a `single` or `multiple` question. */
export interface ChoiceOption {
  /** Stored in the answers (stable; snake_case or the label itself). */
  value: string;
  label: string;
  /** For a scored `single` question: the option's score in 0..1. */
  score?: number;
  /** For a scored option: its category; derived from `score` when absent (see score.ts). */
  satisfaction?: Satisfaction;
}

interface QuestionBase {
  /** Unique within the survey; the key of the answer in the response's answers JSON. */
  key: string;
  /** The question as asked (shown on the page, read out on the phone). */
  text: string;
  /** A hint under the question. */
  help?: string;
  /**
   * The customer page refuses a submission without it. The staff form never insists: a customer on
   * the phone may decline a question.
   */
  required: boolean;
}

export type SurveyQuestion =
  | (QuestionBase & { type: 'scale4' })
  | (QuestionBase & { type: 'stars'; /** Five labels, for 1 … 5. */ labels: readonly string[] })
  | (QuestionBase & { type: 'score05'; /** Six meanings, for 0 … 5. */ labels: readonly string[] })
  | (QuestionBase & { type: 'nps'; lowLabel: string; highLabel: string })
  | (QuestionBase & { type: 'yes_no'; /** Which answer is the good one; absent → not scored. */ positive?: 'yes' | 'no' })
  | (QuestionBase & { type: 'single'; options: readonly ChoiceOption[] })
  | (QuestionBase & { type: 'multiple'; options: readonly ChoiceOption[]; min?: number; max?: number })
  | (QuestionBase & { type: 'text'; maxLength: number });

/** Who fills the survey in. */
export type SurveyAudience = 'customer' | 'staff';

export interface SurveyDefinition {
  /** Stable key (file name without `.yaml`), named by policy steps' `surveyKey`. */
  key: string;
  title: string;
  /** The written policy clause or form the survey reproduces. */
  source?: string;
  /**
   * `customer`: answered by the customer on the survey page (a staff member may also read it out);
   * `staff`: a phone script only a staff member fills in during the call (never sent to customers).
   */
  audience: SurveyAudience;
  /** Opening text (page) or opening line to read (script). `{org}` is the organisation's name. */
  intro?: string;
  /** Closing text or line. */
  closing?: string;
  /**
   * The headline satisfaction question: its score and category are the response's. Without one,
   * the score is the mean of the scored answers and the worst answered category decides.
   */
  headline: string | null;
  questions: readonly SurveyQuestion[];
}

/** The loaded survey definitions by key. */
export interface SurveyDefinitionRegistry {
  get(key: string): SurveyDefinition | undefined;
  all(): readonly SurveyDefinition[];
}

/** What policies used before surveys were data; the staff form's questionnaire when a step names none. */
export const DEFAULT_SURVEY_KEY = 'satisfaction-5';

/** A validated answer: a scale4 level or option value, a number, yes/no, option values, or text. */
export type AnswerValue = string | number | readonly string[];

/** Answers by question key; unanswered questions are absent. */
export type SurveyAnswers = Readonly<Record<string, AnswerValue>>;

/** Raw form input by field name (an HTML form gives one string, or several for checkboxes). */
export type RawAnswers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The form field name of a question. */
export function fieldName(question: Pick<SurveyQuestion, 'key'>): string {
  return `q_${question.key}`;
}

/** The values a question accepts, as shown (value → label), for choice-like types. */
export function choicesOf(question: SurveyQuestion): { value: string; label: string }[] {
  switch (question.type) {
    case 'scale4':
      return SCALE4_LEVELS.map((l) => ({ ...l }));
    case 'stars':
      return question.labels.map((label, i) => ({ value: String(i + 1), label }));
    case 'score05':
      return question.labels.map((label, i) => ({ value: String(i), label }));
    case 'nps':
      return Array.from({ length: 11 }, (_, i) => ({ value: String(i), label: String(i) }));
    case 'yes_no':
      return [
        { value: 'yes', label: '是' },
        { value: 'no', label: '否' },
      ];
    case 'single':
    case 'multiple':
      return question.options.map((o) => ({ value: o.value, label: o.label }));
    case 'text':
      return [];
  }
}

/** What is wrong with one answer; the page words it (bot/http/survey-page.ts `answerProblemText`). */
export type AnswerProblem =
  | { code: 'REQUIRED'; answer: 'text' | 'choice' }
  | { code: 'TOO_LONG'; maxLength: number }
  | { code: 'NOT_A_CHOICE' }
  | { code: 'TOO_FEW'; min: number }
  | { code: 'TOO_MANY'; max: number }
  | { code: 'ONE_ONLY' };

/** The problems of a submission, by question key. */
export type AnswerErrors = Record<string, AnswerProblem>;

/**
 * Validates raw form input against a definition. Pure. Unknown fields are ignored; values that are
 * not among a question's choices are errors; `enforceRequired: false` (the staff form) lets every
 * question stay blank. Returns the typed answers and, per question, what is wrong.
 */
export function readAnswers(
  definition: SurveyDefinition,
  raw: RawAnswers,
  options: { enforceRequired: boolean },
): { answers: Record<string, AnswerValue>; errors: AnswerErrors } {
  const answers: Record<string, AnswerValue> = {};
  const errors: AnswerErrors = {};
  for (const q of definition.questions) {
    const given = raw[fieldName(q)];
    const values = (given === undefined ? [] : typeof given === 'string' ? [given] : [...given]).map((v) => v.trim()).filter((v) => v !== '');
    if (values.length === 0) {
      if (q.required && options.enforceRequired) errors[q.key] = { code: 'REQUIRED', answer: q.type === 'text' ? 'text' : 'choice' };
      continue;
    }
    if (q.type === 'text') {
      const text = values.join('\n');
      if ([...text].length > q.maxLength) errors[q.key] = { code: 'TOO_LONG', maxLength: q.maxLength };
      else answers[q.key] = text;
      continue;
    }
    const allowed = new Set(choicesOf(q).map((c) => c.value));
    if (values.some((v) => !allowed.has(v))) {
      errors[q.key] = { code: 'NOT_A_CHOICE' };
      continue;
    }
    if (q.type === 'multiple') {
      const unique = [...new Set(values)];
      if (q.min !== undefined && unique.length < q.min) errors[q.key] = { code: 'TOO_FEW', min: q.min };
      else if (q.max !== undefined && unique.length > q.max) errors[q.key] = { code: 'TOO_MANY', max: q.max };
      else answers[q.key] = unique;
      continue;
    }
    if (values.length > 1) {
      errors[q.key] = { code: 'ONE_ONLY' };
      continue;
    }
    const value = values[0]!;
    answers[q.key] = q.type === 'stars' || q.type === 'score05' || q.type === 'nps' ? Number(value) : value;
  }
  return { answers, errors };
}

/**
 * Keeps what a draft may hold: known fields only, strings of bounded length. Pure; used for the
 * autosaved partial answers, which are never validated (the customer is still typing).
 */
export function sanitiseDraft(definition: SurveyDefinition, raw: RawAnswers): Record<string, string | string[]> {
  const draft: Record<string, string | string[]> = {};
  for (const q of definition.questions) {
    const name = fieldName(q);
    const given = raw[name];
    if (given === undefined) continue;
    const limit = q.type === 'text' ? q.maxLength : 64;
    if (typeof given === 'string') {
      if (given !== '') draft[name] = [...given].slice(0, limit).join('');
    } else {
      const list = given.filter((v) => v !== '').slice(0, 50).map((v) => v.slice(0, limit));
      if (list.length > 0) draft[name] = list;
    }
  }
  return draft;
}

/** Fills `{org}` in a definition's texts. */
export function renderSurveyText(text: string, vars: { org: string }): string {
  return text.replace(/\{org\}/g, vars.org);
}
