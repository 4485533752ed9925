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
import { planCalendarYearImport, type CalendarEntryProblem, type CalendarYearImportPlan } from '../core/calendar/calendar-entry-change.js';
import { weekdayName } from '../core/calendar/local-date.js';
import type { CalendarEntryRecord } from '../core/ports/console-admin.js';
import { DataLoadError } from '../loaders/data-load-error.js';
import { displayPath } from '../loaders/display-path.js';
import { parseCalendarFile, type CalendarFile } from '../loaders/load-calendar.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

export const CALENDAR_IMPORT_USAGE = 'Usage: huifang calendar import YEAR FILE.yaml [--dry-run] [--json]';

/** What the command reports (stdout with --json). */
export interface CalendarImportResult {
  year: number;
  file: string;
  /** The notice the file cites (its `source`). */
  source: string;
  dryRun: boolean;
  holidays: number;
  makeupWorkdays: number;
  closures: number;
  /** Entries written (new or changed), replaced (an entry of the same date had another kind or name), removed, unchanged. */
  added: number;
  replaced: { date: string; before: string; after: string }[];
  removed: { date: string; kind: string; name: string }[];
  unchanged: number;
}

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

  // The loader's parser: the same format, checks and messages (file:line: path: reason) as at start.
  let content: CalendarFile;
  try {
    content = parseCalendarFile(text, file);
  } catch (err) {
    if (err instanceof DataLoadError) {
      io.err(err.message);
      return 78;
    }
    throw err;
  }
  const fileProblems: string[] = [];
  const schedule = content.years.find((y) => y.schedule.year === year);
  if (!schedule) fileProblems.push(`${file}: defines no year ${year} (years: ${content.years.map((y) => y.schedule.year).join(', ') || 'none'}); see docs/calendar.md for the format`);
  for (const other of content.years.filter((y) => y.schedule.year !== year)) {
    fileProblems.push(`${where(file, other.line)}${other.schedule.year} is not ${year}: import one year at a time (huifang calendar import ${other.schedule.year} ${path})`);
  }
  if (schedule?.replacesPackageData) fileProblems.push(`${where(file, schedule.line)}replacesPackageData applies to files under templates/calendar/ only; the database never replaces a shipped year`);
  if (fileProblems.length > 0 || !schedule) {
    io.err(`Invalid calendar import:\n  ${fileProblems.join('\n  ')}`);
    return 78;
  }

  return withApp(async (app) => {
    const current = await app.console.admin.listCalendarEntries();
    const now = app.clock.now();
    const plan = planCalendarYearImport(app.deps.calendar, current, { year, schedule: schedule.schedule, closures: content.closures }, { at: now, by: null });
    if (plan.problems.length > 0) {
      const shipped = plan.problems.some((p) => p.code === 'CALENDAR_YEAR_SHIPPED');
      io.err(`${shipped ? `Cannot import ${year}` : 'Invalid calendar import'}:\n  ${plan.problems.map((p) => locate(p, content)).join('\n  ')}`);
      if (shipped) io.err(`  To correct a shipped year, add a file under templates/calendar/ with replacesPackageData: true (templates/calendar/README.md).`);
      return shipped ? 1 : 78;
    }
    const result = summarise(plan, { year, file, source: schedule.notice, dryRun, content });
    if (!dryRun && (plan.change.put.length > 0 || plan.change.remove.length > 0)) {
      await app.console.admin.changeCalendarEntries(plan.change, {
        at: now,
        actorType: 'SYSTEM',
        actorId: null,
        action: 'calendar.year_imported',
        entityType: 'CalendarEntry',
        entityId: String(year),
        details: { file, source: result.source, holidays: result.holidays, makeupWorkdays: result.makeupWorkdays, closures: result.closures, replaced: result.replaced, removed: result.removed },
      });
      try {
        await app.reloadCalendarOverlay();
      } catch (err) {
        // Another change (the console, another import) made the entries contradictory meanwhile: put back what was there.
        await app.console.admin.changeCalendarEntries(undo(plan, current), {
          at: now,
          actorType: 'SYSTEM',
          actorId: null,
          action: 'calendar.year_import_undone',
          entityType: 'CalendarEntry',
          entityId: String(year),
          details: { file, reason: (err as Error).message },
        });
        await app.reloadCalendarOverlay();
        io.err(`The calendar changed while ${year} was being imported; nothing was kept. Run the command again.\n  ${(err as Error).message}`);
        return 1;
      }
    }
    if (parsed.values.json) io.out(JSON.stringify(result, null, 2));
    else io.out(render(result, plan));
    return 0;
  });
}

/** withApp whose missing-next-year warning is left out: the command is how that year gets added. */
function quietWithApp(io: CommandOutput): WithApp {
  return (fn) => defaultWithApp(fn, { output: { out: io.out, err: () => undefined } });
}

function where(file: string, line: number | null): string {
  return line === null ? `${file}: ` : `${file}:${line}: `;
}

/** A problem prefixed with the file and the line of the first date it names. */
function locate(problem: CalendarEntryProblem, content: CalendarFile): string {
  if (problem.code === 'CALENDAR_YEAR_SHIPPED') return problem.message;
  const date = /\d{4}-\d{2}-\d{2}/.exec(problem.message)?.[0];
  return `${where(content.file, date ? (content.dateLines.get(date) ?? null) : null)}${problem.message}`;
}

function summarise(plan: CalendarYearImportPlan, input: { year: number; file: string; source: string; dryRun: boolean; content: CalendarFile }): CalendarImportResult {
  const schedule = input.content.years.find((y) => y.schedule.year === input.year)!.schedule;
  const describe = (e: CalendarEntryRecord) => `${e.kind} ${e.name}`;
  return {
    year: input.year,
    file: input.file,
    source: input.source,
    dryRun: input.dryRun,
    holidays: schedule.holidays.length,
    makeupWorkdays: schedule.makeupWorkdays.length,
    closures: input.content.closures.length,
    added: plan.change.put.length - plan.replaced.length,
    replaced: plan.replaced.map((r) => ({ date: r.before.date, before: describe(r.before), after: describe(r.after) })),
    removed: plan.removed.map((e) => ({ date: e.date, kind: e.kind, name: e.name })),
    unchanged: plan.unchanged,
  };
}

/** The change that restores `current` after `plan` was written. */
function undo(plan: CalendarYearImportPlan, current: readonly CalendarEntryRecord[]): { put: CalendarEntryRecord[]; remove: string[] } {
  const before = new Map(current.map((e) => [e.date, e]));
  const touched = [...plan.change.put.map((e) => e.date), ...plan.change.remove];
  return { put: touched.flatMap((d) => (before.has(d) ? [before.get(d)!] : [])), remove: touched.filter((d) => !before.has(d)) };
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
