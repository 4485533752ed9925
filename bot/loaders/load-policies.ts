import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Anchor, AssigneeRule, Offset, OffsetUnit, PolicyDefinition, RecurrenceEnd, StepCondition } from '../core/policies/types.js';
import { isAttributeLength } from '../core/policies/plan-follow-ups.js';
import { ANY_OF } from '../core/policies/sampling.js';
import { offsetInBaseUnit } from '../core/policies/offsets.js';
import type { SurveyDefinitionRegistry } from '../core/surveys/definitions.js';
import { DataLoadError, type DataProblem } from './data-load-error.js';
import { displayPath } from './display-path.js';
import { loadRoles, ROLES_FILE } from './load-roles.js';
import { YamlSource } from './yaml-source.js';

const SUBJECT = 'policy pack(s)';

const UNITS: Record<string, OffsetUnit> = {
  hour: 'hours',
  hours: 'hours',
  day: 'days',
  days: 'days',
  'working hour': 'working_hours',
  'working hours': 'working_hours',
  working_hours: 'working_hours',
  'working day': 'working_days',
  'working days': 'working_days',
  working_days: 'working_days',
  month: 'months',
  months: 'months',
  year: 'years',
  years: 'years',
};

const CONDITION_HINT = 'must be a condition such as { severity: [serious] }, { ageYears: { lt: 10 } } or { anyOf: [ {…}, {…} ] }';
const COMPARISONS = ['lt', 'lte', 'gt', 'gte'] as const;

/**
 * Checks a `when` / `unless` / `mandatory` condition, reporting each problem at its own path (so at
 * its own line): an attribute takes a list of values or a numeric comparison; `anyOf` a list of conditions.
 */
function checkCondition(c: Record<string, unknown>, path: (string | number)[], ctx: z.RefinementCtx): void {
  const issue = (at: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: [...path, ...at], message });
  if (Object.keys(c).length === 0) issue([], 'an empty condition; name at least one attribute');
  for (const [key, test] of Object.entries(c)) {
    if (key === ANY_OF) {
      if (!Array.isArray(test) || test.length < 2) {
        issue([key], 'anyOf lists two or more conditions, e.g. anyOf: [{ newWorker: [true] }, { complainedWorker: [true] }]');
        continue;
      }
      test.forEach((alternative, i) => {
        if (alternative === null || typeof alternative !== 'object' || Array.isArray(alternative)) issue([key, i], CONDITION_HINT);
        else checkCondition(alternative as Record<string, unknown>, [...path, key, i], ctx);
      });
    } else if (Array.isArray(test)) {
      if (test.length === 0) issue([key], 'lists no value; give at least one');
      test.forEach((v, i) => {
        if (!['string', 'number', 'boolean'].includes(typeof v)) issue([key, i], 'a value must be text, a number or true/false');
      });
    } else if (test !== null && typeof test === 'object') {
      const bounds = test as Record<string, unknown>;
      const unknownOps = Object.keys(bounds).filter((op) => !(COMPARISONS as readonly string[]).includes(op));
      if (unknownOps.length > 0 || Object.keys(bounds).length === 0) {
        issue([key, ...unknownOps.slice(0, 1)], `a comparison uses lt (<), lte (≤), gt (>) or gte (≥), e.g. { gte: 35 }${unknownOps.length ? ` — not "${unknownOps[0]}"` : ''}`);
        continue;
      }
      for (const op of COMPARISONS) {
        if (op in bounds && (typeof bounds[op] !== 'number' || !Number.isFinite(bounds[op]))) issue([key, op], 'must be a number');
      }
      if ('lt' in bounds && 'lte' in bounds) issue([key], 'give lt or lte, not both');
      if ('gt' in bounds && 'gte' in bounds) issue([key], 'give gt or gte, not both');
      const lower = (bounds.gt ?? bounds.gte) as number | undefined;
      const upper = (bounds.lt ?? bounds.lte) as number | undefined;
      if (typeof lower === 'number' && typeof upper === 'number' && (lower > upper || (lower === upper && ('gt' in bounds || 'lt' in bounds)))) {
        issue([key], 'no number satisfies this comparison');
      }
    } else {
      issue([key], 'must be a list of values such as [serious] or a comparison such as { gte: 35 }');
    }
  }
}

