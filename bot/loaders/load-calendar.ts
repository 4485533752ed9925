/**
 * Builds the organisation's `WorkingCalendar` at boot: the State Council schedules shipped by the
 * `chinese-days` package, plus administrator files `templates/calendar/*.yaml` that add a year the
 * package does not have yet (the schedule is announced each autumn; the package follows later) and the
 * organisation's own closures. Everything is validated here; problems name the file, line and reason.
 * The format is documented in templates/calendar/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import { dateRange, daysBetween, isLocalDate, isWeekend, weekdayName, type LocalDate } from '../core/calendar/local-date.js';
import {
  formatYearRanges,
  isInYearWindow,
  WorkingCalendar,
  type BeyondCoverage,
  type Closure,
  type YearSchedule,
} from '../core/calendar/working-calendar.js';
import type { LunarConverter } from '../core/calendar/traditional-festivals.js';
import { createChineseDaysLunarConverter, readChineseDaysSchedules } from './chinese-days-source.js';
import { DataLoadError, type DataProblem } from './data-load-error.js';
import { displayPath, ROOT_DIR } from './display-path.js';
import { YamlSource } from './yaml-source.js';

/** Default folder of administrator calendar files. */
export const DEFAULT_CALENDAR_DIR = join(ROOT_DIR, 'templates/calendar');

const SUBJECT = 'working-day calendar';

/** One year as read from an administrator file. */
export interface AdminYear {
  schedule: YearSchedule;
  /** Set when the file deliberately replaces a year the package also ships (an amended notice). */
  replacesPackageData: boolean;
  /** The notice the file cites (its `source`: title, number, address). */
  notice: string;
  file: string;
  line: number | null;
}

export interface CalendarFile {
  file: string;
  years: AdminYear[];
  closures: Closure[];
  /** The line that lists each date (a holiday block's, a make-up day's, a closure's), for messages by line. */
  dateLines: ReadonlyMap<LocalDate, number>;
}

/** Where a covered year's schedule comes from. */
export interface CalendarYearSource {
  year: number;
  /** `chinese-days@1.5.7`, or the administrator file, e.g. `templates/calendar/2027.yaml`. */
  source: string;
  /** `database`: the days entered in the console or imported (listed by `huifang calendar`, not by this loader). */
  origin: 'package' | 'admin_file' | 'admin_file_replacing_package' | 'database';
}

export interface LoadedCalendar {
  calendar: WorkingCalendar;
  /** Lunar tables for `listTraditionalFestivals`. */
  lunar: LunarConverter;
  /** Installed `chinese-days` version. */
  packageVersion: string;
  /** One entry per covered year, ascending. */
  sources: CalendarYearSource[];
  /** Administrator files read (relative to the repository root when inside it). */
  files: string[];
  /** Things an operator should know but that do not stop the service (a file repeating package data …). */
  notices: string[];
}

export interface LoadCalendarOptions {
  /** Folder of administrator files [templates/calendar]; a missing folder means no additions. */
  dir?: string;
  /** See `BeyondCoverage` [throw]. */
  beyondCoverage?: BeyondCoverage;
  /**
   * Called the first time an answer about `year` assumed weekends only (once per year, not per
   * answer); the caller warns about it.
   */
  onAssumption?: (year: number) => void;
}

const dateSchema = z
  .string({ invalid_type_error: 'must be a date written YYYY-MM-DD' })
  .refine(isLocalDate, (d) => ({ message: `"${d}" is not a valid date (expected YYYY-MM-DD, e.g. 2027-01-01)` }));

