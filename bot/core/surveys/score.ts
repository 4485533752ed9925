import type { Satisfaction } from '../model.js';
import type { AnswerValue, ChoiceOption, SurveyAnswers, SurveyDefinition, SurveyQuestion } from './definitions.js';

/** A scored answer: normalised to 0..1 (1 = best) and its satisfaction category. */
export interface QuestionScore {
  score: number;
  satisfaction: Satisfaction;
}

/** The score of a whole response; both null when no scored question was answered. */
export interface ResponseScore {
  score: number | null;
  satisfaction: Satisfaction | null;
  /** Scored answers by question key. */
  questions: Record<string, QuestionScore>;
}

const SCALE4: Readonly<Record<string, QuestionScore>> = {
  satisfied: { score: 1, satisfaction: 'SATISFIED' },
  fairly_satisfied: { score: 2 / 3, satisfaction: 'SATISFIED' },
  basically_satisfied: { score: 1 / 3, satisfaction: 'NEUTRAL' },
  dissatisfied: { score: 0, satisfaction: 'DISSATISFIED' },
};

/**
 * Whether answers to the question are scored: every rating type, `yes_no` with a `positive` answer,
 * and `single` whose options carry scores. `multiple` and `text` never are.
 */
export function isScored(question: SurveyQuestion): boolean {
  switch (question.type) {
    case 'scale4':
    case 'stars':
    case 'score05':
    case 'nps':
      return true;
    case 'yes_no':
      return question.positive !== undefined;
    case 'single':
      return question.options.length > 0 && question.options.every((o) => o.score !== undefined);
    case 'multiple':
    case 'text':
      return false;
  }
}

/** The category of an option score when the option does not state one. */
export function satisfactionOfScore(score: number): Satisfaction {
  return score >= 0.6 ? 'SATISFIED' : score < 0.4 ? 'DISSATISFIED' : 'NEUTRAL';
}

/**
 * Scores one answer. Pure. The categories agree with the SMS reply parser's 1–5 scale (4–5 satisfied,
 * 3 neutral, 1–2 dissatisfied):
 * - `scale4`: 满意 1, 比较满意 ⅔ (satisfied); 基本满意 ⅓ (neutral); 不满意 0 (dissatisfied);
 * - `stars` 1–5: (n−1)/4; 4–5 satisfied, 3 neutral, 1–2 dissatisfied;
 * - `score05` 0–5: n/5; 4–5 satisfied, 3 (感觉一般) neutral, 0–2 dissatisfied;
 * - `nps` 0–10: n/10; 9–10 (promoters) satisfied, 7–8 (passives) neutral, 0–6 (detractors) dissatisfied;
 * - `yes_no` with `positive`: the positive answer 1 (satisfied), the other 0 (dissatisfied);
 * - `single` with option scores: the option's score, and its category (stated, or ≥ 0.6 satisfied,
 *   < 0.4 dissatisfied, else neutral).
 * Returns null for an unscored question or a value the question does not accept.
 */
export function scoreQuestion(question: SurveyQuestion, value: AnswerValue | undefined): QuestionScore | null {
  if (value === undefined || !isScored(question)) return null;
  switch (question.type) {
    case 'scale4':
      return typeof value === 'string' ? (SCALE4[value] ?? null) : null;
    case 'stars':
      if (!isIntegerIn(value, 1, 5)) return null;
      return { score: (value - 1) / 4, satisfaction: value >= 4 ? 'SATISFIED' : value === 3 ? 'NEUTRAL' : 'DISSATISFIED' };
    case 'score05':
      if (!isIntegerIn(value, 0, 5)) return null;
      return { score: value / 5, satisfaction: value >= 4 ? 'SATISFIED' : value === 3 ? 'NEUTRAL' : 'DISSATISFIED' };
    case 'nps':
      if (!isIntegerIn(value, 0, 10)) return null;
      return { score: value / 10, satisfaction: value >= 9 ? 'SATISFIED' : value >= 7 ? 'NEUTRAL' : 'DISSATISFIED' };
    case 'yes_no':
      if (value !== 'yes' && value !== 'no') return null;
      return value === question.positive ? { score: 1, satisfaction: 'SATISFIED' } : { score: 0, satisfaction: 'DISSATISFIED' };
    case 'single': {
      const option: ChoiceOption | undefined = question.options.find((o) => o.value === value);
      if (!option || option.score === undefined) return null;
      return { score: option.score, satisfaction: option.satisfaction ?? satisfactionOfScore(option.score) };
    }
    default:
      return null;
  }
}

const RANK: Readonly<Record<Satisfaction, number>> = { SATISFIED: 0, NEUTRAL: 1, DISSATISFIED: 2 };

/**
 * Scores a response. Pure. With a headline question answered, its score and category are the
 * response's (the other answers are kept and scored per question). Otherwise the score is the mean
 * of the scored answers and the category the worst of them: one 不满意 among ten questions is a
 * dissatisfied customer, whom the policy wants to hear about.
 */
export function scoreAnswers(definition: SurveyDefinition, answers: SurveyAnswers): ResponseScore {
  const questions: Record<string, QuestionScore> = {};
  for (const q of definition.questions) {
    const scored = scoreQuestion(q, answers[q.key]);
    if (scored) questions[q.key] = scored;
  }
  const headline = definition.headline ? questions[definition.headline] : undefined;
  if (headline) return { score: round(headline.score), satisfaction: headline.satisfaction, questions };
  const all = Object.values(questions);
  if (all.length === 0) return { score: null, satisfaction: null, questions };
  const mean = all.reduce((sum, q) => sum + q.score, 0) / all.length;
  const worst = all.reduce((w, q) => (RANK[q.satisfaction] > RANK[w] ? q.satisfaction : w), 'SATISFIED' as Satisfaction);
  return { score: round(mean), satisfaction: worst, questions };
}

function isIntegerIn(value: AnswerValue, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Four decimals: enough for reports, stable in JSON and across databases. */
function round(score: number): number {
  return Math.round(score * 10_000) / 10_000;
}
