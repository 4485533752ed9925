/**
 * Pack scenarios (templates/policies/scenarios/<ID>.yaml): cases written by an organisation from its
 * own 回访制度, each with the follow-ups the pack must plan for it. `huifang policy test` runs them
 * through the same planning as `huifang simulate` (bot/policies/run-policy-scenarios.ts). Format:
 * templates/policies/README.md "场景 Scenarios".
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DataLoadError, type DataProblem } from './data-load-error.js';
import { displayPath } from './display-path.js';
import { YamlSource } from './yaml-source.js';

const SUBJECT = 'policy scenario file(s)';
/** The shared organisation scenarios are planned against (instead of the example organisation). */
export const SCENARIO_ORGANISATION_FILE = 'organisation.yaml';

const instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$/,
    'must be a time "YYYY-MM-DD HH:MM" (local, in the organisation\'s timezone) or ISO 8601 with its offset',
  );
/** One time, or a range both ends included. */
const timeExpectation = z.union([instant, z.object({ from: instant, to: instant }).strict()]);

const expectedFollowUp = z
  .object({
    step: z.string().min(1),
    earliest: timeExpectation.optional(),
    due: timeExpectation.optional(),
    deadline: timeExpectation.optional(),
    /** The assignee rule (`responsible`, `role:nurse` …) or the assignee's WeCom user id; `none` for no one. */
    assignee: z.string().min(1).optional(),
    /** Whether sampling keeps the follow-up. */
    sampled: z.boolean().optional(),
    action: z.enum(['STAFF_TASK', 'CUSTOMER_SURVEY']).optional(),
  })
  .strict();

const scenario = z
  .object({
    name: z.string().min(1),
    /** The seed clause the scenario checks, quoted. */
    clause: z.string().min(1).optional(),
    /** An example of templates/policies/examples (without .json) the case starts from. */
    example: z.string().min(1).optional(),
    /** The case body (POST /api/v1/cases); with `example`, fields that replace the example's (attributes and milestones are merged). */
    case: z.record(z.unknown()).optional(),
    /** Only follow-ups due by this date, as `simulate --until`. */
    until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').optional(),
    /**
     * The number of the pack's cases sampling tiers count: the previous month's, or — `population:
     * current month` — this case's place in its month (itself included). Unknown by default: the highest rate.
     */
    population: z.number().int().min(1).optional(),
    expect: z
      .object({
        followUps: z.array(expectedFollowUp).optional(),
        /** Every follow-up planned is listed in `followUps` [true]; false allows others. */
        exact: z.boolean().optional(),
        /** Steps that wait for a milestone (keys). */
        waiting: z.array(z.string().min(1)).optional(),
        /** No step of the pack applies to the case. */
        noStepApplies: z.boolean().optional(),
      })
      .strict(),
  })
  .strict()
  .refine((s) => s.example !== undefined || s.case !== undefined, { message: 'give the case (`case:`) or an example to start from (`example:`)' });

const scenarioFile = z
  .object({
    policy: z.string().regex(/^[A-Z][A-Za-z0-9_-]*$/, 'must be a policy id such as P4'),
    scenarios: z.array(scenario).min(1),
  })
  .strict();

export type TimeExpectation = z.infer<typeof timeExpectation>;
export type ExpectedFollowUp = z.infer<typeof expectedFollowUp>;
export type PolicyScenario = z.infer<typeof scenario> & { /** Line of the scenario in its file. */ line: number | null };

/** One scenario file: the pack it tests and its scenarios. */
export interface PolicyScenarioFile {
  file: string;
  policy: string;
  scenarios: PolicyScenario[];
}

/** A department and staff of the scenario organisation. */
const organisation = z
  .object({
    departments: z.array(z.object({ code: z.string().min(1), name: z.string().min(1), parent: z.string().nullable().optional(), head: z.string().nullable().optional() }).strict()),
    staff: z.array(
      z
        .object({
          wecomUserId: z.string().min(1),
          name: z.string().min(1),
          department: z.string().min(1),
          roles: z.array(z.string().min(1)).default([]),
          supervisor: z.string().nullable().optional(),
          active: z.boolean().optional(),
        })
        .strict(),
    ),
  })
  .strict();

export type ScenarioOrganisation = z.infer<typeof organisation>;

/**
 * Every scenario file of `dir` (`*.yaml` except organisation.yaml), sorted by file name, and the shared
 * organisation when the directory has one. A missing directory has no scenarios. Invalid files stop the
 * load with every problem (a `DataLoadError`, file, line and reason).
 */
export function loadPolicyScenarios(dir: string): { files: PolicyScenarioFile[]; organisation: ScenarioOrganisation | null } {
  if (!existsSync(dir)) return { files: [], organisation: null };
  const problems: DataProblem[] = [];
  const files: PolicyScenarioFile[] = [];
  let org: ScenarioOrganisation | null = null;
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const name of names) {
    const source = new YamlSource(readFileSync(join(dir, name), 'utf8'), displayPath(join(dir, name)));
    try {
      if (name === SCENARIO_ORGANISATION_FILE) {
        org = source.validate(organisation, SUBJECT) as ScenarioOrganisation;
        continue;
      }
      const data = source.validate(scenarioFile, SUBJECT) as z.infer<typeof scenarioFile>;
      files.push({ file: source.file, policy: data.policy, scenarios: data.scenarios.map((s, i) => ({ ...s, line: source.lineAt(['scenarios', i]) })) });
    } catch (err) {
      if (err instanceof DataLoadError) problems.push(...err.details);
      else throw err;
    }
  }
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);
  return { files, organisation: org };
}
