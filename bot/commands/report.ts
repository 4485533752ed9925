import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { PrismaClient } from '../db/client.js';
import type { PolicyRegistry } from '../core/ports.js';
import { formatRate, BAND_LABELS } from '../core/reports/build-monthly-report.js';
import { isReportMonth } from '../core/reports/report-schedule.js';
import { findDepartmentByCode, loadMonthlyReport } from '../db/report-data.js';
import { writeReportFiles } from '../reports/report-files.js';

export const REPORT_USAGE = 'Usage: huifang report monthly --month YYYY-MM [--out DIR] [--department CODE]';

/**
 * `huifang report monthly --month 2026-10 [--out DIR] [--department CODE]`: writes the month's XLSX, the
 * CSV tables (departments, staff, types, trend) and the satisfaction chart PNG into DIR [./reports], for
 * the department subtree of CODE or the whole organisation, and prints a summary. Returns the exit code.
 */
export async function runReportCommand(
  args: string[],
  deps: { prisma: PrismaClient; policies: PolicyRegistry; timeZone: string; now: Date; print?: (line: string) => void; cwd?: string },
): Promise<number> {
  const print = deps.print ?? ((line: string) => console.log(line));
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { month: { type: 'string' }, out: { type: 'string' }, department: { type: 'string' } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${REPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals[0] !== 'monthly' || positionals.length !== 1 || !values.month || !isReportMonth(values.month)) {
    console.error(REPORT_USAGE);
    return 2;
  }
  let rootDepartmentId: string | null = null;
  if (values.department) {
    const department = await findDepartmentByCode(deps.prisma, values.department);
    if (!department) {
      console.error(`No department with code "${values.department}".`);
      return 2;
    }
    rootDepartmentId = department.id;
  }
  const report = await loadMonthlyReport(deps.prisma, { month: values.month, rootDepartmentId, timeZone: deps.timeZone, generatedAt: deps.now, policies: deps.policies });
  const dir = resolve(deps.cwd ?? process.cwd(), values.out ?? 'reports');
  const files = await writeReportFiles(report, dir);
  const f = report.totals;
  print(`回访月报 ${report.month} — ${report.scopeName}`);
  print(`  due ${f.due}: done ${f.done}, unreachable ${f.unreachable}, cancelled ${f.cancelled}, open ${f.open} (overdue ${f.overdue})`);
  print(`  on-time rate ${formatRate(f.onTimeRate)}, contact rate ${formatRate(f.contactRate)}, satisfaction rate ${formatRate(f.satisfactionRate)}`);
  for (const band of ['ABOVE_90', 'BELOW_70', 'BELOW_50'] as const) print(`  ${BAND_LABELS[band]}: ${report.bands[band].join('、') || '—'}`);
  for (const file of files) print(`  wrote ${file}`);
  return 0;
}
