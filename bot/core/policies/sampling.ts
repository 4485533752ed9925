import type { CaseFacts } from '../model.js';
import type { AttributeTest, NumericTest, SamplingQuota, SamplingRule, StepCondition } from './types.js';
import { addLocalDays, formatLocalDate, toLocal } from '../time.js';

/** A sampling decision with its reason, stored on every follow-up. */
export interface SamplingDecision {
  kept: boolean;
  reason: string;
  rate: number;
  /** The case's deterministic draw in [0,1), when a rate below 100 % applied. */
  draw?: number;
  /** The sampling quota this follow-up counts against, when its rule has one (bot/core/policies/sampling-quota.ts). */
  quota?: QuotaMark;
}

/** Inputs sampling may need besides the case. */
export interface SamplingContext {
  /** Cases of this policy in the calendar month before the case's month; null when unknown. */
  previousMonthPopulation?: number | null;
  /**
   * The case's place among its own month's cases of this policy, in order of arrival (itself included):
   * the population so far that `population: current month` tiers count; null when unknown.
   */
  currentMonthPopulation?: number | null;
}

/**
 * Decides whether a case is followed up. Deterministic: the draw is a hash of (salt, case type,
 * external id) — not of the database id — so re-posting or re-planning the same case gives the same
 * decision. Mandatory categories are always kept.
 */
export function decideSampling(rule: SamplingRule | undefined, policyId: string, facts: Pick<CaseFacts, 'type' | 'externalId' | 'attributes'>, ctx: SamplingContext = {}): SamplingDecision {
  if (!rule) return { kept: true, reason: 'every case is followed up (100 %)', rate: 1 };
  const conditionFacts = { ...facts.attributes, caseType: facts.type };
  for (const condition of rule.mandatory ?? []) {
    if (conditionMatches(condition, conditionFacts)) {
      return { kept: true, reason: `mandatory category (${describeCondition(condition)}): 100 %`, rate: 1 };
    }
  }
  let rate: number;
  let basis: string;
  if (rule.strata) {
    const value = facts.attributes[rule.strata.attribute];
    const stratum = typeof value === 'string' ? rule.strata.rates[value] : undefined;
    rate = stratum ?? rule.strata.otherwise;
    basis = stratum !== undefined ? `${rule.strata.attribute}=${String(value)}` : `${rule.strata.attribute} not listed`;
  } else if (rule.tiers) {
    const current = rule.population === 'current month';
    const population = current ? ctx.currentMonthPopulation : ctx.previousMonthPopulation;
    const tiers = [...rule.tiers].sort((a, b) => b.above - a.above);
    if (population === null || population === undefined) {
      // No population known yet (no complete previous month; a simulation): the most cautious (highest) rate.
      rate = Math.max(...tiers.map((t) => t.rate));
      basis = current ? 'no current-month population known, highest tier rate' : 'no previous-month population yet, highest tier rate';
    } else {
      const tier = tiers.find((t) => population > t.above) ?? tiers[tiers.length - 1]!;
      rate = tier.rate;
      basis = current ? `current month's population so far ${population} > ${tier.above}` : `previous month's population ${population} > ${tier.above}`;
    }
  } else {
    rate = rule.rate ?? 1;
    basis = rule.quota && rule.rate === undefined ? 'quota' : 'fixed rate';
  }
  if (rate >= 1) return { kept: true, reason: `${basis}: 100 %`, rate: 1 };
  const draw = stableDraw(`${rule.salt ?? policyId}|${facts.type}|${facts.externalId}`);
  const kept = draw < rate;
  return { kept, reason: `${basis}: sampled at ${formatPercent(rate)} (draw ${draw.toFixed(4)} ${kept ? '<' : '≥'} ${rate})`, rate, draw };
}

/**
 * Whether case attributes satisfy a condition: every attribute test holds and, with `anyOf`, at
 * least one of the alternatives. Values compare with `===`; a numeric test needs a finite number.
 */
export function conditionMatches(condition: StepCondition, attributes: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(condition).every(([key, test]) =>
    key === ANY_OF
      ? (test as readonly StepCondition[]).some((alternative) => conditionMatches(alternative, attributes))
      : attributeMatches(test as AttributeTest, attributes[key]),
  );
}

