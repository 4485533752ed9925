import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_SCORE05_LABELS,
  DEFAULT_STAR_LABELS,
  type ChoiceOption,
  type SurveyDefinition,
  type SurveyDefinitionRegistry,
  type SurveyQuestion,
} from '../core/surveys/definitions.js';
import { isScored } from '../core/surveys/score.js';
import { DataLoadError, type DataProblem } from './data-load-error.js';
import { displayPath } from './display-path.js';
import { YamlSource } from './yaml-source.js';

const SUBJECT = 'survey definition(s)';

const questionKey = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case (a-z, 0-9, _)');
const text = z.string().trim().min(1, 'must not be empty');
const satisfaction = z.enum(['satisfied', 'neutral', 'dissatisfied']).transform((s) => s.toUpperCase() as 'SATISFIED' | 'NEUTRAL' | 'DISSATISFIED');

/** An option: `{value, label, score?, satisfaction?}`, or just its label (then also its value). */
const option = z.preprocess(
  (v) => (typeof v === 'string' ? { value: v.trim(), label: v } : v),
  z
    .object({
      value: z.string().regex(/^[A-Za-z0-9_\-\u4e00-\u9fff]{1,40}$/, 'must be 1–40 letters, digits, _ or - (Chinese characters allowed)'),
      label: text,
      score: z.number({ invalid_type_error: 'must be a number from 0 to 1' }).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').optional(),
      satisfaction: satisfaction.optional(),
    })
    .strict()
    .transform((o): ChoiceOption => ({ value: o.value, label: o.label, ...(o.score !== undefined ? { score: o.score } : {}), ...(o.satisfaction ? { satisfaction: o.satisfaction } : {}) })),
);

