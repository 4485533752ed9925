import type { PolicyDefinition } from './types.js';
import { ANY_OF } from './sampling.js';

/** An attribute that keeps every step of a policy from applying to a case. */
export interface UnmatchedAttribute {
  attribute: string;
  /** The case's value; undefined when the case lacks the attribute. */
  value: unknown;
  /** The values the steps' `when` conditions list for it. */
  known: (string | number | boolean)[];
}

/**
 * Why no step of a policy applies to a case: the attributes the steps' `when` conditions list values
 * for whose value on the case is none of them — values the case has first (a diagnosis not in 002
 * 制度21's table), else the ones it lacks. The case type is not among them (the pack's `caseTypes`
 * already admitted it). Empty when every listed value matches (the `unless` conditions excluded it).
 */
export function findUnmatchedAttributes(policy: PolicyDefinition, attributes: Readonly<Record<string, unknown>>): UnmatchedAttribute[] {
  const named = new Map<string, Set<string | number | boolean>>();
  for (const step of policy.steps) {
    for (const [attribute, test] of Object.entries(step.when ?? {})) {
      if (attribute === ANY_OF || attribute === 'caseType' || !Array.isArray(test)) continue;
      const values = named.get(attribute) ?? new Set();
      for (const v of test as readonly (string | number | boolean)[]) values.add(v);
      named.set(attribute, values);
    }
  }
  const unnamed: UnmatchedAttribute[] = [];
  const missing: UnmatchedAttribute[] = [];
  for (const [attribute, values] of named) {
    const value = attributes[attribute];
    if (value !== undefined && values.has(value as string)) continue;
    (value === undefined ? missing : unnamed).push({ attribute, value, known: [...values] });
  }
  return unnamed.length > 0 ? unnamed : missing;
}