const offset = z
  .string({ invalid_type_error: 'must be an offset such as "7 days", "7 working days", "24 hours", "6 months" or "3 years"' })
  .transform((s, ctx): Offset => {
    const m = /^\s*(\d+)\s+([a-z_ ]+?)\s*$/.exec(s);
    const unit = m ? UNITS[m[2]!] : undefined;
    if (!m || !unit) {
      ctx.addIssue({ code: 'custom', message: `cannot parse offset "${s}": use "<n> hours|working hours|days|working days|months|years"` });
      return z.NEVER;
    }
    return { amount: Number(m[1]), unit };
  });
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM');
const rate = z.number({ invalid_type_error: 'must be a number' }).min(0, 'a rate must be between 0 and 1').max(1, 'a rate must be between 0 and 1 (10 % is 0.1)');
const condition = z.record(z.unknown(), { invalid_type_error: CONDITION_HINT }).superRefine((c, ctx) => checkCondition(c, [], ctx)) as unknown as z.ZodType<StepCondition>;
const ANCHOR_HINT = 'must be "event", "milestone:<name>", "step:<key>", "completed:<key>" or { latestOf: [milestone:<a>, milestone:<b>] }';
const simpleAnchor = z
  .string()
  .regex(/^(event|milestone:[A-Za-z_][\w]*|step:[a-z][a-z0-9_]*|completed:[a-z][a-z0-9_]*)$/, ANCHOR_HINT)
  .transform((a): Anchor => {
    if (a === 'event') return { kind: 'event' };
    const [kind, name] = a.split(':') as [string, string];
    return kind === 'milestone' ? { kind: 'milestone', name } : kind === 'step' ? { kind: 'step', key: name } : { kind: 'completed', key: name };
  });
const latestOfPart = z
  .string()
  .regex(/^(event|milestone:[A-Za-z_][\w]*)$/, 'latestOf lists "event" and "milestone:<name>" anchors')
  .transform((a) => (a === 'event' ? { kind: 'event' as const } : { kind: 'milestone' as const, name: a.slice('milestone:'.length) }));
const latestAnchor = z
  .object({ latestOf: z.array(latestOfPart).min(2, 'latestOf lists two or more anchors') }, { invalid_type_error: ANCHOR_HINT })
  .strict()
  .transform((o): Anchor => ({ kind: 'latest', of: o.latestOf }));
