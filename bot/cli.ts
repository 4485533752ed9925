import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { migrateDatabase } from './db/migrate.js';
import { createPrismaClient } from './db/client.js';
import { createHuifang } from './huifang.js';
import { startService } from './main.js';
import { jobs, TICK_ORDER } from '../jobs/index.js';
import { seedExampleOrganisation } from './example/example-organisation.js';
import { UlidGenerator } from './clocks.js';
import { DataLoadError } from './loaders/data-load-error.js';
import { ChannelUnavailableError, ROOT_DIR } from './huifang.js';
import { PrismaStore } from './db/prisma-store.js';

const USAGE = `huifang — customer follow-up service (回访)

Usage:
  huifang start                 start the HTTP service and the cron jobs
  huifang migrate               apply database migrations and exit
  huifang demo [--days N] [--json]   run the example organisation for N simulated days (default 30)
  huifang seed-example          add the example hospital ward and property office to the database
  huifang simulate --policy ID --case FILE.json [--until YYYY-MM-DD] [--json] [--org example|database]
                                print the follow-ups a case would get (times, assignees, sampling)
  huifang policy replan --policy ID [--apply] [--json]
                                after changing a policy pack: show (dry run) what happens to the follow-ups
                                already scheduled — added, moved, cancelled — and with --apply, do it
  huifang jobs run NAME|all     run one job (or one round of all) once and print its summary
  huifang calendar --year YYYY [--json]   holidays, 调休 make-up days, closures and festivals of a year
  huifang import staff|customers|cases FILE.csv [--dry-run] [--skip-invalid] [--encoding utf-8|gb18030] [--json]
                                load staff (add --deactivate-missing), customers or cases from a CSV file
                                (UTF-8 with or without BOM, or GBK/GB18030; columns in templates/import/README.md)
  huifang staff sync-wecom [--dry-run] [--json]
                                mirror the WeCom contact list (departments, members) into staff; roles stay as set
  huifang report monthly --month YYYY-MM [--out DIR] [--department CODE]
                                write the month's report (XLSX, CSV per department / staff / type, trend PNG)
  huifang campaign list [--year YYYY] [--json]
                                greeting campaigns (templates/campaigns): occasions, send days, SMS templates to register
  huifang campaign preview NAME --date YYYY-MM-DD [--json]
                                the greetings going out that day: per channel, SMS segments, cost, samples
  huifang campaign report NAME --occasion KEY [--all] [--json]
                                who received a greeting, who was skipped and why
  huifang help                  show this help

Jobs: ${Object.keys(jobs).join(', ')}
Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const service = await startService();
      const shutdown = () => void service.stop().then(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      return -1; // keep running
    }
    case 'migrate': {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const { applied } = await migrateDatabase(config.database.url, { logger });
      logger.info({ applied, provider: config.database.provider }, applied.length ? 'migrations applied' : 'database is up to date');
      return 0;
    }
    case 'seed-example': {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      await migrateDatabase(config.database.url, { logger });
      const db = createPrismaClient(config.database.url);
      try {
        const ids = new UlidGenerator();
        const staff = await seedExampleOrganisation(db.prisma, () => ids.next());
        logger.info({ staff: staff.size }, 'example organisation ready');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { days: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } } });
      const days = Number(values.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) {
        console.error('huifang demo: --days must be a whole number of days from 1 to 366');
        return 2;
      }
      const { runDemo } = await import('./demo/run-demo.js');
      await runDemo({ days, json: values.json ?? false });
      return 0;
    }
    case 'simulate': {
      const config = loadConfig();
      const { runSimulateCommand } = await import('./commands/simulate.js');
      return runSimulateCommand(rest, {
        rootDir: ROOT_DIR,
        timeZone: config.timezone,
        loadDatabaseOrg: async () => {
          const db = createPrismaClient(config.database.url);
          try {
            return await new PrismaStore(db.prisma, db.capabilities, new UlidGenerator()).loadOrgSnapshot();
          } finally {
            await db.close();
          }
        },
      });
    }
    case 'policy': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { policy: { type: 'string' }, apply: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      });
      if (positionals[0] !== 'replan' || !values.policy) {
        console.error('Usage: huifang policy replan --policy ID [--apply] [--json]');
        return 2;
      }
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
      await migrateDatabase(config.database.url, { logger });
      const db = createPrismaClient(config.database.url);
      try {
        const app = createHuifang({ config, logger, db });
        if (!app.deps.policies.byId(values.policy)) {
          console.error(`No policy pack with id "${values.policy}". Known: ${app.deps.policies.all().map((p) => p.id).join(', ')}`);
          return 2;
        }
        const { replanPolicy } = await import('./core/cases/replan-policy.js');
        const report = await replanPolicy(app.deps, { policyId: values.policy, apply: values.apply ?? false });
        if (values.json) console.log(JSON.stringify(report, null, 2));
        else {
          const { formatLocalDateTime } = await import('./core/time.js');
          const t = (d: Date) => formatLocalDateTime(d, config.timezone);
          console.log(
            `${report.applied ? 'Applied' : 'Dry run (nothing changed; add --apply to make these changes)'}: policy ${report.policyId}, ` +
              `${report.casesExamined} open cases with scheduled follow-ups, ${report.casesChanged} affected — ` +
              `${report.added} to add, ${report.moved} to move, ${report.cancelled} to cancel`,
          );
          for (const c of report.cases.slice(0, 20)) {
            console.log(`  case ${c.externalId}:`);
            for (const a of c.add) console.log(`    + ${a.step}: due ${t(a.dueAt)}, deadline ${t(a.deadlineAt)}`);
            for (const m of c.move) console.log(`    ~ ${m.step}: due ${t(m.from.dueAt)} → ${t(m.to.dueAt)}, deadline ${t(m.from.deadlineAt)} → ${t(m.to.deadlineAt)}${m.from.assigneeId !== m.to.assigneeId ? ', reassigned' : ''}`);
            for (const x of c.cancel) console.log(`    - ${x.step}: no longer in the policy`);
          }
          if (report.cases.length > 20) console.log(`  … and ${report.cases.length - 20} more cases (use --json for all)`);
        }
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'jobs': {
      const [sub, name] = rest;
      if (sub !== 'run' || !name || (name !== 'all' && !jobs[name])) {
        console.error(`Usage: huifang jobs run NAME|all\nJobs: ${Object.keys(jobs).join(', ')}`);
        return 2;
      }
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      await migrateDatabase(config.database.url, { logger });
      const db = createPrismaClient(config.database.url);
      try {
        const app = createHuifang({ config, logger, db });
        for (const job of name === 'all' ? TICK_ORDER : [name]) {
          const summary = await jobs[job]!.run(app);
          console.log(JSON.stringify({ job, ...summary }));
        }
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'report': {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
      await migrateDatabase(config.database.url, { logger });
      const db = createPrismaClient(config.database.url);
      try {
        const app = createHuifang({ config, logger, db });
        const { runReportCommand } = await import('./commands/report.js');
        return await runReportCommand(rest, { prisma: db.prisma, policies: app.deps.policies, timeZone: config.timezone, now: app.clock.now() });
      } finally {
        await db.close();
      }
    }
    case 'import':
    case 'staff': {
      // Both run against the configured database with the assembled service (policies, clock, ids).
      const withApp = async <T>(fn: (app: ReturnType<typeof createHuifang>) => Promise<T>): Promise<T> => {
        const config = loadConfig();
        const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
        await migrateDatabase(config.database.url, { logger });
        const db = createPrismaClient(config.database.url);
        try {
          return await fn(createHuifang({ config, logger, db }));
        } finally {
          await db.close();
        }
      };
      if (command === 'import') {
        const { runImportCommand } = await import('./commands/import.js');
        return runImportCommand(rest, withApp, ROOT_DIR);
      }
      const { runStaffCommand } = await import('./commands/staff.js');
      return runStaffCommand(rest, withApp);
    }
    case 'campaign': {
      // Greetings 节日与生日问候: read-only against the configured database.
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
      await migrateDatabase(config.database.url, { logger });
      const db = createPrismaClient(config.database.url);
      const { runCampaignCommand } = await import('./commands/campaign.js');
      try {
        return await runCampaignCommand(rest, async (fn) => fn(createHuifang({ config, logger, db })));
      } finally {
        await db.close();
      }
    }
    case 'calendar': {
      const { runCalendarCommand } = await import('./commands/calendar.js');
      return runCalendarCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof DataLoadError || err instanceof ChannelUnavailableError) {
      console.error(err.message);
      process.exitCode = 78; // EX_CONFIG
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