const holidaySchema = z
  .object({
    name: z.string().trim().min(1, 'the holiday needs a name (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节)'),
    nameEn: z.string().trim().min(1).optional(),
    from: dateSchema.optional(),
    to: dateSchema.optional(),
    dates: z.array(dateSchema).min(1).optional(),
  })
  .strict()
  .superRefine((h, ctx) => {
    const hasRange = h.from !== undefined || h.to !== undefined;
    if (hasRange === (h.dates !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "from" and "to" (a block of days) or "dates" (a list), not both or neither' });
    } else if (hasRange && (h.from === undefined || h.to === undefined)) {
      ctx.addIssue({ code: 'custom', path: [h.from === undefined ? 'from' : 'to'], message: '"from" and "to" go together' });
    } else if (h.from && h.to && isLocalDate(h.from) && isLocalDate(h.to)) {
      if (h.to < h.from) ctx.addIssue({ code: 'custom', path: ['to'], message: `${h.to} is before "from" ${h.from}` });
      else if (daysBetween(h.from, h.to) > 30) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a holiday block of more than 31 days is surely a typo' });
    }
  });

const makeupSchema = z
  .object({
    date: dateSchema,
    holiday: z.string().trim().min(1, 'name the holiday this make-up working day belongs to'),
  })
  .strict();

const yearSchema = z
  .object({
    year: z.number({ invalid_type_error: 'must be a year like 2027' }).int().min(2000).max(2100),
    source: z.string().trim().min(1, 'cite the notice (title, 国办发明电 number, gov.cn address)'),
    replacesPackageData: z.boolean().optional(),
    holidays: z.array(holidaySchema).min(1, 'a year has holidays'),
    makeupWorkdays: z.array(makeupSchema).default([]),
  })
  .strict()
  .superRefine((y, ctx) => {
    const seen = new Map<LocalDate, string>();
    const note = (date: LocalDate, what: string, path: (string | number)[]) => {
      if (!isLocalDate(date)) return;
      if (!isInYearWindow(date, y.year)) {
        ctx.addIssue({ code: 'custom', path, message: `${date} is not in ${y.year} (only the adjacent December/January may appear)` });
      }
      const other = seen.get(date);
      if (other) ctx.addIssue({ code: 'custom', path, message: `${date} is listed twice: as ${other} and as ${what}` });
      else seen.set(date, what);
    };
    y.holidays.forEach((h, i) => {
      if (h.dates) h.dates.forEach((d, j) => note(d, `a ${h.name} holiday`, ['holidays', i, 'dates', j]));
      else if (h.from && h.to && isLocalDate(h.from) && isLocalDate(h.to) && h.from <= h.to) {
        for (const d of dateRange(h.from, h.to)) note(d, `a ${h.name} holiday`, ['holidays', i, 'from']);
      }
    });
    const names = new Set(y.holidays.map((h) => h.name));
    y.makeupWorkdays.forEach((m, i) => {
      note(m.date, `a make-up working day for ${m.holiday}`, ['makeupWorkdays', i, 'date']);
      if (isLocalDate(m.date) && !isWeekend(m.date)) {
        ctx.addIssue({
          code: 'custom',
          path: ['makeupWorkdays', i, 'date'],
          message: `${m.date} (${weekdayName(m.date)}, ${weekdayName(m.date, 'en')}) is not a Saturday or Sunday: a make-up working day (调休上班) is always a weekend day`,
        });
      }
      if (!names.has(m.holiday)) {
        ctx.addIssue({ code: 'custom', path: ['makeupWorkdays', i, 'holiday'], message: `"${m.holiday}" is not one of this year's holidays (${[...names].join(', ')})` });
      }
    });
  });

const closureSchema = z
  .object({
    date: dateSchema.optional(),
    from: dateSchema.optional(),
    to: dateSchema.optional(),
    reason: z.string().trim().min(1, 'give the reason for the closure (shown to staff and in reports)'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const hasRange = c.from !== undefined || c.to !== undefined;
    if (hasRange === (c.date !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "date" or "from" and "to"' });
    } else if (hasRange && (c.from === undefined || c.to === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.from === undefined ? 'from' : 'to'], message: '"from" and "to" go together' });
    } else if (c.from && c.to && isLocalDate(c.from) && isLocalDate(c.to)) {
      if (c.to < c.from) ctx.addIssue({ code: 'custom', path: ['to'], message: `${c.to} is before "from" ${c.from}` });
      else if (daysBetween(c.from, c.to) > 365) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a closure longer than a year is surely a typo' });
    }
  });

const fileSchema = z
  .object({
    years: z.array(yearSchema).default([]),
    closures: z.array(closureSchema).default([]),
  })
  .strict();

/** Parses and validates one administrator file; throws a `DataLoadError` listing every problem. */
export function parseCalendarFile(text: string, file: string): CalendarFile {
  const source = new YamlSource(text, file, { index: 'bracket', root: '(file)' });
  const data = source.validate(fileSchema, SUBJECT, {});
  const years: AdminYear[] = data.years.map((y, i) => ({
    schedule: {
      year: y.year,
      source: file,
      holidays: y.holidays.flatMap((h) =>
        (h.dates ?? dateRange(h.from!, h.to!)).map((date) => (h.nameEn ? { date, name: h.name, nameEn: h.nameEn } : { date, name: h.name })),
      ),
      makeupWorkdays: y.makeupWorkdays.map((m) => ({ date: m.date, holiday: m.holiday })),
    },
    replacesPackageData: y.replacesPackageData ?? false,
    notice: y.source,
    file,
    line: source.lineAt(['years', i]),
  }));
  const closures: Closure[] = data.closures.flatMap((c) =>
    (c.date ? [c.date] : dateRange(c.from!, c.to!)).map((date) => ({ date, reason: c.reason, source: file })),
  );
  const dateLines = new Map<LocalDate, number>();
  const note = (dates: readonly LocalDate[], path: (string | number)[]) => {
    const line = source.lineAt(path);
    if (line !== null) for (const d of dates) if (!dateLines.has(d)) dateLines.set(d, line);
  };
  data.years.forEach((y, i) => {
    y.holidays.forEach((h, j) => note(h.dates ?? dateRange(h.from!, h.to!), ['years', i, 'holidays', j]));
    y.makeupWorkdays.forEach((m, j) => note([m.date], ['years', i, 'makeupWorkdays', j]));
  });
  data.closures.forEach((c, i) => note(c.date ? [c.date] : dateRange(c.from!, c.to!), ['closures', i]));
  return { file, years, closures, dateLines };
}

/**
 * Loads the package data and the administrator files, merges them and builds the calendar.
 * Merge rules: a year the package lacks comes from its file; a year in both must have the same dates
 * (then the package stays the source and a notice says the file is redundant) unless the file sets
 * `replacesPackageData: true`; a year in two files must agree. Names are not compared (the package
 * writes 中秋 where the notice says 中秋节), only which dates are holidays and make-up days.
 */
export function loadCalendar(options: LoadCalendarOptions = {}): LoadedCalendar {
  const dir = options.dir ?? DEFAULT_CALENDAR_DIR;
  const pkg = readChineseDaysSchedules();
  const problems: DataProblem[] = [];
  const notices: string[] = [];

  const parsed: CalendarFile[] = [];
  for (const name of listYamlFiles(dir)) {
    const file = displayPath(join(dir, name));
    try {
      parsed.push(parseCalendarFile(readFileSync(join(dir, name), 'utf8'), file));
    } catch (err) {
      if (err instanceof DataLoadError) problems.push(...err.details);
      else throw err;
    }
  }

  // One definition per year among the administrator files.
  const adminYears = new Map<number, AdminYear>();
  for (const y of parsed.flatMap((f) => f.years)) {
    const first = adminYears.get(y.schedule.year);
    if (!first) {
      adminYears.set(y.schedule.year, y);
      continue;
    }
    const diff = describeDifference(first.schedule, y.schedule, placeOf(first), placeOf(y));
    if (diff) problems.push({ file: y.file, line: y.line, path: 'years', reason: `${y.schedule.year} is defined twice with conflicting data (also ${placeOf(first)}): ${diff}` });
    else notices.push(`${y.schedule.year} is defined identically in ${placeOf(first)} and ${placeOf(y)}; one can be deleted`);
  }

  const schedules = new Map<number, YearSchedule>();
  const sources = new Map<number, CalendarYearSource>();
  for (const y of pkg.years) {
    schedules.set(y.year, y);
    sources.set(y.year, { year: y.year, source: pkg.source, origin: 'package' });
  }
  for (const [year, admin] of adminYears) {
    const fromPackage = schedules.get(year);
    if (!fromPackage) {
      schedules.set(year, admin.schedule);
      sources.set(year, { year, source: admin.file, origin: 'admin_file' });
      continue;
    }
    const diff = describeDifference(fromPackage, admin.schedule, pkg.source, admin.file);
    if (!diff) {
      notices.push(`${placeOf(admin)}: ${year} is identical to the data shipped in ${pkg.source}; the file's ${year} entry can be deleted`);
    } else if (admin.replacesPackageData) {
      schedules.set(year, admin.schedule);
      sources.set(year, { year, source: `${admin.file} (replaces ${pkg.source})`, origin: 'admin_file_replacing_package' });
      notices.push(`${placeOf(admin)}: ${year} replaces the data shipped in ${pkg.source}: ${diff}`);
    } else {
      problems.push({
        file: admin.file,
        line: admin.line,
        path: 'years',
        reason:
          `${year} differs from the data shipped in ${pkg.source}: ${diff}. ` +
          `If the file is right (an amended notice), set "replacesPackageData: true"; if the package is right, delete the entry.`,
      });
    }
  }
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);

  let calendar: WorkingCalendar;
  try {
    calendar = new WorkingCalendar(
      { years: [...schedules.values()], closures: parsed.flatMap((f) => f.closures) },
      {
        beyondCoverage: options.beyondCoverage ?? 'throw',
        onAssumption: options.onAssumption && oncePerYear(options.onAssumption),
        notCoveredHint:
          `Add the State Council's {year} schedule (国务院办公厅关于{year}年部分节假日安排的通知) as a file in ` +
          `${displayPath(dir)}/ (format: templates/calendar/README.md), or upgrade chinese-days (installed ${pkg.version}) once it ships {year}.`,
      },
    );
  } catch (err) {
    // Cross-source collisions (a 2027 file's 2026-12-31 against the package's 2026) surface here.
    if (err instanceof DomainError && err.code === 'CALENDAR_DATA_INVALID') {
      const reasons = (err.details?.problems as string[] | undefined) ?? [err.message];
      throw new DataLoadError(SUBJECT, reasons.map((reason) => ({ file: null, line: null, path: null, reason })));
    }
    throw err;
  }
  return {
    calendar,
    lunar: createChineseDaysLunarConverter(),
    packageVersion: pkg.version,
    sources: [...sources.values()].sort((a, b) => a.year - b.year),
    files: parsed.map((f) => f.file),
    notices,
  };
}

