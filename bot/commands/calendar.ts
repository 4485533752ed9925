/**
 * `huifang calendar --year YYYY [--json] [--dir DIR]`: prints one year of the working-day calendar — public
 * holidays, 调休 make-up working days, organisation closures, traditional festivals — with the covered years
 * and where each year's data comes from, so an administrator can check it against the State Council notice.
 *
 * A year without a State Council schedule (next year, before its notice is added) is listed too: weekends,
 * festivals (lunar ones computed) and closures, with the working days marked unconfirmed — the
 * weekends-only answer that scheduling uses meanwhile (docs/calendar.md).
 *
 * The days kept in the database (console 日历, `huifang calendar import`) are laid over the shipped data,
 * as the service does; the database is only read, never created or migrated.
 *
 * Exit codes: 0 printed; 2 bad arguments; 78 invalid calendar files.
 */
import { parseArgs } from 'node:util';
import { addDays, weekdayName, type LocalDate } from '../core/calendar/local-date.js';
import { listTraditionalFestivals, type TraditionalFestival } from '../core/calendar/traditional-festivals.js';
import { formatYearRanges, type DayKind, type PublicHoliday } from '../core/calendar/working-calendar.js';
import { overviewOfYear } from '../core/calendar/year-overview.js';
import { loadCalendar, summariseSources, type CalendarYearSource, type LoadedCalendar } from '../loaders/load-calendar.js';
import { calendarOverlay } from '../core/calendar/calendar-overlay.js';
import { DomainError } from '../core/errors.js';
import type { CalendarEntryRecord } from '../core/ports/console-admin.js';
import { loadConfig } from '../config.js';
import { readCommandCalendarEntries } from './read-command-calendar-entries.js';
import { DataLoadError } from '../loaders/data-load-error.js';
import { consoleOutput, type CommandOutput } from './command-output.js';

const USAGE = 'Usage: huifang calendar --year YYYY [--json] [--dir DIR]\n       huifang calendar import YEAR FILE.yaml [--dry-run] [--json]';

/** How a year whose schedule is kept in the database is named in `sources`. */
const DATABASE_SOURCE = 'database (console 日历 / huifang calendar import)';

function readConfiguredEntries(io: CommandOutput): Promise<readonly CalendarEntryRecord[]> {
  return readCommandCalendarEntries(loadConfig(), io);
}

/** A block of consecutive days off (国庆节、中秋节 2025-10-01 … 2025-10-08). */
interface HolidayBlock {
  name: string;
  from: LocalDate;
  to: LocalDate;
  days: number;
  dates: { date: LocalDate; weekday: string; name: string; nameEn?: string; inLieu: boolean }[];
}

/** Where the command reads the calendar days kept in the database; tests pass their own. */
export interface CalendarCommandDeps {
  /** The days entered in the console's 日历 page or imported [the configured database's]. */
  readEntries?: (io: CommandOutput) => Promise<readonly CalendarEntryRecord[]>;
}

