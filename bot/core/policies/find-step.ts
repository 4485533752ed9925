import type { PolicyDefinition, PolicyStep } from './types.js';

/**
 * The policy step a follow-up belongs to: its step key exactly, or `<key>_<n>` for occurrence n of
 * a recurring step. Exact keys win, so `phone_serious` never resolves to a recurring `phone`.
 */
export function findStep(policy: PolicyDefinition | undefined, followUpStep: string): PolicyStep | undefined {
  if (!policy) return undefined;
  const exact = policy.steps.find((s) => s.key === followUpStep);
  if (exact) return exact;
  const m = /^(.*)_(\d+)$/.exec(followUpStep);
  return m ? policy.steps.find((s) => s.key === m[1] && s.repeat !== undefined) : undefined;
}