// A string anchor or a { latestOf } mapping, each with its own messages (a zod union would hide them).
const anchor = z.unknown().transform((value, ctx): Anchor => {
  const parsed = (typeof value === 'string' ? simpleAnchor : latestAnchor).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

/**
 * A step's `earliest` / `deadline`: an offset that may count backwards ("-2 days": before the anchor)
 * and may be compound ("1 months + 7 days"). Working days and working hours only count forwards.
 */
const stepOffset = z
  .string({ invalid_type_error: 'must be an offset such as "7 days", "-2 days" or "1 months + 7 days"' })
  .transform((s, ctx): Offset => {
    const parts: Offset[] = [];
    for (const term of s.split('+')) {
      if (/^\s*end of month\s*$/.test(term)) {
        parts.push({ amount: 0, unit: 'months', endOfMonth: true });
        continue;
      }
      const m = /^\s*(-?)\s*(\d+)\s+([a-z_ ]+?)\s*$/.exec(term);
      const unit = m ? UNITS[m[3]!] : undefined;
      if (!m || !unit) {
        ctx.addIssue({ code: 'custom', message: `cannot parse offset "${s}": use "<n> hours|working hours|days|working days|months|years", "-<n> days" (before the anchor), "end of month" or parts joined by " + "` });
        return z.NEVER;
      }
      const amount = m[1] ? -Number(m[2]) : Number(m[2]);
      if (amount < 0 && (unit === 'working_days' || unit === 'working_hours')) {
        ctx.addIssue({ code: 'custom', message: `"${term.trim()}": working days and working hours cannot count backwards; use days or hours before the anchor` });
        return z.NEVER;
      }
      parts.push({ amount, unit });
    }
    const [first, ...rest] = parts as [Offset, ...Offset[]];
    return rest.length ? { ...first, plus: rest } : first;
  });

function ruleSchema(roles: ReadonlySet<string> | null) {
  return z.string().superRefine((r, ctx) => {
    if (['responsible', 'supervisor', 'department_head', 'manager'].includes(r)) return;
    const m = /^(?:role|nearest):([a-z_]+)$/.exec(r);
    if (!m) ctx.addIssue({ code: 'custom', message: `unknown assignee rule "${r}" (responsible, supervisor, department_head, manager, role:<name> or nearest:<name>)` });
    else if (roles && !roles.has(m[1]!)) ctx.addIssue({ code: 'custom', message: `unknown role "${m[1]}" (not listed in ${ROLES_FILE})` });
  }) as unknown as z.ZodType<AssigneeRule>;
}

const sampling = z
  .object({
    mandatory: z.array(condition).optional(),
    rate: rate.optional(),
    tiers: z.array(z.object({ above: z.number().int().min(-1), rate }).strict()).min(1).optional(),
    population: z.enum(['previous month', 'current month'], { errorMap: () => ({ message: 'the tiers count the "previous month" or the "current month"' }) }).optional(),
    quota: z
      .object({
        min: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'at least 1').optional(),
        topUpDaysBefore: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'at least 1').max(27, 'at most 27').optional(),
        max: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'at least 1'),
        per: z.enum(['week', 'month'], { errorMap: () => ({ message: 'a quota is per week or per month' }) }),
        by: z.enum(['all', 'department', 'assignee'], { errorMap: () => ({ message: 'a quota counts all follow-ups of the step, or per department or per assignee' }) }).default('all'),
      })
      .strict()
      .optional(),
    strata: z.object({ attribute: z.string().min(1), rates: z.record(rate), otherwise: rate }).strict().optional(),
    salt: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const kinds = [s.rate !== undefined, s.tiers !== undefined, s.strata !== undefined].filter(Boolean).length;
    if (kinds > 1) ctx.addIssue({ code: 'custom', message: 'use one of rate, tiers or strata' });
    if (s.population && !s.tiers) ctx.addIssue({ code: 'custom', path: ['population'], message: 'population is for tiers' });
    if (s.quota?.min !== undefined && s.quota.min > s.quota.max) ctx.addIssue({ code: 'custom', path: ['quota', 'min'], message: 'min is at most max' });
    if (s.quota?.topUpDaysBefore !== undefined && s.quota.min === undefined) ctx.addIssue({ code: 'custom', path: ['quota', 'topUpDaysBefore'], message: 'topUpDaysBefore is for a quota with a min' });
    if (s.quota?.per === 'week' && (s.quota.topUpDaysBefore ?? 0) > 6) ctx.addIssue({ code: 'custom', path: ['quota', 'topUpDaysBefore'], message: 'a week has 7 days: at most 6' });
    if (s.quota && (s.tiers || s.strata)) ctx.addIssue({ code: 'custom', path: ['quota'], message: 'a quota goes with a rate (or alone), not with tiers or strata' });
  });

const timeRange = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time range "HH:MM-HH:MM"')
  .transform((r) => {
    const [from, to] = r.split('-') as [string, string];
    return { from, to };
  })
  .refine((r) => r.from < r.to, 'a window must end after it starts');

const daysOfMonth = z
  .object({ from: z.number().int().min(1).max(31), to: z.number().int().min(1).max(31) })
  .strict()
  .refine((d) => d.from <= d.to, 'from must be on or before to (days of the month, e.g. { from: 1, to: 25 })');

const contact = z
  .object({
    windows: z
      .array(z.object({ name: z.string().min(1), months: z.array(z.number().int().min(1).max(12)).min(1), times: z.array(timeRange).min(1) }).strict())
      .optional(),
    avoidPublicHolidays: z.boolean().optional(),
    workingDaysOnly: z.boolean().optional(),
    daysOfMonth: daysOfMonth.optional(),
    retryDaysOfMonth: daysOfMonth.optional(),
    mandatory: z.boolean().optional(),
  })
  .strict();