export async function runCalendarCommand(args: string[], io: CommandOutput = consoleOutput, deps: CalendarCommandDeps = {}): Promise<number> {
  let values: { year?: string; json?: boolean; dir?: string };
  try {
    ({ values } = parseArgs({ args, options: { year: { type: 'string' }, json: { type: 'boolean', default: false }, dir: { type: 'string' } } }));
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const year = Number(values.year);
  if (!values.year || !/^\d{4}$/.test(values.year) || year < 1901 || year > 2099) {
    io.err(`--year must be a year from 1901 to 2099.\n${USAGE}`);
    return 2;
  }

  let loaded: LoadedCalendar;
  try {
    // Weekends-only answers for a year without a schedule: the listing marks them unconfirmed.
    loaded = loadCalendar({ ...(values.dir ? { dir: values.dir } : {}), beyondCoverage: 'assume_weekends' });
  } catch (err) {
    if (err instanceof DataLoadError) {
      io.err(err.message);
      return 78; // EX_CONFIG, as for invalid policy packs
    }
    throw err;
  }
  const { calendar } = loaded;
  // The days kept in the database (console 日历, `huifang calendar import`), as the service lays them over.
  const entries = await (deps.readEntries ?? readConfiguredEntries)(io);
  const databaseYears: CalendarYearSource[] = [];
  if (entries.length > 0) {
    try {
      const { ignoredYears } = calendar.replaceOverlay(calendarOverlay(entries));
      if (ignoredYears.length > 0) io.err(`notice: the database's calendar days for ${ignoredYears.join(', ')} are ignored: the shipped calendar now has those years (remove them in the console's 日历 page)`);
      for (const y of calendar.coveredYears()) {
        if (!calendar.isShippedYear(y)) databaseYears.push({ year: y, source: DATABASE_SOURCE, origin: 'database' });
      }
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'CALENDAR_DATA_INVALID')) throw err;
      io.err(`警告: the calendar days kept in the database contradict the shipped calendar and are left out: ${err.message}`);
    }
  }
  const allSources = [...loaded.sources, ...databaseYears].sort((a, b) => a.year - b.year);
  const coveredYears = calendar.coveredYears();
  const sources = summariseSources(allSources);
  const overview = overviewOfYear(calendar, year);
  const closures = calendar.closuresInYear(year).map((c) => ({ date: c.date, weekday: weekdayName(c.date), reason: c.reason, source: c.source ?? null }));
  const festivals = listTraditionalFestivals(year, loaded.lunar).map((f) => festivalRow(f, (d) => calendar.dayInfo(d).kind, overview.confirmed));

  if (!overview.confirmed) {
    // No State Council schedule: list what is certain (weekends, festivals, closures) and mark the
    // working days as unconfirmed, the same weekends-only answer scheduling uses (docs/calendar.md).
    const message =
      `${year} has no State Council holiday schedule yet (covered: ${formatYearRanges(coveredYears)}; chinese-days ${loaded.packageVersion}): ` +
      `its working days are unconfirmed and count Monday–Friday only until the schedule is added (see docs/calendar.md).`;
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            year,
            covered: false,
            confirmed: false,
            assumption: 'weekends_only',
            coveredYears,
            sources,
            packageVersion: loaded.packageVersion,
            files: loaded.files,
            holidays: [],
            makeupWorkdays: [],
            closures,
            festivals,
            workingDays: overview.workingDays,
            months: overview.months,
            notices: loaded.notices,
            message,
          },
          null,
          2,
        ),
      );
      io.err(message);
      return 0;
    }
    const lines: string[] = [];
    lines.push(`${year} 工作日历 / working-day calendar (mainland China) — 未确认 / UNCONFIRMED`);
    lines.push(`  ${year} data: 尚无国务院办公厅节假日安排 / no State Council schedule yet`);
    lines.push(`  covered years: ${sources.map((s) => `${s.years} (${s.source})`).join('; ')}`);
    lines.push('');
    lines.push(`工作日（未确认，暂按周一至周五）/ working days (unconfirmed, Monday–Friday assumed): ${overview.workingDays}`);
    for (const m of overview.months) lines.push(`  ${String(m.month).padStart(2, ' ')} 月  工作日 ${String(m.workingDays).padStart(2, ' ')} (未确认)  周末 ${m.weekendDays}${m.closures ? `  停业 ${m.closures}` : ''}`);
    lines.push('');
    lines.push('法定节假日 / public holidays:      未确认 / unconfirmed');
    lines.push('调休上班 / make-up working days:  未确认 / unconfirmed');
    lines.push('');
    lines.push('本机构停业 / organisation closures:');
    if (closures.length === 0) lines.push('  (none)');
    for (const c of closures) lines.push(`  ${c.date} ${c.weekday}  ${c.reason}${c.source ? `  [${c.source}]` : ''}`);
    lines.push('');
    lines.push('传统节日 / traditional festivals (dates are certain; whether they are days off is not):');
    for (const f of festivals) lines.push(`  ${f.date} ${f.weekday}  ${pad(f.name, 8)} ${pad(f.rule, 14)} ${f.dayKind} (未确认)`);
    io.out(lines.join('\n'));
    io.err(message);
    return 0;
  }

  const schedule = calendar.yearSchedule(year)!;
  const source = allSources.find((s) => s.year === year)!;
  const makeupWorkdays = schedule.makeupWorkdays.map((m) => ({ date: m.date, weekday: weekdayName(m.date), holiday: m.holiday }));
  const blocks = holidayBlocks(schedule.holidays);

  if (values.json) {
    io.out(
      JSON.stringify(
        {
          year,
          covered: true,
          confirmed: true,
          source: source.source,
          origin: source.origin,
          coveredYears,
          sources,
          packageVersion: loaded.packageVersion,
          files: loaded.files,
          holidays: blocks,
          makeupWorkdays,
          closures,
          festivals,
          workingDays: overview.workingDays,
          months: overview.months,
          notices: loaded.notices,
        },
        null,
        2,
      ),
    );
    return 0;
  }

  const lines: string[] = [];
  lines.push(`${year} 工作日历 / working-day calendar (mainland China)`);
  lines.push(`  ${year} data: ${source.source}`);
  lines.push(`  covered years: ${sources.map((s) => `${s.years} (${s.source})`).join('; ')}`);
  lines.push(`  工作日 / working days: ${overview.workingDays}`);
  lines.push('');
  lines.push('法定节假日 / public holidays (days off):');
  for (const b of blocks) {
    const inLieu = b.dates.filter((d) => d.inLieu).map((d) => d.date.slice(5));
    lines.push(
      `  ${pad(b.name, 14)} ${b.from} ${weekdayName(b.from)} – ${b.to} ${weekdayName(b.to)}  ${b.days} 天` + (inLieu.length ? `  (调休 ${inLieu.join(', ')})` : ''),
    );
  }
  lines.push('');
  lines.push('调休上班 / make-up working days:');
  if (makeupWorkdays.length === 0) lines.push('  (none)');
  for (const m of makeupWorkdays) lines.push(`  ${m.date} ${m.weekday}  ${m.holiday}`);
  lines.push('');
  lines.push('本机构停业 / organisation closures:');
  if (closures.length === 0) lines.push('  (none)');
  for (const c of closures) lines.push(`  ${c.date} ${c.weekday}  ${c.reason}${c.source ? `  [${c.source}]` : ''}`);
  lines.push('');
  lines.push('传统节日 / traditional festivals:');
  for (const f of festivals) lines.push(`  ${f.date} ${f.weekday}  ${pad(f.name, 8)} ${pad(f.rule, 14)} ${f.dayKind}`);
  if (loaded.notices.length) {
    lines.push('');
    lines.push('notices:');
    for (const n of loaded.notices) lines.push(`  ${n}`);
  }
  io.out(lines.join('\n'));
  return 0;
}

