import { parseArgs } from 'node:util';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';
import { runWecomContactMatch } from '../contacts/run-wecom-contacts.js';
import { WecomContactAccessError } from '../staff/sync-wecom-contacts.js';
import { ChannelError } from '../core/errors.js';

export const WECOM_CONTACTS_USAGE = 'Usage: huifang wecom-contacts match [--dry-run] [--json]';

/**
 * `huifang wecom-contacts match [--dry-run]`: matches customers to the WeCom external contacts of the
 * members with 客户联系 (docs/protocols/wecom.md §12.4) and reports, per customer, what was matched and
 * what was not. Returns the exit code: 0 done, 1 WeCom refused (the message says what to fix), 2 usage error.
 */
export async function runWecomContactsCommand(argv: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  } catch (err) {
    output.err(`${(err as Error).message}\n${WECOM_CONTACTS_USAGE}`);
    return 2;
  }
  if (parsed.positionals[0] !== 'match' || parsed.positionals.length !== 1) {
    output.err(WECOM_CONTACTS_USAGE);
    return 2;
  }
  const dryRun = parsed.values['dry-run'] ?? false;
  try {
    const report = await withApp((app) => runWecomContactMatch(app, { dryRun }));
    if (parsed.values.json) {
      output.out(JSON.stringify(report, null, 2));
      return 0;
    }
    for (const line of report.lines) {
      if (line.outcome === 'UNMATCHED' && !line.changed) continue;
      output.out(`  ${line.customerId}  ${line.phone ?? '(no phone)'}  ${line.outcome}${line.followUserId ? ` → ${line.followUserId}` : ''}${line.changed ? (dryRun ? '  (would change)' : '  (changed)') : ''}`);
    }
    const o = report.byOutcome;
    output.out(
      `${dryRun ? 'Dry run — would match' : 'Matched'} ${report.customers} customers against ${report.contacts} external contacts: ` +
        `${o.MATCHED_BY_MOBILE} by phone, ${o.MATCHED_BY_NAME} by name, ${o.KEPT} kept, ${o.CLEARED} cleared, ${o.AMBIGUOUS} ambiguous, ${o.UNMATCHED} not matched; ` +
        `${report.changed} ${dryRun ? 'would change' : 'changed'}; ${report.contactsWithoutCustomer} external contacts match no customer`,
    );
    return 0;
  } catch (err) {
    if (err instanceof WecomContactAccessError) {
      output.err(err.message);
      return 1;
    }
    if (err instanceof ChannelError && err.kind === 'auth') {
      output.err(`WeCom refused the customer-contact APIs (${err.providerCode}): ${err.message}. The application must be in 客户联系 → 可调用应用 (README, WeCom).`);
      return 1;
    }
    throw err;
  }
}
