/**
 * The `huifang` command line: usage, dispatch to one file per command under `bot/commands/`, and exit
 * codes — 0 done, 1 failed (or the command says so), 2 usage error, 78 (EX_CONFIG) invalid
 * configuration or data files. A command module is loaded only when it runs.
 */
import { ConfigError } from './config.js';
import { DataLoadError } from './loaders/data-load-error.js';
import { StartupError } from './startup-error.js';

/** The help text; the job names come from jobs/index.ts. */
async function usage(): Promise<string> {
  const { jobs } = await import('../jobs/index.js');
  return `huifang — customer follow-up service (回访)

Usage:
  huifang start [--role all|web|jobs]
                                start the HTTP service and the cron jobs (all, the default), the HTTP service
                                only (web), or the cron jobs only, with /healthz and /metrics (jobs)
  huifang migrate [--json]      apply database migrations and exit
  huifang demo [--days N] [--json]   run the example organisation for N simulated days (default 30)
  huifang seed-example [--json] add the example hospital ward and property office to the database
  huifang simulate --policy ID --case FILE.json [--until YYYY-MM-DD] [--json] [--org example|database]
                                print the follow-ups a case would get (times, assignees, sampling)
  huifang policy test [--policy ID] [--json] [--org scenarios|example|database]
                                run the packs' scenarios (templates/policies/scenarios/ID.yaml) and print what
                                differs from the follow-ups each case must get; exit 1 on any difference
  huifang policy replan --policy ID [--apply] [--json]
                                after changing a policy pack: show (dry run) what happens to the follow-ups
                                already scheduled — added, moved, cancelled — and with --apply, do it
  huifang jobs run NAME|all [--json]
                                run one job (or one round of all) once and print its summary
  huifang calendar --year YYYY [--json]   holidays, 调休 make-up days, closures and festivals of a year; a year
                                without a State Council schedule is listed with its working days 未确认 (unconfirmed)
  huifang calendar import YEAR FILE.yaml [--dry-run] [--json]
                                install a year's State Council schedule (format of templates/calendar/*.yaml, see
                                docs/calendar.md) in the database, as the console's 日历 page does; running services
                                pick it up within five minutes
  huifang import staff|customers|cases FILE.csv [--dry-run] [--skip-invalid] [--encoding utf-8|gb18030] [--json]
                                load staff (add --deactivate-missing), customers or cases from a CSV file
                                (UTF-8 with or without BOM, or GBK/GB18030; columns in templates/import/README.md)
  huifang staff sync-wecom [--dry-run] [--json]
                                mirror the WeCom contact list (departments, members) into staff; roles stay as set
  huifang wecom-contacts match [--dry-run] [--json]
                                match customers to the members' WeCom external contacts (客户联系) by the phone a
                                member noted, or a unique name; lists what matched and what did not
  huifang report monthly --month YYYY-MM [--out DIR] [--department CODE] [--json]
                                write the month's report (XLSX, CSV per department / staff / type, trend PNG)
  huifang campaign list [--year YYYY] [--json]
                                greeting campaigns (templates/campaigns): occasions, send days, SMS templates to register
  huifang campaign preview NAME --date YYYY-MM-DD [--json]
                                the greetings going out that day: per channel, SMS segments, cost, samples
  huifang campaign report NAME --occasion KEY [--all] [--json]
                                who received a greeting, who was skipped and why
  huifang console link --bootstrap-admin | --user WECOM_USERID [--json]
                                a single-use sign-in link (10 minutes) to the console at /console; --bootstrap-admin
                                first creates the administrator of a new installation
  huifang webhooks add URL --events case.created,followup.completed,… [--json]
  huifang webhooks list [--json] | webhooks remove ID [--json]
                                subscriptions of other systems (HIS, CRM, ticketing) to events, delivered as signed
                                POSTs (docs/webhooks.md); add prints the signing secret once
  huifang outbox uncertain [--json] | outbox resend ID | outbox settle ID [--note TEXT]
                                messages a crash interrupted mid-send that the provider could not confirm; after
                                checking the provider's console, send one again (resend) or record it as sent (settle)
  huifang inbox dead [--json] | inbox replay ID
                                inbound events whose attempts are used up; replay one once its cause is fixed
  huifang help                  show this help

Jobs: ${Object.keys(jobs).join(', ')}
Results go to stdout (text, or JSON with --json); warnings and logs to stderr.
Exit codes: 0 done, 1 failed, 2 usage error, 78 invalid configuration or data files.
Configuration comes from environment variables; see README.md.`;
}

/** A command: its arguments in, its exit code out; `null` while it keeps running (`start`). */
type Command = (args: string[]) => Promise<number | null>;

const COMMANDS: Readonly<Record<string, Command>> = {
  start: async (args) => (await import('./commands/start.js')).runStartCommand(args),
  migrate: async (args) => (await import('./commands/migrate.js')).runMigrateCommand(args),
  'seed-example': async (args) => (await import('./commands/seed-example.js')).runSeedExampleCommand(args),
  demo: async (args) => (await import('./commands/demo.js')).runDemoCommand(args),
  simulate: async (args) => (await import('./commands/simulate.js')).runSimulateCommand(args),
  policy: async (args) => (await import('./commands/policy.js')).runPolicyCommand(args),
  jobs: async (args) => (await import('./commands/jobs.js')).runJobsCommand(args),
  calendar: async (args) =>
    args[0] === 'import' ? (await import('./commands/calendar-import.js')).runCalendarImportCommand(args.slice(1)) : (await import('./commands/calendar.js')).runCalendarCommand(args),
  import: async (args) => (await import('./commands/import.js')).runImportCommand(args),
  staff: async (args) => (await import('./commands/staff.js')).runStaffCommand(args),
  'wecom-contacts': async (args) => (await import('./commands/wecom-contacts.js')).runWecomContactsCommand(args),
  report: async (args) => (await import('./commands/report.js')).runReportCommand(args),
  campaign: async (args) => (await import('./commands/campaign.js')).runCampaignCommand(args),
  console: async (args) => (await import('./commands/console.js')).runConsoleCommand(args),
  webhooks: async (args) => (await import('./commands/webhooks.js')).runWebhooksCommand(args),
  outbox: async (args) => (await import('./commands/outbox.js')).runOutboxCommand(args),
  inbox: async (args) => (await import('./commands/inbox.js')).runInboxCommand(args),
};

async function main(argv: string[]): Promise<number | null> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(await usage());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${await usage()}`);
    return 2;
  }
  return command(args);
}

/** Configuration and data errors name what to fix: their message alone, and EX_CONFIG. */
async function isConfigurationError(err: unknown): Promise<boolean> {
  if (err instanceof ConfigError || err instanceof DataLoadError) return true;
  const [{ ChannelUnavailableError }, { ChartFontMissingError }] = await Promise.all([import('./huifang.js'), import('./charts/find-chart-fonts.js')]);
  // A missing CJK font is the machine's setup, named in the message (apt-get install fonts-noto-cjk).
  return err instanceof ChannelUnavailableError || err instanceof ChartFontMissingError;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  async (err: unknown) => {
    if (err instanceof StartupError) {
      // One line naming what to change; the cause is the operator's machine, not a bug.
      console.error(err.message);
      process.exitCode = err.exitCode;
    } else if (await isConfigurationError(err)) {
      console.error((err as Error).message);
      process.exitCode = 78; // EX_CONFIG
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