function holidayBlocks(holidays: readonly PublicHoliday[]): HolidayBlock[] {
  const blocks: HolidayBlock[] = [];
  for (const h of holidays) {
    const row = { date: h.date, weekday: weekdayName(h.date), name: h.name, ...(h.nameEn ? { nameEn: h.nameEn } : {}), inLieu: h.inLieu ?? false };
    const last = blocks[blocks.length - 1];
    if (last && addDays(last.to, 1) === h.date) {
      last.to = h.date;
      last.days++;
      last.dates.push(row);
      if (!last.name.split('、').includes(h.name)) last.name += `、${h.name}`;
    } else {
      blocks.push({ name: h.name, from: h.date, to: h.date, days: 1, dates: [row] });
    }
  }
  return blocks;
}

function festivalRow(f: TraditionalFestival, kindOf: (date: LocalDate) => DayKind, confirmed: boolean) {
  return { date: f.date, weekday: weekdayName(f.date), name: f.name, nameEn: f.nameEn, key: f.key, rule: f.rule, dayKind: kindOf(f.date), confirmed };
}

/** Pads to a display width where a CJK character counts as two columns. */
function pad(text: string, width: number): string {
  const w = [...text].reduce((n, ch) => n + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);
  return text + ' '.repeat(Math.max(1, width - w));
}