/**
 * The one line that tells an operator a year's holiday schedule is missing, and how to add it:
 * `警告: 节假日日历尚未包含 2027 年 … huifang calendar import 2027 FILE.yaml …`. With `beyondCoverage`
 * `assume_weekends` (the default) working days in that year count weekends only until then; with
 * `throw`, questions about that year fail.
 */
export function describeMissingYear(year: number, options: { beyondCoverage?: BeyondCoverage } = {}): string {
  const meanwhile = (options.beyondCoverage ?? 'assume_weekends') === 'assume_weekends' ? `${year} 年暂按周末休息计算` : `涉及 ${year} 年工作日的计算将失败`;
  return `警告: 节假日日历尚未包含 ${year} 年（${meanwhile}）— once the State Council publishes the ${year} schedule, run huifang calendar import ${year} FILE.yaml or enter it in the console's 日历 page (docs/calendar.md)`;
}

/** Groups consecutive years with the same source: `[{years: '2004–2026', source: 'chinese-days@1.5.7'}, …]`. */
export function summariseSources(sources: readonly CalendarYearSource[]): { years: string; source: string }[] {
  const out: { years: number[]; source: string }[] = [];
  for (const s of sources) {
    const last = out[out.length - 1];
    if (last && last.source === s.source && last.years[last.years.length - 1] === s.year - 1) last.years.push(s.year);
    else out.push({ years: [s.year], source: s.source });
  }
  return out.map((g) => ({ years: formatYearRanges(g.years), source: g.source }));
}

