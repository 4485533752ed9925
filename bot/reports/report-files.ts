import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { DigestFigures } from '../core/digests/build-digest.js';
import type { MonthlyReport, SatisfactionBand } from '../core/reports/build-monthly-report.js';
import type { ReportFile } from '../core/reports/send-monthly-reports.js';
import { formatLocalDateTime } from '../core/time.js';
import { renderChartPng } from '../charts/render-chart.js';
import { SATISFACTION_TREND_SIZE, satisfactionTrendOption } from '../charts/satisfaction-trend.js';

/**
 * The files of a monthly report, generated from a `MonthlyReport` (so from the database, on demand):
 * an XLSX workbook (汇总, 按科室, 按人员, 按类型, 满意度趋势 with the chart), CSV files per table
 * (UTF-8 with BOM and CRLF, so Excel opens the Chinese headings correctly) and the trend chart PNG
 * (bot/charts; drawing it needs the CJK font, see `findChartFonts`).
 */

/** The wording the files share with the report message (templates/messages `monthly_report`): the band labels. */
export interface ReportWording {
  bands: Readonly<Record<SatisfactionBand, string>>;
}

/** The department row of cases without a (known) department. */
const NO_DEPARTMENT = '（无科室）';

type Value = string | number | null;
interface Column<T> {
  header: string;
  value(row: T): Value;
  /** Rates are fractions: XLSX formats them as 0.0%, CSV writes 87.5%. */
  rate?: boolean;
}

const FIGURES: Column<DigestFigures>[] = [
  { header: '应回访', value: (f) => f.due },
  { header: '员工回访', value: (f) => f.staffTasks },
  { header: '客户问卷', value: (f) => f.surveys },
  { header: '已完成', value: (f) => f.done },
  { header: '按时完成', value: (f) => f.doneOnTime },
  { header: '迟办', value: (f) => f.doneLate },
  { header: '未接通', value: (f) => f.unreachable },
  { header: '已取消', value: (f) => f.cancelled },
  { header: '未结', value: (f) => f.open },
  { header: '逾期', value: (f) => f.overdue },
  { header: '按时结案', value: (f) => f.closedOnTime },
  { header: '按时率', value: (f) => f.onTimeRate, rate: true },
  { header: '联系成功率', value: (f) => f.contactRate, rate: true },
  { header: '满意', value: (f) => f.satisfied },
  { header: '一般', value: (f) => f.neutral },
  { header: '不满意', value: (f) => f.dissatisfied },
  { header: '满意率', value: (f) => f.satisfactionRate, rate: true },
];

type Table = { name: string; columns: Column<never>[]; rows: unknown[] };

function tables(report: MonthlyReport, wording: ReportWording): Record<'departments' | 'staff' | 'types' | 'trend', Table> {
  const total = { code: '', name: '合计', path: report.scopeName, ...report.totals };
  const typeTotal = { policyId: '', policyName: '合计', stepTitle: '', action: '', ...report.totals };
  const departments: Column<MonthlyReport['byDepartment'][number]>[] = [
    { header: '科室编码', value: (r) => r.code },
    { header: '科室', value: (r) => r.name ?? NO_DEPARTMENT },
    { header: '科室路径', value: (r) => r.path ?? NO_DEPARTMENT },
    ...FIGURES,
  ];
  const staff: Column<MonthlyReport['byStaff'][number]>[] = [
    { header: '姓名', value: (r) => r.name },
    { header: '科室', value: (r) => r.departmentName },
    ...FIGURES,
    { header: '满意率分档', value: (r) => (r.band ? wording.bands[r.band] : '无评价') },
  ];
  const types: Column<(typeof report.byType)[number] | typeof typeTotal>[] = [
    { header: '策略', value: (r) => r.policyId },
    { header: '策略名称', value: (r) => r.policyName },
    { header: '回访项目', value: (r) => r.stepTitle },
    { header: '方式', value: (r) => (r.action === 'STAFF_TASK' ? '员工回访' : r.action === 'CUSTOMER_SURVEY' ? '客户问卷' : '') },
    ...FIGURES,
  ];
  const trend: Column<MonthlyReport['trend'][number]>[] = [
    { header: '月份', value: (r) => r.month },
    { header: '满意', value: (r) => r.satisfied },
    { header: '参评', value: (r) => r.rated },
    { header: '满意率', value: (r) => r.rate, rate: true },
  ];
  return {
    departments: { name: '按科室', columns: departments as Column<never>[], rows: [...report.byDepartment, total] },
    staff: { name: '按人员', columns: staff as Column<never>[], rows: report.byStaff },
    types: { name: '按类型', columns: types as Column<never>[], rows: [...report.byType, typeTotal] },
    trend: { name: '满意度趋势', columns: trend as Column<never>[], rows: report.trend },
  };
}