const ATTRIBUTE_LENGTH_HINT = 'must be an offset such as "2 years" or a length from the case such as { attribute: warrantyMonths, unit: months, otherwise: 12 months }';

/** A phase's end: an offset, or a length read from a numeric case attribute (P11's warranty in months). */
const attributeLength = z
  .object(
    {
      attribute: z.string().regex(/^[A-Za-z_][\w]*$/, 'must be an attribute name such as warrantyMonths'),
      unit: z.string().transform((u, ctx): OffsetUnit => {
        const unit = UNITS[u.trim()];
        if (!unit || unit === 'working_hours' || unit === 'working_days') {
          ctx.addIssue({ code: 'custom', message: `unit "${u}": use hours, days, months or years` });
          return z.NEVER;
        }
        return unit;
      }),
      otherwise: offset.optional(),
      atMost: offset.optional(),
    },
    { invalid_type_error: ATTRIBUTE_LENGTH_HINT },
  )
  .strict();
const phaseEndSchema = z.unknown().transform((value, ctx): RecurrenceEnd => {
  const parsed = typeof value === 'string' ? offset.safeParse(value) : attributeLength.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

/**
 * `repeat:` — phases of `every`/`until`, and optionally `until: milestone:<name>` on the recurrence
 * itself: it stops at that milestone (002 制度10「每周定期电话邀约，直到其来访」).
 */
const recurrence = z
  .object({
    phases: z.array(z.object({ every: offset, until: phaseEndSchema }).strict()).min(1),
    until: z
      .string()
      .regex(/^milestone:[A-Za-z_][\w]*$/, 'a recurrence ends at a milestone: until: milestone:<name> (e.g. milestone:visited)')
      .transform((m) => ({ kind: 'milestone' as const, name: m.slice('milestone:'.length) }))
      .optional(),
  })
  .strict();

function stepSchema(roles: ReadonlySet<string> | null) {
  const rule = ruleSchema(roles);
  return z
    .object({
      key: z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case')
        // `esc2_<id>` names the second follow-up after an escalation, which no pack plans (bot/core/policies/find-step.ts).
        .refine((k) => !/^esc2(_|$)/.test(k), 'the key "esc2" and keys starting with "esc2_" are reserved for second follow-ups after an escalation'),
      title: z.string().min(1),
      action: z.enum(['STAFF_TASK', 'CUSTOMER_SURVEY']),
      channel: z.enum(['wecom', 'sms', 'wechat']),
      anchor,
      when: condition.optional(),
      unless: condition.optional(),
      earliest: stepOffset,
      earliestAtLocalTime: localTime.optional(),
      deadline: stepOffset,
      deadlineAtLocalTime: localTime.optional(),
      assignee: z.array(z.union([rule, z.object({ when: condition, rules: z.array(rule).min(1) }).strict()])).optional(),
      excludeResponsible: z.boolean().optional(),
      maxAttempts: z.number().int().min(1).max(10),
      retryAfter: offset.optional(),
      instructions: z.string().min(1),
      surveyKey: z.string().optional(),
      channels: z
        .array(z.enum(['wechat', 'wecom_contact', 'sms'], { errorMap: () => ({ message: 'survey channels are wechat, wecom_contact and sms' }) }))
        .min(1)
        .refine((c) => new Set(c).size === c.length, 'lists a channel twice')
        .optional(),
      fallbackAfter: offset.optional(),
      bothChannels: z.boolean().optional(),
      repeat: recurrence.optional(),
      sampling: sampling.optional(),
      contact: contact.optional(),
    })
    .strict()
    .superRefine((s, ctx) => {
      if (s.action === 'CUSTOMER_SURVEY' && !s.surveyKey) ctx.addIssue({ code: 'custom', path: ['surveyKey'], message: 'required for CUSTOMER_SURVEY' });
      if (s.action === 'STAFF_TASK' && s.channel !== 'wecom') ctx.addIssue({ code: 'custom', path: ['channel'], message: 'staff tasks go to wecom' });
      if (s.action === 'STAFF_TASK' && (s.channels || s.fallbackAfter || s.bothChannels !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['channels'], message: 'channels, fallbackAfter and bothChannels are for CUSTOMER_SURVEY steps' });
      }
      s.repeat?.phases.forEach((p, i) => {
        const every = offsetInBaseUnit(p.every);
        if (every.amount <= 0) ctx.addIssue({ code: 'custom', path: ['repeat', 'phases', i, 'every'], message: 'must be more than zero' });
        if (!p.until || typeof p.until !== 'object' || (!isAttributeLength(p.until) && typeof p.until.amount !== 'number')) return; // already reported
        if (isAttributeLength(p.until)) {
          const fromCase = p.until;
          const bounds = [['unit', { amount: 1, unit: fromCase.unit }], ['otherwise', fromCase.otherwise], ['atMost', fromCase.atMost]] as const;
          for (const [field, bound] of bounds) {
            if (bound && offsetInBaseUnit(bound).family !== every.family) {
              ctx.addIssue({ code: 'custom', path: ['repeat', 'phases', i, 'until', field], message: '`every` and `until` must use the same kind of unit' });
            }
          }
          return;
        }
        const until = offsetInBaseUnit(p.until);
        if (every.family !== until.family) ctx.addIssue({ code: 'custom', path: ['repeat', 'phases', i], message: '`every` and `until` must use the same kind of unit' });
        const before = i > 0 ? s.repeat!.phases[i - 1]!.until : null;
        const previous = before && !isAttributeLength(before) ? offsetInBaseUnit(before) : null;
        if (previous && previous.family === until.family && until.amount <= previous.amount) {
          ctx.addIssue({ code: 'custom', path: ['repeat', 'phases', i, 'until'], message: 'phases must end later and later' });
        }
      });
      if (s.repeat && s.repeat.phases.some((p, i) => isAttributeLength(p.until) && i < s.repeat!.phases.length - 1)) {
        ctx.addIssue({ code: 'custom', path: ['repeat', 'phases'], message: 'only the last phase may take its length from the case' });
      }
    });
}

const REASONS = ['DISSATISFIED', 'COMPLAINT', 'UNREACHABLE', 'OVERDUE', 'REPEATED_COMPLAINT', 'MEDICAL_CONCERN'] as const;
const severityName = z.enum(['normal', 'high', 'critical']);

function escalationSchema(roles: ReadonlySet<string> | null) {
  const rule = ruleSchema(roles);
  return z
    .object({
      dissatisfiedTo: z.array(rule).min(1),
      deadline: offset,
      chain: z.array(rule).min(1).optional(),
      climbAfter: offset.optional(),
      dissatisfiedAtOrBelow: rate.optional(),
      complaintWords: z.array(z.string().min(1)).optional(),
      triggers: z.record(z.enum(REASONS), z.boolean()).optional(),
      severity: z.record(z.enum(REASONS), severityName).optional(),
      startLevel: z.record(severityName, z.number().int().min(1).max(10)).optional(),
      repeated: z
        .object({
          within: offset.optional(),
          sameSubject: z.number().int().min(2).optional(),
          sameRepair: z.number().int().min(2).optional(),
          subjectAttribute: z.string().min(1).optional(),
          repairCaseTypes: z.array(z.string()).optional(),
          complaintCaseTypes: z.array(z.string()).optional(),
        })
        .strict()
        .optional(),
      secondFollowUp: z.object({ after: offset.optional(), deadline: offset.optional(), assignee: z.array(rule).min(1).optional() }).strict().optional(),
    })
    .strict();
}

function policySchema(roles: ReadonlySet<string> | null) {
  return z
    .object({
      id: z.string().regex(/^[A-Z][A-Za-z0-9_-]*$/),
      name: z.string().min(1),
      source: z.string().min(1),
      caseTypes: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).min(1),
      sampling: sampling.optional(),
      contact: contact.optional(),
      oneOpenPerCase: z.boolean().optional(),
      customerContactCap: z.object({ max: z.number().int().min(1), per: offset }).strict().optional(),
      reminder: z
        .object({
          before: offset
            .refine((o) => o.unit === 'hours' || o.unit === 'days', 'a reminder is set in hours or days before the deadline')
            .optional(),
          enabled: z.boolean().optional(),
        })
        .strict()
        .optional(),
      steps: z.array(stepSchema(roles)).min(1),
      escalation: escalationSchema(roles),
    })
    .strict()
    .superRefine((p, ctx) => {
      const seen = new Set<string>();
      p.steps.forEach((s, i) => {
        if (seen.has(s.key)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'key'], message: `duplicate step key "${s.key}"` });
        if ((s.anchor.kind === 'step' || s.anchor.kind === 'completed') && !seen.has(s.anchor.key)) {
          ctx.addIssue({ code: 'custom', path: ['steps', i, 'anchor'], message: `anchors on step "${s.anchor.key}", which must come earlier in the pack` });
        }
        seen.add(s.key);
      });
    });
}

