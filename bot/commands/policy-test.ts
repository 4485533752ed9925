import { join } from 'node:path';
import type { OrgSnapshot } from '../core/model.js';
import { loadConfig, type Config } from '../config.js';
import { ROOT_DIR } from '../loaders/display-path.js';
import { loadPolicyPacks } from '../loaders/load-policies.js';
import { loadPolicyScenarios } from '../loaders/load-policy-scenarios.js';
import { exampleOrgSnapshot } from '../example/example-organisation.js';
import { renderScenarioReports, runPolicyScenarios, scenarioOrgSnapshot } from '../policies/run-policy-scenarios.js';
import { systemClock } from '../clocks.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { loadCommandCalendar } from './load-command-calendar.js';

/** Where the data lives [the repository's templates/policies]. */
export interface PolicyTestDirs {
  policies: string;
  scenarios: string;
  examples: string;
}

const DEFAULT_DIRS: PolicyTestDirs = {
  policies: join(ROOT_DIR, 'templates/policies'),
  scenarios: join(ROOT_DIR, 'templates/policies/scenarios'),
  examples: join(ROOT_DIR, 'templates/policies/examples'),
};

/**
 * `huifang policy test [--policy ID] [--json] [--org scenarios|example|database]`: runs the scenarios of
 * templates/policies/scenarios/<ID>.yaml (all packs, or one) through the planning of `huifang simulate`
 * — the shipped calendar, no database — and prints per scenario what differs. The organisation is
 * scenarios/organisation.yaml when present (else the example organisation); `--org database` plans
 * against the configured database's staff. Exit codes: 0 every scenario passes, 1 a scenario differs,
 * 2 bad arguments or no scenarios for the policy asked for; invalid scenario files stop with 78.
 */
export async function runPolicyTestCommand(
  options: { policy?: string; json: boolean; org?: string },
  output: CommandOutput = consoleOutput,
  dirs: PolicyTestDirs = DEFAULT_DIRS,
): Promise<number> {
  const config = loadConfig();
  const orgKind = options.org ?? 'scenarios';
  if (orgKind !== 'scenarios' && orgKind !== 'example' && orgKind !== 'database') {
    output.err('--org must be scenarios, example or database\nUsage: huifang policy test [--policy ID] [--json] [--org scenarios|example|database]');
    return 2;
  }
  const packs = loadPolicyPacks(dirs.policies);
  const { files, organisation } = loadPolicyScenarios(dirs.scenarios);
  const selected = options.policy ? files.filter((f) => f.policy === options.policy) : files;
  if (options.policy && selected.length === 0) {
    output.err(`没有 ${options.policy} 的场景 — no scenarios for policy "${options.policy}" in ${dirs.scenarios} (known: ${files.map((f) => f.policy).join(', ') || 'none'})`);
    return 2;
  }
  // The shipped calendar only: a scenario gives the same answer on every machine and database.
  const calendar = loadCommandCalendar(config, output, { now: systemClock.now(), beyondCoverage: 'assume_weekends' });
  const org: OrgSnapshot =
    orgKind === 'database' ? await loadDatabaseOrg(config) : orgKind === 'scenarios' && organisation ? scenarioOrgSnapshot(organisation) : exampleOrgSnapshot();
  const reports = selected.map((f) =>
    runPolicyScenarios(
      f,
      packs.find((p) => p.id === f.policy) ?? null,
      { org, calendar, timeZone: config.timezone, examplesDir: dirs.examples },
    ),
  );
  const failed = reports.flatMap((r) => r.scenarios).filter((s) => !s.passed).length;
  if (options.json) {
    const passed = reports.flatMap((r) => r.scenarios).length - failed;
    output.out(JSON.stringify({ passed, failed, policies: reports }, null, 2));
  } else {
    output.out(renderScenarioReports(reports));
  }
  return failed === 0 ? 0 : 1;
}

/** The configured database's staff and departments (read only). */
async function loadDatabaseOrg(config: Config): Promise<OrgSnapshot> {
  const [{ createPrismaClient }, { readOrgSnapshot }] = await Promise.all([import('../db/client.js'), import('../db/org-store.js')]);
  const db = createPrismaClient(config.database.url);
  try {
    return await readOrgSnapshot(db);
  } finally {
    await db.close();
  }
}