/** `labels:` of stars/score05: a map from each value of the range to its meaning. */
function labelMap(from: number, to: number) {
  return z
    .record(text)
    .superRefine((map, ctx) => {
      const expected = Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
      const keys = Object.keys(map);
      const missing = expected.filter((k) => !keys.includes(k));
      const extra = keys.filter((k) => !expected.includes(k));
      if (missing.length > 0 || extra.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must give a meaning for each value ${from}–${to}${extra.length ? ` (unexpected: ${extra.join(', ')})` : ''}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}` });
      }
    })
    .transform((map) => Array.from({ length: to - from + 1 }, (_, i) => map[String(from + i)]!));
}

const base = { key: questionKey, text, help: text.optional(), required: z.boolean().optional() };

const question = z.discriminatedUnion(
  'type',
  [
    z.object({ ...base, type: z.literal('scale4') }).strict(),
    z.object({ ...base, type: z.literal('stars'), labels: labelMap(1, 5).optional() }).strict(),
    z.object({ ...base, type: z.literal('score05'), labels: labelMap(0, 5).optional() }).strict(),
    z.object({ ...base, type: z.literal('nps'), lowLabel: text.optional(), highLabel: text.optional() }).strict(),
    z.object({ ...base, type: z.literal('yes_no'), positive: z.enum(['yes', 'no']).optional() }).strict(),
    z.object({ ...base, type: z.literal('single'), options: z.array(option).min(2, 'needs at least two options') }).strict(),
    z
      .object({ ...base, type: z.literal('multiple'), options: z.array(option).min(2, 'needs at least two options'), min: z.number().int().min(0).optional(), max: z.number().int().min(1).optional() })
      .strict(),
    z.object({ ...base, type: z.literal('text'), maxLength: z.number().int().min(1).max(2000, 'at most 2000 characters').optional() }).strict(),
  ],
  { errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union_discriminator' ? 'type must be one of scale4, stars, score05, nps, yes_no, single, multiple, text' : ctx.defaultError }) },
);

type RawQuestion = z.infer<typeof question>;

function toQuestion(q: RawQuestion): SurveyQuestion {
  const common = { key: q.key, text: q.text, ...(q.help ? { help: q.help } : {}), required: q.required ?? q.type !== 'text' };
  switch (q.type) {
    case 'scale4':
      return { ...common, type: 'scale4' };
    case 'stars':
      return { ...common, type: 'stars', labels: q.labels ?? DEFAULT_STAR_LABELS };
    case 'score05':
      return { ...common, type: 'score05', labels: q.labels ?? DEFAULT_SCORE05_LABELS };
    case 'nps':
      return { ...common, type: 'nps', lowLabel: q.lowLabel ?? '完全不可能', highLabel: q.highLabel ?? '非常可能' };
    case 'yes_no':
      return { ...common, type: 'yes_no', ...(q.positive ? { positive: q.positive } : {}) };
    case 'single':
      return { ...common, type: 'single', options: q.options };
    case 'multiple':
      return { ...common, type: 'multiple', options: q.options, ...(q.min !== undefined ? { min: q.min } : {}), ...(q.max !== undefined ? { max: q.max } : {}) };
    case 'text':
      return { ...common, type: 'text', maxLength: q.maxLength ?? 500 };
  }
}

const definitionSchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and -'),
    title: text,
    source: text.optional(),
    audience: z.enum(['customer', 'staff']).optional(),
    intro: text.optional(),
    closing: text.optional(),
    headline: questionKey.optional(),
    questions: z.array(question).min(1, 'a survey needs at least one question').max(60, 'at most 60 questions'),
  })
  .strict()
  .transform(
    (d): SurveyDefinition => ({
      key: d.key,
      title: d.title,
      ...(d.source ? { source: d.source } : {}),
      audience: d.audience ?? 'customer',
      ...(d.intro ? { intro: d.intro } : {}),
      ...(d.closing ? { closing: d.closing } : {}),
      headline: d.headline ?? null,
      questions: d.questions.map(toQuestion),
    }),
  )
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.questions.forEach((q, i) => {
      if (seen.has(q.key)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'key'], message: `duplicate question key "${q.key}"` });
      seen.add(q.key);
      if (q.type === 'single' || q.type === 'multiple') {
        const values = new Set<string>();
        q.options.forEach((o, j) => {
          if (values.has(o.value)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'options', j], message: `duplicate option "${o.value}"` });
          values.add(o.value);
        });
        const scoredOptions = q.options.filter((o) => o.score !== undefined).length;
        if (q.type === 'single' && scoredOptions > 0 && scoredOptions < q.options.length) {
          ctx.addIssue({ code: 'custom', path: ['questions', i, 'options'], message: 'give every option a score, or none' });
        }
        if (q.type === 'multiple' && scoredOptions > 0) ctx.addIssue({ code: 'custom', path: ['questions', i, 'options'], message: 'multiple-choice answers are not scored: remove the scores' });
        if (q.type === 'multiple' && q.min !== undefined && q.max !== undefined && q.min > q.max) {
          ctx.addIssue({ code: 'custom', path: ['questions', i, 'min'], message: 'min must not exceed max' });
        }
        if (q.type === 'multiple' && q.max !== undefined && q.max > q.options.length) {
          ctx.addIssue({ code: 'custom', path: ['questions', i, 'max'], message: `max exceeds the ${q.options.length} options` });
        }
      }
    });
    if (d.headline !== null) {
      const index = d.questions.findIndex((q) => q.key === d.headline);
      if (index < 0) ctx.addIssue({ code: 'custom', path: ['headline'], message: `no question has the key "${d.headline}"` });
      else if (!isScored(d.questions[index]!)) ctx.addIssue({ code: 'custom', path: ['headline'], message: `question "${d.headline}" is not scored, so it cannot be the headline` });
    }
    // The answer must say whether the customer is satisfied: the follow-up's outcome and escalation depend on it.
    if (d.audience === 'customer' && !d.questions.some((q) => q.required && isScored(q))) {
      ctx.addIssue({ code: 'custom', path: ['questions'], message: 'a customer survey needs at least one required scored question (scale4, stars, score05, nps, yes_no with positive, or single with scores)' });
    }
    if (d.audience === 'staff' && !d.questions.some(isScored)) {
      ctx.addIssue({ code: 'custom', path: ['questions'], message: 'a phone script needs at least one scored question' });
    }
  });

/** Parses and validates one definition; problems name the file, line and field (a `DataLoadError`). */
export function parseSurveyDefinition(text: string, file: string): SurveyDefinition {
  const source = new YamlSource(text, file);
  const definition = source.validate(definitionSchema, SUBJECT);
  const stem = basename(file).replace(/\.ya?ml$/, '');
  if (definition.key !== stem) throw new DataLoadError(SUBJECT, [source.problemAt(['key'], `"${definition.key}" must match the file name ("${stem}")`)]);
  return definition;
}

/** Loads every `*.yaml` definition in a folder; all problems across files are reported together. */
export function loadSurveyDefinitions(dir: string): SurveyDefinition[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  const problems: DataProblem[] = [];
  const definitions: { definition: SurveyDefinition; file: string }[] = [];
  for (const f of files) {
    const file = displayPath(join(dir, f));
    try {
      definitions.push({ definition: parseSurveyDefinition(readFileSync(join(dir, f), 'utf8'), file), file });
    } catch (err) {
      if (err instanceof DataLoadError) problems.push(...err.details);
      else throw err;
    }
  }
  const seen = new Map<string, string>();
  for (const { definition: d, file } of definitions) {
    const other = seen.get(d.key);
    if (other) problems.push({ file, line: null, path: 'key', reason: `survey key "${d.key}" is also defined in ${other}` });
    seen.set(d.key, file);
  }
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);
  return definitions.map((d) => d.definition);
}

/** The loaded definitions, by key. */
export class StaticSurveyRegistry implements SurveyDefinitionRegistry {
  readonly #byKey: ReadonlyMap<string, SurveyDefinition>;
  constructor(private readonly definitions: readonly SurveyDefinition[]) {
    this.#byKey = new Map(definitions.map((d) => [d.key, d]));
  }
  get(key: string): SurveyDefinition | undefined {
    return this.#byKey.get(key);
  }
  all(): readonly SurveyDefinition[] {
    return this.definitions;
  }
}
