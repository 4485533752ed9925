import { parseArgs } from 'node:util';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';
import { runWecomContactSync } from '../staff/run-wecom-contact-sync.js';
import { WecomContactAccessError } from '../staff/sync-wecom-contacts.js';

export const STAFF_USAGE = 'Usage: huifang staff sync-wecom [--dry-run] [--json]';

/**
 * `huifang staff sync-wecom [--dry-run]`: mirrors the WeCom contact list into departments and staff.
 * Returns the exit code: 0 done, 1 WeCom refused (the message names the setting), 2 usage error.
 */
export async function runStaffCommand(argv: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  } catch (err) {
    output.err(`${(err as Error).message}\n${STAFF_USAGE}`);
    return 2;
  }
  if (parsed.positionals[0] !== 'sync-wecom' || parsed.positionals.length !== 1) {
    output.err(STAFF_USAGE);
    return 2;
  }
  const dryRun = parsed.values['dry-run'] ?? false;
  try {
    const summary = await withApp((app) => runWecomContactSync(app, { dryRun }));
    if (parsed.values.json) output.out(JSON.stringify(summary, null, 2));
    else {
      for (const notice of summary.notices) output.err(`  notice: ${notice}`);
      output.out(
        `${dryRun ? 'Dry run — would sync' : 'Synced'} ${summary.membersSeen} members in ${summary.departmentsSeen} departments from WeCom (${summary.listing}): ` +
          `${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.deactivated} deactivated; ` +
          `departments ${summary.departmentsCreated} created, ${summary.departmentsUpdated} updated` +
          (summary.keptImported ? `; ${summary.keptImported} members from a CSV import left as they are` : ''),
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof WecomContactAccessError) {
      output.err(err.message);
      return 1;
    }
    throw err;
  }
}
