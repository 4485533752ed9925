import type { CaseFacts } from '../model.js';
import type { SamplingRule, StepCondition } from './types.js';

/** A sampling decision with its reason, stored on every follow-up. */
export interface SamplingDecision {
  kept: boolean;
  reason: string;
  rate: number;
  /** The case's deterministic draw in [0,1), when a rate below 100 % applied. */
  draw?: number;
}

/** Inputs sampling may need besides the case. */
export interface SamplingContext {
  /** Cases of this policy in the calendar month before the case's month; null when unknown. */
  previousMonthPopulation?: number | null;
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
    const population = ctx.previousMonthPopulation;
    const tiers = [...rule.tiers].sort((a, b) => b.above - a.above);
    if (population === null || population === undefined) {
      // No complete previous month yet: the most cautious (highest) rate.
      rate = Math.max(...tiers.map((t) => t.rate));
      basis = 'no previous-month population yet, highest tier rate';
    } else {
      const tier = tiers.find((t) => population > t.above) ?? tiers[tiers.length - 1]!;
      rate = tier.rate;
      basis = `previous month's population ${population} > ${tier.above}`;
    }
  } else {
    rate = rule.rate ?? 1;
    basis = 'fixed rate';
  }
  if (rate >= 1) return { kept: true, reason: `${basis}: 100 %`, rate: 1 };
  const draw = stableDraw(`${rule.salt ?? policyId}|${facts.type}|${facts.externalId}`);
  const kept = draw < rate;
  return { kept, reason: `${basis}: sampled at ${formatPercent(rate)} (draw ${draw.toFixed(4)} ${kept ? '<' : '≥'} ${rate})`, rate, draw };
}

export function conditionMatches(condition: StepCondition, attributes: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(condition).every(([key, values]) => values.some((v) => attributes[key] === v));
}

function describeCondition(condition: StepCondition): string {
  return Object.entries(condition)
    .map(([k, v]) => `${k} ∈ {${v.join(', ')}}`)
    .join(' and ');
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
