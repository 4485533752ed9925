import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { OrgSnapshot } from '../core/model.js';
import { caseBody, listCaseBodyIssues } from '../cases/case-body.js';
import { loadPolicyPacks } from '../loaders/load-policies.js';
import { renderSimulation, simulateCase } from '../policies/simulate.js';
import { exampleOrgSnapshot } from '../example/example-organisation.js';
import { fromLocal } from '../core/time.js';
import { loadConfig, type Config } from '../config.js';
import { ROOT_DIR } from '../loaders/display-path.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { loadCommandCalendar } from './load-command-calendar.js';
import { readCommandCalendarEntries } from './read-command-calendar-entries.js';
import type { CalendarEntryRecord } from '../core/ports/console-admin.js';
import { systemClock } from '../clocks.js';

const USAGE = 'Usage: huifang simulate --policy ID --case FILE.json [--until YYYY-MM-DD] [--json] [--org example|database]';

/**
 * `huifang simulate`: prints the follow-ups a case would get under a policy — times, assignees,
 * channels and sampling — without writing anything. The organisation is the example one, or with
 * `--org database` the configured database's. Exit codes: 0 ok, 2 bad arguments or case file.
 */
export async function runSimulateCommand(
  args: string[],
  output: CommandOutput = consoleOutput,
  deps: { /** The calendar days kept in the database [the configured database's]. */ readEntries?: (config: Config, output: CommandOutput) => Promise<readonly CalendarEntryRecord[]> } = {},
): Promise<number> {
  const config = loadConfig();
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { policy: { type: 'string' }, case: { type: 'string' }, until: { type: 'string' }, json: { type: 'boolean', default: false }, org: { type: 'string', default: 'example' } },
    }));
  } catch (err) {
    output.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.policy || !values.case) {
    output.err(USAGE);
    return 2;
  }
  if (values.org !== 'example' && values.org !== 'database') {
    output.err(`--org must be example or database\n${USAGE}`);
    return 2;
  }
  const packs = loadPolicyPacks(join(ROOT_DIR, 'templates/policies'));
  const policy = packs.find((p) => p.id === values.policy);
  if (!policy) {
    output.err(`No policy pack with id "${values.policy}". Known: ${packs.map((p) => p.id).join(', ')}`);
    return 2;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(values.case, 'utf8'));
  } catch (err) {
    output.err(`Cannot read ${values.case}: ${(err as Error).message}`);
    return 2;
  }
  const parsed = caseBody.safeParse(raw);
  if (!parsed.success) {
    output.err(`${values.case} is not a valid case (same body as POST /api/v1/cases):`);
    for (const i of listCaseBodyIssues(parsed.error.issues)) output.err(`  ${i.field}: ${i.message}`);
    return 2;
  }
  if (!policy.caseTypes.includes(parsed.data.type)) {
    output.err(`Policy ${policy.id} handles case types ${policy.caseTypes.join(', ')}, not "${parsed.data.type}"`);
    return 2;
  }
  let until: Date | undefined;
  if (values.until) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.until);
    if (!m) {
      output.err(`--until must be a date YYYY-MM-DD\n${USAGE}`);
      return 2;
    }
    until = fromLocal({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 23, minute: 59, second: 59 }, config.timezone);
  }
  const assumptions = new Set<number>();
  // Always answers beyond the holiday data (by weekends), and says which years it assumed.
  // The days entered in the console or imported count as they do for the service.
  const entries = await (deps.readEntries ?? readCommandCalendarEntries)(config, output);
  const calendar = loadCommandCalendar(config, output, { now: systemClock.now(), beyondCoverage: 'assume_weekends', onAssumption: (y) => assumptions.add(y), entries });
  const org = values.org === 'database' ? await loadDatabaseOrg(config) : exampleOrgSnapshot();
  const result = simulateCase({ policy, body: parsed.data, org, calendar, timeZone: config.timezone, until, calendarAssumptions: () => [...assumptions].sort() });
  output.out(values.json ? JSON.stringify(result, null, 2) : renderSimulation(result));
  return 0;
}

/** The configured database's staff and departments (read only; the database is not migrated). */
async function loadDatabaseOrg(config: Config): Promise<OrgSnapshot> {
  const [{ createPrismaClient }, { readOrgSnapshot }] = await Promise.all([import('../db/client.js'), import('../db/org-store.js')]);
  const db = createPrismaClient(config.database.url);
  try {
    return await readOrgSnapshot(db);
  } finally {
    await db.close();
  }
}
