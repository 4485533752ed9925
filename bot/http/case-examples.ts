import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** An example body of `POST /api/v1/cases`, from a policy pack's examples folder. */
export interface CaseExample {
  /** The file name without `.json`, e.g. `P4-discharge`. */
  name: string;
  value: Record<string, unknown>;
}

/**
 * The example cases in `dir` (templates/policies/examples: one or more per policy pack, the same
 * JSON the API takes), in name order. They are shown as they are; whether they are valid is what
 * test/e2e/openapi.test.ts checks against the published document.
 */
export function loadCaseExamples(dir: string): CaseExample[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((f) => ({ name: basename(f, '.json'), value: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown> }));
}
