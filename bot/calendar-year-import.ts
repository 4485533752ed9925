/**
 * Installing a year's State Council schedule (国务院办公厅关于 YYYY 年部分节假日安排的通知) from a file's
 * text: shared by `huifang calendar import` (bot/commands/calendar-import.ts) and the console's 日历 page
 * (bot/console/pages/calendar.ts), so both accept the same format and refuse the same things with the same
 * messages. The text is read by the loader's own parser (the format of templates/calendar/*.yaml), then
 * checked against the calendar by the check the console uses for single days
 * (bot/core/calendar/calendar-entry-change.ts). docs/calendar.md describes the whole procedure.
 */
import { planCalendarYearImport, type CalendarEntryProblem, type CalendarYearImportPlan } from './core/calendar/calendar-entry-change.js';
import type { CalendarEntryRecord } from './core/ports/console-admin.js';
import type { NewAuditEntry } from './core/records.js';
import type { Huifang } from './huifang.js';
import { DataLoadError } from './loaders/data-load-error.js';
import { parseCalendarFile, type CalendarFile } from './loaders/load-calendar.js';

/** What an import installs or would install (the CLI's --json output). */
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

/**
 * The outcome of checking a file for a year. `invalid`: the file or its days are refused (each problem
 * prefixed `file:line: `); `shipped`: the year comes with the shipped calendar; `ok`: the plan to write.
 */
export type CalendarImportCheck =
  | { status: 'invalid' | 'shipped'; problems: string[] }
  | { status: 'ok'; year: number; file: string; content: CalendarFile; current: CalendarEntryRecord[]; plan: CalendarYearImportPlan; result: CalendarImportResult };

/** Who installs the year, for the audit entries. */
export type CalendarImportActor = Pick<NewAuditEntry, 'actorType' | 'actorId'>;

/** Checks `text` (named `file` in messages) as the schedule of `year`; reads the database's entries, writes nothing. `by`: the console account entering it. */
export async function checkCalendarYearImport(app: Huifang, input: { year: number; text: string; file: string; dryRun: boolean; by: string | null }): Promise<CalendarImportCheck> {
  const { year, file } = input;
  // The loader's parser: the same format, checks and messages (file:line: path: reason) as at start.
  let content: CalendarFile;
  try {
    content = parseCalendarFile(input.text, file);
  } catch (err) {
    if (err instanceof DataLoadError) return { status: 'invalid', problems: err.problems };
    throw err;
  }
  const fileProblems: string[] = [];
  const schedule = content.years.find((y) => y.schedule.year === year);
  if (!schedule) fileProblems.push(`${file}: defines no year ${year} (years: ${content.years.map((y) => y.schedule.year).join(', ') || 'none'}); see docs/calendar.md for the format`);
  for (const other of content.years.filter((y) => y.schedule.year !== year)) {
    fileProblems.push(`${where(file, other.line)}${other.schedule.year} is not ${year}: import one year at a time`);
  }
  if (schedule?.replacesPackageData) fileProblems.push(`${where(file, schedule.line)}replacesPackageData applies to files under templates/calendar/ only; the database never replaces a shipped year`);
  if (fileProblems.length > 0 || !schedule) return { status: 'invalid', problems: fileProblems };

  const current = await app.console.admin.listCalendarEntries();
  const plan = planCalendarYearImport(app.deps.calendar, current, { year, schedule: schedule.schedule, closures: content.closures }, { at: app.clock.now(), by: input.by });
  if (plan.problems.length > 0) {
    const shipped = plan.problems.some((p) => p.code === 'CALENDAR_YEAR_SHIPPED');
    return { status: shipped ? 'shipped' : 'invalid', problems: plan.problems.map((p) => locate(p, content)) };
  }
  return { status: 'ok', year, file, content, current, plan, result: summarise(plan, { year, file, source: schedule.notice, dryRun: input.dryRun, content }) };
}

/**
 * Writes a checked plan in one transaction with one audit entry `calendar.year_imported`, then reloads the
 * calendar. When another change (the console, another import) made the entries contradictory meanwhile,
 * what was there is put back (audited `calendar.year_import_undone`) and the reason returned.
 */
export async function installCalendarYearImport(app: Huifang, checked: Extract<CalendarImportCheck, { status: 'ok' }>, actor: CalendarImportActor): Promise<{ installed: true } | { installed: false; reason: string }> {
  const { plan, result, year, file, current } = checked;
  if (plan.change.put.length === 0 && plan.change.remove.length === 0) return { installed: true };
  const now = app.clock.now();
  await app.console.admin.changeCalendarEntries(plan.change, {
    at: now,
    ...actor,
    action: 'calendar.year_imported',
    entityType: 'CalendarEntry',
    entityId: String(year),
    details: { file, source: result.source, holidays: result.holidays, makeupWorkdays: result.makeupWorkdays, closures: result.closures, replaced: result.replaced, removed: result.removed },
  });
  try {
    await app.reloadCalendarOverlay();
  } catch (err) {
    await app.console.admin.changeCalendarEntries(undo(plan, current), {
      at: now,
      ...actor,
      action: 'calendar.year_import_undone',
      entityType: 'CalendarEntry',
      entityId: String(year),
      details: { file, reason: (err as Error).message },
    });
    await app.reloadCalendarOverlay();
    return { installed: false, reason: (err as Error).message };
  }
  return { installed: true };
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