/** One table of the report as CSV: UTF-8 with BOM, CRLF, RFC 4180 quoting; rates as `87.5%`, empty when undefined. */
export function reportCsv(report: MonthlyReport, table: 'departments' | 'staff' | 'types' | 'trend', wording: ReportWording): string {
  const t = tables(report, wording)[table];
  const lines = [t.columns.map((c) => csvCell(c.header))];
  for (const row of t.rows) {
    lines.push(
      t.columns.map((c) => {
        const v = c.value(row as never);
        return csvCell(v === null ? '' : c.rate ? `${(Number(v) * 100).toFixed(1)}%` : String(v));
      }),
    );
  }
  return `\uFEFF${lines.map((l) => l.join(',')).join('\r\n')}\r\n`;
}

function csvCell(text: string): string {
  // A leading = + - @ would make a spreadsheet evaluate the cell: names and titles are data, never formulas.
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The workbook: a summary sheet, one sheet per table and the trend chart. */
export async function reportXlsx(report: MonthlyReport, wording: ReportWording): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Huifang';
  wb.created = report.generatedAt;
  const summary = wb.addWorksheet('汇总');
  summary.columns = [{ width: 18 }, { width: 40 }];
  const tz = report.timeZone;
  const f = report.totals;
  const summaryRows: [string, Value, boolean?][] = [
    ['报表', `回访月报 ${report.month}`],
    ['范围', report.scopeName],
    ['统计口径', `截止时间在 ${formatLocalDateTime(report.period.from, tz)} 至 ${formatLocalDateTime(new Date(report.period.to.getTime() - 60_000), tz)} 的回访（不含抽样未选中）`],
    ['生成时间', formatLocalDateTime(report.generatedAt, tz)],
    ['应回访', f.due],
    ['已完成', f.done],
    ['未接通', f.unreachable],
    ['已取消', f.cancelled],
    ['未结', f.open],
    ['逾期', f.overdue],
    ['按时率', f.onTimeRate, true],
    ['联系成功率', f.contactRate, true],
    ['满意率', f.satisfactionRate, true],
    [wording.bands.ABOVE_90, report.bands.ABOVE_90.join('、') || '无'],
    [wording.bands.BELOW_70, report.bands.BELOW_70.join('、') || '无'],
    [wording.bands.BELOW_50, report.bands.BELOW_50.join('、') || '无'],
  ];
  for (const [label, value, rate] of summaryRows) {
    const row = summary.addRow([label, value]);
    row.getCell(1).font = { bold: true };
    if (rate) row.getCell(2).numFmt = '0.0%';
  }

  const t = tables(report, wording);
  for (const table of [t.departments, t.staff, t.types, t.trend]) {
    const sheet = wb.addWorksheet(table.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = table.columns.map((c) => ({ header: c.header, width: Math.max(10, c.header.length * 2 + 2) }));
    sheet.getRow(1).font = { bold: true };
    for (const row of table.rows) {
      const added = sheet.addRow(table.columns.map((c) => c.value(row as never)));
      table.columns.forEach((c, i) => {
        if (c.rate) added.getCell(i + 1).numFmt = '0.0%';
      });
    }
    if (table === t.trend) {
      const image = wb.addImage({ buffer: satisfactionChartPng(report, wording) as unknown as ExcelJS.Buffer, extension: 'png' });
      sheet.addImage(image, { tl: { col: 5, row: 1 }, ext: { width: 640, height: 384 } });
    }
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The report's satisfaction trend (by default its last 12 months) as a PNG of {@link SATISFACTION_TREND_SIZE}. */
function satisfactionChartPng(report: MonthlyReport, wording: ReportWording): Buffer {
  return renderChartPng(satisfactionTrendOption(report.trend, wording.bands), SATISFACTION_TREND_SIZE);
}

/** A report file as an HTTP body: bytes, content type and a download file name. */
export async function reportFile(report: MonthlyReport, file: ReportFile, wording: ReportWording): Promise<{ body: Buffer; contentType: string; filename: string }> {
  const base = `huifang-monthly-${report.month}-${report.scopeCode ?? 'all'}`;
  const csv = (table: 'departments' | 'staff' | 'types') => ({
    body: Buffer.from(reportCsv(report, table, wording), 'utf8'),
    contentType: 'text/csv; charset=utf-8',
    filename: `${base}-${table}.csv`,
  });
  switch (file) {
    case 'xlsx':
      return { body: await reportXlsx(report, wording), contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', filename: `${base}.xlsx` };
    case 'staff-csv':
      return csv('staff');
    case 'departments-csv':
      return csv('departments');
    case 'types-csv':
      return csv('types');
    case 'trend-png':
      return { body: satisfactionChartPng(report, wording), contentType: 'image/png', filename: `${base}-satisfaction.png` };
  }
}

/** Writes every file of the report into `dir` (created if needed); returns the paths written. */
export async function writeReportFiles(report: MonthlyReport, dir: string, wording: ReportWording): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const file of ['xlsx', 'departments-csv', 'staff-csv', 'types-csv', 'trend-png'] as const) {
    const { body, filename } = await reportFile(report, file, wording);
    const path = join(dir, filename);
    await writeFile(path, body);
    written.push(path);
  }
  const trendPath = join(dir, `huifang-monthly-${report.month}-${report.scopeCode ?? 'all'}-trend.csv`);
  await writeFile(trendPath, reportCsv(report, 'trend', wording));
  written.push(trendPath);
  return written;
}