function describeDifference(a: YearSchedule, b: YearSchedule, aName: string, bName: string): string | undefined {
  const parts: string[] = [];
  const compare = (what: string, left: string[], right: string[]) => {
    const l = new Set(left);
    const r = new Set(right);
    const onlyLeft = left.filter((d) => !r.has(d));
    const onlyRight = right.filter((d) => !l.has(d));
    if (onlyLeft.length) parts.push(`${what} only in ${aName}: ${shortList(onlyLeft)}`);
    if (onlyRight.length) parts.push(`${what} only in ${bName}: ${shortList(onlyRight)}`);
  };
  compare('holidays', a.holidays.map((h) => h.date).sort(), b.holidays.map((h) => h.date).sort());
  compare('make-up working days', a.makeupWorkdays.map((m) => m.date).sort(), b.makeupWorkdays.map((m) => m.date).sort());
  return parts.length ? parts.join('; ') : undefined;
}

function shortList(dates: string[]): string {
  return dates.length > 6 ? `${dates.slice(0, 6).join(', ')} … (${dates.length} in all)` : dates.join(', ');
}

function listYamlFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** `file:line` of an administrator year, for messages that name two places. */
function placeOf(y: AdminYear): string {
  return y.line === null ? y.file : `${y.file}:${y.line}`;
}

/** `fn`, called at most once per year. */
function oncePerYear(fn: (year: number) => void): (year: number) => void {
  const seen = new Set<number>();
  return (year) => {
    if (seen.has(year)) return;
    seen.add(year);
    fn(year);
  };
}