/** The key of a condition that lists alternatives rather than naming an attribute. */
export const ANY_OF = 'anyOf';

function attributeMatches(test: AttributeTest, value: unknown): boolean {
  if (isValueList(test)) return test.some((v) => value === v);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  return (
    (test.lt === undefined || value < test.lt) &&
    (test.lte === undefined || value <= test.lte) &&
    (test.gt === undefined || value > test.gt) &&
    (test.gte === undefined || value >= test.gte)
  );
}

function isValueList(test: AttributeTest): test is readonly (string | number | boolean)[] {
  return Array.isArray(test);
}

/** A condition as text for sampling reasons: `category ∈ {complaint, media} and age < 10`, alternatives in parentheses. */
export function describeCondition(condition: StepCondition): string {
  return Object.entries(condition)
    .map(([k, test]) =>
      k === ANY_OF
        ? `(${(test as readonly StepCondition[]).map(describeCondition).join(' or ')})`
        : isValueList(test as AttributeTest)
          ? `${k} ∈ {${(test as readonly unknown[]).join(', ')}}`
          : describeNumericTest(k, test as NumericTest),
    )
    .join(' and ');
}

function describeNumericTest(attribute: string, test: NumericTest): string {
  const parts: string[] = [];
  if (test.gt !== undefined) parts.push(`> ${test.gt}`);
  if (test.gte !== undefined) parts.push(`≥ ${test.gte}`);
  if (test.lt !== undefined) parts.push(`< ${test.lt}`);
  if (test.lte !== undefined) parts.push(`≤ ${test.lte}`);
  return parts.map((p) => `${attribute} ${p}`).join(' and ');
}

function formatPercent(rate: number): string {
  return `${Math.round(rate * 1000) / 10} %`;
}

/** A uniform draw in [0,1) from a string (cyrb53 hash, 53 bits). */
export function stableDraw(key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash / 2 ** 53;
}

/**
 * Sampling by quota (002 制度12「每周将安排2~3次对客户的电话回访…随机抽查」: `quota: { max: 3, per: week }`).
 *
 * Planning marks each follow-up a quota applies to with the quota's key — pack, step, scope (`*`, the
 * case's department or the assignee) and period (the Monday of its week, or its month, by the follow-up's
 * earliest time in the organisation's timezone). Before the follow-ups are stored, {@link claimQuotaSlots}
 * counts the places already held under that key in the database and gives the follow-up the next one
 * (`<key>#<n>`), or — the quota being full — stores it SKIPPED with the reason. Places are a unique column,
 * so two replicas planning at once cannot both take the last one: the one that loses plans again and
 * finds the quota full. Deterministic: the same cases arriving in the same order get the same places;
 * mandatory categories never take a place and are always kept.
 */
export interface QuotaMark {
  key: string;
  max: number;
  /** The period and scope in words, for the reason: `week from 2026-03-09, all`. */
  label: string;
}

/** The quota key of a follow-up: `<policy>|<step>|<scope>|<period>`. */
export function quotaMark(
  quota: SamplingQuota,
  input: { policyId: string; step: string; departmentId: string | null; assigneeId: string | null; earliestAt: Date; timeZone: string },
): QuotaMark {
  const l = toLocal(input.earliestAt, input.timeZone);
  // Weeks start on Monday (周一); a month is the calendar month.
  const weekday = new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay();
  const period =
    quota.per === 'week'
      ? formatLocalDate(addLocalDays(input.earliestAt, -((weekday + 6) % 7), input.timeZone), input.timeZone)
      : `${l.year}-${String(l.month).padStart(2, '0')}`;
  const scope = quota.by === 'all' ? '*' : quota.by === 'department' ? (input.departmentId ?? '-') : (input.assigneeId ?? '-');
  const scopeWords = quota.by === 'all' ? 'all' : `${quota.by} ${scope}`;
  return {
    key: `${input.policyId}|${input.step}|${scope}|${period}`,
    max: quota.max,
    label: `${quota.per === 'week' ? 'week from' : 'month'} ${period}, ${scopeWords}`,
  };
}
