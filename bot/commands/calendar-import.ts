/**
 * `huifang calendar import YEAR FILE [--dry-run] [--json]`: installs a year's State Council schedule
 * (国务院办公厅关于 YYYY 年部分节假日安排的通知) into the database, where the console's 日历 page keeps
 * its days, so that every running service picks it up (job `reload-calendar`, within five minutes) and
 * every command reads it. The file has the format of templates/calendar/*.yaml and is checked by the
 * loader's own parser, then against the calendar by the check the console uses
 * (bot/core/calendar/calendar-entry-change.ts). docs/calendar.md describes the whole procedure.
 *
 * Exit codes: 0 installed (or, with --dry-run, would be); 1 the year comes with the shipped calendar,
 * or the database changed meanwhile; 2 bad arguments or unreadable file; 78 invalid file or days.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkCalendarYearImport, installCalendarYearImport, type CalendarImportResult } from '../calendar-year-import.js';
import type { CalendarYearImportPlan } from '../core/calendar/calendar-entry-change.js';
import { weekdayName } from '../core/calendar/local-date.js';
import { displayPath } from '../loaders/display-path.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

export const CALENDAR_IMPORT_USAGE = 'Usage: huifang calendar import YEAR FILE.yaml [--dry-run] [--json]';

export type { CalendarImportResult };

export async function runCalendarImportCommand(args: string[], io: CommandOutput = consoleOutput, withApp: WithApp = quietWithApp(io)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  } catch (err) {
    io.err(`${(err as Error).message}\n${CALENDAR_IMPORT_USAGE}`);
    return 2;
  }
  const [yearText, path, ...extra] = parsed.positionals;
  if (!yearText || !path || extra.length > 0 || !/^\d{4}$/.test(yearText)) {
    io.err(CALENDAR_IMPORT_USAGE);
    return 2;
  }
  const year = Number(yearText);
  const dryRun = parsed.values['dry-run'] ?? false;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    io.err(`Cannot read ${path}: ${(err as Error).message}`);
    return 2;
  }
  const file = displayPath(resolve(path));

  return withApp(async (app) => {
    const checked = await checkCalendarYearImport(app, { year, text, file, dryRun, by: null });
    if (checked.status !== 'ok') {
      const shipped = checked.status === 'shipped';
      io.err(`${shipped ? `Cannot import ${year}` : 'Invalid calendar import'}:\n  ${checked.problems.join('\n  ')}`);
      if (shipped) io.err(`  To correct a shipped year, add a file under templates/calendar/ with replacesPackageData: true (templates/calendar/README.md).`);
      return shipped ? 1 : 78;
    }
    if (!dryRun) {
      const installed = await installCalendarYearImport(app, checked, { actorType: 'SYSTEM', actorId: null });
      if (!installed.installed) {
        io.err(`The calendar changed while ${year} was being imported; nothing was kept. Run the command again.\n  ${installed.reason}`);
        return 1;
      }
    }
    if (parsed.values.json) io.out(JSON.stringify(checked.result, null, 2));
    else io.out(render(checked.result, checked.plan));
    return 0;
  });
}

/** withApp whose missing-next-year warning is left out: the command is how that year gets added. */
function quietWithApp(io: CommandOutput): WithApp {
  return (fn) => defaultWithApp(fn, { output: { out: io.out, err: () => undefined } });
}

function render(r: CalendarImportResult, plan: CalendarYearImportPlan): string {
  const lines = [
    `${r.dryRun ? 'Dry run — nothing written. Would install' : 'Installed'} ${r.year} from ${r.file}`,
    `  source: ${r.source}`,
    `  ${r.holidays} holiday days (放假), ${r.makeupWorkdays} make-up working days (调休上班), ${r.closures} closures (本单位停业)`,
    `  entries: ${r.added} added, ${r.replaced.length} replaced, ${r.removed.length} removed, ${r.unchanged} unchanged`,
  ];
  for (const x of r.replaced) lines.push(`  replaced ${x.date} ${weekdayName(x.date)}: ${x.before} → ${x.after}`);
  for (const x of r.removed) lines.push(`  removed  ${x.date} ${weekdayName(x.date)}: ${x.kind} ${x.name} (not in the file)`);
  if (!r.dryRun) {
    lines.push(
      plan.change.put.length + plan.change.remove.length > 0
        ? `Commands and the console use it now; running services pick it up within five minutes (job reload-calendar), no restart needed.`
        : `The database already had exactly this schedule.`,
    );
  }
  lines.push(`Check it: huifang calendar --year ${r.year}`);
  return lines.join('\n');
}