/** Parses and validates one policy pack; problems name the file, line and field (a `DataLoadError`). */
export function parsePolicyPack(text: string, file: string, roles: ReadonlySet<string> | null = null): PolicyDefinition {
  return readPolicyPack(new YamlSource(text, file), roles);
}

function readPolicyPack(source: YamlSource, roles: ReadonlySet<string> | null): PolicyDefinition {
  return source.validate(policySchema(roles), SUBJECT) as PolicyDefinition;
}

/**
 * Loads every `*.yaml` pack in a folder (not roles.yaml); all problems across files are reported together.
 * With `surveys`, every step's `surveyKey` must name a loaded survey definition.
 */
export function loadPolicyPacks(dir: string, options: { surveys?: Pick<SurveyDefinitionRegistry, 'get'> } = {}): PolicyDefinition[] {
  const roles = loadRoles(dir);
  const files = readdirSync(dir)
    .filter((f) => (f.endsWith('.yaml') || f.endsWith('.yml')) && f !== ROLES_FILE)
    .sort();
  const problems: DataProblem[] = [];
  const packs: { pack: PolicyDefinition; source: YamlSource }[] = [];
  for (const f of files) {
    const source = new YamlSource(readFileSync(join(dir, f), 'utf8'), displayPath(join(dir, f)));
    try {
      const pack = readPolicyPack(source, roles);
      packs.push({ pack, source });
      if (options.surveys) problems.push(...surveyKeyProblems(source, pack, options.surveys));
    } catch (err) {
      if (err instanceof DataLoadError) problems.push(...err.details);
      else throw err;
    }
  }
  const byType = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const { pack: p, source } of packs) {
    const other = ids.get(p.id);
    if (other) problems.push(source.problemAt(['id'], `policy id "${p.id}" is also used by ${other}`));
    ids.set(p.id, source.file);
    p.caseTypes.forEach((t, i) => {
      const claimed = byType.get(t);
      if (claimed) problems.push(source.problemAt(['caseTypes', i], `case type "${t}" is claimed by both ${claimed} and ${p.id}`));
      byType.set(t, p.id);
    });
  }
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);
  return packs.map((p) => p.pack);
}

/* ------------------------------------------------------------ survey keys */

/**
 * A step's `surveyKey` must name a survey definition (templates/surveys), and a customer survey step
 * must not name a staff phone script. Problems carry the file and the line of the key.
 */
function surveyKeyProblems(source: YamlSource, pack: PolicyDefinition, surveys: Pick<SurveyDefinitionRegistry, 'get'>): DataProblem[] {
  const problems: DataProblem[] = [];
  pack.steps.forEach((step, i) => {
    if (!step.surveyKey) return;
    const definition = surveys.get(step.surveyKey);
    const reason = !definition
      ? `unknown survey "${step.surveyKey}" (no templates/surveys/${step.surveyKey}.yaml)`
      : step.action === 'CUSTOMER_SURVEY' && definition.audience === 'staff'
        ? `survey "${step.surveyKey}" is a phone script for staff; a CUSTOMER_SURVEY step needs a customer survey`
        : null;
    if (reason) problems.push(source.problemAt(['steps', i, 'surveyKey'], reason));
  });
  return problems;
}
