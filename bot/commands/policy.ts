import { parseArgs } from 'node:util';
import { replanPolicy } from '../core/cases/replan-policy.js';
import { formatLocalDateTime } from '../core/time.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';
import { runPolicyTestCommand } from './policy-test.js';

const USAGE = 'Usage: huifang policy replan --policy ID [--apply] [--json]\n       huifang policy test [--policy ID] [--json] [--org scenarios|example|database]';

/**
 * `huifang policy test [--policy ID] [--json]` runs the packs' scenarios (bot/commands/policy-test.ts).
 * `huifang policy replan --policy ID [--apply] [--json]`: after a policy pack changed, shows (dry run)
 * what happens to the follow-ups already scheduled under it — added, moved, cancelled — and with
 * `--apply` does it. Pushed or answered follow-ups are never touched. Exit codes: 0 done, 2 bad
 * arguments or unknown policy.
 */
export async function runPolicyCommand(args: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { policy: { type: 'string' }, apply: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, org: { type: 'string' } },
    });
  } catch (err) {
    output.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals[0] === 'test') return runPolicyTestCommand({ policy: values.policy, json: values.json ?? false, org: values.org }, output);
  if (positionals[0] !== 'replan' || !values.policy) {
    output.err(USAGE);
    return 2;
  }
  const policyId = values.policy;
  return withApp(async (app) => {
    if (!app.deps.policies.byId(policyId)) {
      output.err(`No policy pack with id "${policyId}". Known: ${app.deps.policies.all().map((p) => p.id).join(', ')}`);
      return 2;
    }
    const report = await replanPolicy(app.deps, { policyId, apply: values.apply ?? false });
    if (values.json) {
      output.out(JSON.stringify(report, null, 2));
      return 0;
    }
    const t = (d: Date) => formatLocalDateTime(d, app.config.timezone);
    output.out(
      `${report.applied ? 'Applied' : 'Dry run (nothing changed; add --apply to make these changes)'}: policy ${report.policyId}, ` +
        `${report.casesExamined} open cases with scheduled follow-ups, ${report.casesChanged} affected — ` +
        `${report.added} to add, ${report.moved} to move, ${report.cancelled} to cancel`,
    );
    for (const c of report.cases.slice(0, 20)) {
      output.out(`  case ${c.externalId}:`);
      for (const a of c.add) output.out(`    + ${a.step}: due ${t(a.dueAt)}, deadline ${t(a.deadlineAt)}`);
      for (const m of c.move) {
        output.out(
          `    ~ ${m.step}: due ${t(m.from.dueAt)} → ${t(m.to.dueAt)}, deadline ${t(m.from.deadlineAt)} → ${t(m.to.deadlineAt)}${m.from.assigneeId !== m.to.assigneeId ? ', reassigned' : ''}`,
        );
      }
      for (const x of c.cancel) output.out(`    - ${x.step}: no longer in the policy`);
    }
    if (report.cases.length > 20) output.out(`  … and ${report.cases.length - 20} more cases (use --json for all)`);
    return 0;
  });
}
