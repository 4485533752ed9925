import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { OrgSnapshot } from '../core/model.js';
import { parseRoles } from '../core/model.js';
import { caseBody, listCaseBodyIssues } from '../cases/case-body.js';
import { loadPolicyPacks } from '../loaders/load-policies.js';
import { renderSimulation, simulateCase } from '../policies/simulate.js';
import { loadCalendar } from '../loaders/load-calendar.js';
import { EXAMPLE_DEPARTMENTS, EXAMPLE_STAFF } from '../example/example-organisation.js';
import { fromLocal } from '../core/time.js';

const USAGE = 'Usage: huifang simulate --policy ID --case FILE.json [--until YYYY-MM-DD] [--json] [--org example|database]';

/** The example organisation as an in-memory snapshot (no database needed). */
export function exampleOrgSnapshot(): OrgSnapshot {
  const staff = new Map(
    EXAMPLE_STAFF.map((s) => [
      `ex:${s.wecomUserId}`,
      { id: `ex:${s.wecomUserId}`, wecomUserId: s.wecomUserId, name: s.name, departmentId: `ex:${s.department}`, roles: parseRoles(s.roles), supervisorId: s.supervisor ? `ex:${s.supervisor}` : null, active: true },
    ]),
  );
  const departments = new Map(
    EXAMPLE_DEPARTMENTS.map((d) => [`ex:${d.code}`, { id: `ex:${d.code}`, code: d.code, name: d.name, parentId: d.parent ? `ex:${d.parent}` : null, headId: `ex:${d.head}` }]),
  );
  return { staff, departments };
}

/**
 * `huifang simulate`: prints the follow-ups a case would get under a policy — times, assignees,
 * channels and sampling — without writing anything. Exit codes: 0 ok, 2 bad arguments or case file.
 */
export async function runSimulateCommand(args: string[], env: { rootDir: string; timeZone: string; loadDatabaseOrg?: () => Promise<OrgSnapshot> }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { policy: { type: 'string' }, case: { type: 'string' }, until: { type: 'string' }, json: { type: 'boolean', default: false }, org: { type: 'string', default: 'example' } },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.policy || !values.case) {
    console.error(USAGE);
    return 2;
  }
  if (values.org !== 'example' && values.org !== 'database') {
    console.error(`--org must be example or database\n${USAGE}`);
    return 2;
  }
  const packs = loadPolicyPacks(join(env.rootDir, 'templates/policies'));
  const policy = packs.find((p) => p.id === values.policy);
  if (!policy) {
    console.error(`No policy pack with id "${values.policy}". Known: ${packs.map((p) => p.id).join(', ')}`);
    return 2;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(values.case, 'utf8'));
  } catch (err) {
    console.error(`Cannot read ${values.case}: ${(err as Error).message}`);
    return 2;
  }
  const parsed = caseBody.safeParse(raw);
  if (!parsed.success) {
    console.error(`${values.case} is not a valid case (same body as POST /api/v1/cases):`);
    for (const i of listCaseBodyIssues(parsed.error.issues)) console.error(`  ${i.field}: ${i.message}`);
    return 2;
  }
  if (!policy.caseTypes.includes(parsed.data.type)) {
    console.error(`Policy ${policy.id} handles case types ${policy.caseTypes.join(', ')}, not "${parsed.data.type}"`);
    return 2;
  }
  let until: Date | undefined;
  if (values.until) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.until);
    if (!m) {
      console.error(`--until must be a date YYYY-MM-DD\n${USAGE}`);
      return 2;
    }
    until = fromLocal({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 23, minute: 59, second: 59 }, env.timeZone);
  }
  const assumptions = new Set<number>();
  const { calendar } = loadCalendar({ beyondCoverage: 'assume_weekends', onAssumption: (y) => assumptions.add(y) });
  const org = values.org === 'database' && env.loadDatabaseOrg ? await env.loadDatabaseOrg() : exampleOrgSnapshot();
  const result = simulateCase({ policy, body: parsed.data, org, calendar, timeZone: env.timeZone, until, calendarAssumptions: () => [...assumptions].sort() });
  console.log(values.json ? JSON.stringify(result, null, 2) : renderSimulation(result));
  return 0;
}
