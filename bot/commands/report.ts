import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { formatRate, type MonthlyReport } from '../core/reports/build-monthly-report.js';
import { isReportMonth } from '../core/reports/report-schedule.js';
import { writeReportFiles } from '../reports/report-files.js';

import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

export const REPORT_USAGE = 'Usage: huifang report monthly --month YYYY-MM [--out DIR] [--department CODE] [--json]';

/**
 * `huifang report monthly --month 2026-10 [--out DIR] [--department CODE] [--json]`: writes the month's
 * XLSX, the CSV tables (departments, staff, types, trend) and the satisfaction chart PNG into DIR
 * [./reports], for the department subtree of CODE or the whole organisation, and prints a summary (with
 * `--json`: month, scope, totals, bands and the files written). Returns the exit code: 0 written, 2 bad
 * arguments or unknown department.
 */
export async function runReportCommand(args: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput, cwd: string = process.cwd()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { month: { type: 'string' }, out: { type: 'string' }, department: { type: 'string' }, json: { type: 'boolean', default: false } } });
  } catch (error) {
    output.err(`${(error as Error).message}\n${REPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals[0] !== 'monthly' || positionals.length !== 1 || !values.month || !isReportMonth(values.month)) {
    output.err(REPORT_USAGE);
    return 2;
  }
  const month = values.month;
  return withApp(async (app) => {
    let rootDepartmentId: string | null = null;
    if (values.department) {
      const org = await app.deps.org.loadOrgSnapshot();
      const department = [...org.departments.values()].find((d) => d.code === values.department);
      if (!department) {
        output.err(`No department with code "${values.department}".`);
        return 2;
      }
      rootDepartmentId = department.id;
    }
    const report = await app.deps.reports.loadMonthlyReport({ rootDepartmentId }, month, app.clock.now());
    const files = await writeReportFiles(report, resolve(cwd, values.out ?? 'reports'), app.deps.templates.monthlyReport);
    printReport(report, files, values.json ?? false, output, app.deps.templates.monthlyReport.bands);
    return 0;
  });
}

function printReport(report: MonthlyReport, files: string[], json: boolean, output: CommandOutput, bands: Readonly<Record<'ABOVE_90' | 'BELOW_70' | 'BELOW_50', string>>): void {
  const f = report.totals;
  if (json) {
    output.out(JSON.stringify({ month: report.month, scope: { name: report.scopeName, code: report.scopeCode }, totals: f, bands: report.bands, files }, null, 2));
    return;
  }
  output.out(`回访月报 ${report.month} — ${report.scopeName}`);
  output.out(`  due ${f.due}: done ${f.done}, unreachable ${f.unreachable}, cancelled ${f.cancelled}, open ${f.open} (overdue ${f.overdue})`);
  output.out(`  on-time rate ${formatRate(f.onTimeRate)}, contact rate ${formatRate(f.contactRate)}, satisfaction rate ${formatRate(f.satisfactionRate)}`);
  for (const band of ['ABOVE_90', 'BELOW_70', 'BELOW_50'] as const) output.out(`  ${bands[band]}: ${report.bands[band].join('、') || '—'}`);
  for (const file of files) output.out(`  wrote ${file}`);
}
