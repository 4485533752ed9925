import { parseArgs } from 'node:util';
import { EXAMPLE_CUSTOMERS, EXAMPLE_DEPARTMENTS, seedExampleOrganisation } from '../example/example-organisation.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp } from './with-app.js';

const USAGE = 'Usage: huifang seed-example [--json]';

/**
 * `huifang seed-example [--json]`: adds the example hospital ward and property office (departments,
 * staff, customers) to the configured database, migrated first. Idempotent. Exit codes: 0 done,
 * 2 bad arguments.
 */
export async function runSeedExampleCommand(args: string[], output: CommandOutput = consoleOutput): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } }));
  } catch (err) {
    output.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  return withApp(async (app) => {
    const staff = await seedExampleOrganisation(app.directory, () => app.deps.ids.next());
    const counts = { departments: EXAMPLE_DEPARTMENTS.length, staff: staff.size, customers: EXAMPLE_CUSTOMERS.length };
    output.out(
      values.json
        ? JSON.stringify(counts)
        : `Example organisation ready: ${counts.departments} departments (${EXAMPLE_DEPARTMENTS.map((d) => d.name).join('、')}), ${counts.staff} staff, ${counts.customers} customers.`,
    );
    return 0;
  }, { output });
}
