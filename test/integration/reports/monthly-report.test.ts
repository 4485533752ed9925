import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { jobs } from '../../../jobs/index.js';
import { findDepartmentByCode, loadMonthlyReport } from '../../../bot/db/report-store.js';
import type { MonthlyReport } from '../../../bot/core/reports/build-monthly-report.js';
import { reportCsv, reportFile, reportXlsx } from '../../../bot/reports/report-files.js';
import { renderChartSvg } from '../../../bot/charts/render-chart.js';
import { SATISFACTION_LINE_COLOR, SATISFACTION_TREND_GRID, SATISFACTION_TREND_SIZE, satisfactionTrendOption } from '../../../bot/charts/satisfaction-trend.js';
import { runReportCommand } from '../../../bot/commands/report.js';
import type { StaffDocument } from '../../../bot/core/messages.js';
import { formatWecomMarkdown } from '../../../bot/channels/wecom/format-markdown.js';
import { utf8Length as utf8Bytes } from '../../../bot/channels/wecom/text-limits.js';
import { describeEachDatabase } from '../../support/db.js';
import { countPixels, decodePng, isColour, isInk, type DecodedPng } from '../../support/png-pixels.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { at, insertFollowUps, type FollowUpSpec } from './follow-up-rows.js';

type JobSummary = { month: string | null; recipients: number; enqueued: number; alreadySent: number };

const times = (n: number, spec: FollowUpSpec): FollowUpSpec[] => Array.from({ length: n }, () => spec);
const ward = (assignee: string | null, rest: Omit<FollowUpSpec, 'department' | 'assignee'>): FollowUpSpec => ({ department: 'cardiology', assignee, ...rest });
const centre = (assignee: string, rest: Omit<FollowUpSpec, 'department' | 'assignee'>): FollowUpSpec => ({ department: 'service-centre', assignee, ...rest });
const sat = (deadline: string, completed: string, outcome: FollowUpSpec['outcome'] = 'SATISFIED') => ({ status: 'DONE' as const, outcome, deadlineAt: at(deadline), completedAt: at(completed) });

const { width: CHART_WIDTH, height: CHART_HEIGHT } = SATISFACTION_TREND_SIZE;
const isLine = isColour(SATISFACTION_LINE_COLOR);

/** Centre of the point of month `index` (of 12) at `percent`, in PNG pixels. */
function trendPoint(index: number, percent: number): { x: number; y: number } {
  const { left, right, top, bottom } = SATISFACTION_TREND_GRID;
  return { x: Math.round(left + ((CHART_WIDTH - left - right) * (index + 0.5)) / 12), y: Math.round(top + (CHART_HEIGHT - top - bottom) * (1 - percent / 100)) };
}
const around = ({ x, y }: { x: number; y: number }, r = 3) => ({ x0: x - r, y0: y - r, x1: x + r + 1, y1: y + r + 1 });

/**
 * Checks a satisfaction chart PNG (valid chunks and CRCs, 800 × 480, opaque) and that it shows text in
 * the title, month-label and legend areas and a drawn line; returns the pixels for further checks.
 */
function expectValidChart(png: Buffer): DecodedPng {
  const image = decodePng(png);
  expect([image.width, image.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
  expect(countPixels(image, { x0: 0, y0: 0, x1: CHART_WIDTH, y1: CHART_HEIGHT }, (_r, _g, _b, a) => a === 255)).toBe(CHART_WIDTH * CHART_HEIGHT);
  const { left, right, top, bottom } = SATISFACTION_TREND_GRID;
  const areas = {
    title: { x0: 150, y0: 10, x1: 650, y1: top - 20 },
    months: { x0: left, y0: CHART_HEIGHT - bottom + 8, x1: CHART_WIDTH - right, y1: CHART_HEIGHT - bottom + 45 },
    legend: { x0: 0, y0: CHART_HEIGHT - 40, x1: CHART_WIDTH, y1: CHART_HEIGHT },
  };
  for (const [name, box] of Object.entries(areas)) expect(countPixels(image, box, isInk), name).toBeGreaterThan(300);
  expect(countPixels(image, { x0: left, y0: top - 20, x1: CHART_WIDTH - right, y1: CHART_HEIGHT - bottom }, isLine)).toBeGreaterThan(50);
  return image;
}

// October 2026, counted by deadline (Asia/Shanghai). Hand-counted figures are written out in each test.
describeEachDatabase('monthly report', (db) => {
  let clock: FakeClock;
  let app: Huifang;
  let report: MonthlyReport;

  beforeAll(async () => {
    await seedOrganisation(db());
    clock = new FakeClock(at('2026-11-02T08:00'));
    app = createTestService(db().url, sharedDbClient(db()), clock);
    await insertFollowUps(db().prisma, [
      // Ward: 李护士 10 satisfied (100 %), 周护士 4 of 6 (66.7 %, one done late, one still overdue), 陈护士长 1 of 3.
      ...times(10, ward('hushi.li', sat('2026-10-12T23:59', '2026-10-12T10:00'))),
      ...times(4, ward('hushi.zhou', sat('2026-10-14T23:59', '2026-10-14T10:00'))),
      ward('hushi.zhou', sat('2026-10-15T23:59', '2026-10-16T09:00', 'DISSATISFIED')),
      ward('hushi.zhou', sat('2026-10-15T23:59', '2026-10-15T09:00', 'DISSATISFIED')),
      ward('hushi.zhou', { status: 'OVERDUE', deadlineAt: at('2026-10-30T23:59') }),
      ward('hushizhang.chen', sat('2026-10-20T23:59', '2026-10-20T10:00')),
      ...times(2, ward('hushizhang.chen', sat('2026-10-20T23:59', '2026-10-20T11:00', 'DISSATISFIED'))),
      // Ward surveys: answered, unanswered (expired at the deadline), cancelled; one left out by sampling.
      ward(null, { action: 'CUSTOMER_SURVEY', ...sat('2026-10-22T20:00', '2026-10-20T12:00') }),
      ward(null, { action: 'CUSTOMER_SURVEY', status: 'UNREACHABLE', outcome: 'NO_RESPONSE', deadlineAt: at('2026-10-23T20:00'), completedAt: at('2026-10-23T20:00') }),
      ward(null, { action: 'CUSTOMER_SURVEY', status: 'CANCELLED', deadlineAt: at('2026-10-24T20:00'), completedAt: at('2026-10-18T08:00') }),
      ward(null, { action: 'CUSTOMER_SURVEY', status: 'SKIPPED', deadlineAt: at('2026-10-24T20:00') }),
      // November's, not October's: the deadline is exactly the end of the month.
      ward('hushi.li', sat('2026-11-01T00:00', '2026-10-31T10:00', 'DISSATISFIED')),
      // August: 1 of 2 satisfied (trend).
      ward('hushi.li', sat('2026-08-10T23:59', '2026-08-10T10:00')),
      ward('hushi.li', sat('2026-08-11T23:59', '2026-08-11T10:00', 'DISSATISFIED')),
      // Service centre: 吴助理 4 of 5 (80 %), 郑助理 9 of 10 (exactly 90 %), 钱师傅 unreachable, late.
      ...times(4, centre('zhuli.wu', sat('2026-10-08T18:00', '2026-10-08T10:00'))),
      centre('zhuli.wu', sat('2026-10-08T18:00', '2026-10-08T11:00', 'NEUTRAL')),
      ...times(9, centre('zhuli.zheng', sat('2026-10-09T18:00', '2026-10-09T10:00'))),
      centre('zhuli.zheng', sat('2026-10-09T18:00', '2026-10-09T11:00', 'NEUTRAL')),
      centre('weixiu.qian', { status: 'UNREACHABLE', outcome: 'UNREACHABLE', deadlineAt: at('2026-10-10T18:00'), completedAt: at('2026-10-11T09:00') }),
    ]);
    report = await loadMonthlyReport(db(), { month: '2026-10', rootDepartmentId: null, timeZone: 'Asia/Shanghai', generatedAt: clock.now(), policies: app.deps.policies });
  });

  it('counts the month’s follow-ups by deadline, with the rates’ stated denominators', () => {
    // due 39 = ward 23 (20 tasks + 3 surveys) + centre 16; done 35 (1 late), unreachable 2, cancelled 1, open 1.
    expect(report.totals).toEqual({
      due: 39,
      staffTasks: 36,
      surveys: 3,
      done: 35,
      doneOnTime: 34,
      doneLate: 1,
      unreachable: 2,
      cancelled: 1,
      closedOnTime: 35,
      onTimeRate: 35 / 38,
      open: 1,
      overdueOpen: 1,
      overdue: 2,
      contactRate: 35 / 37,
      satisfied: 29,
      neutral: 2,
      dissatisfied: 4,
      satisfactionRate: 29 / 35,
    });
  });

  it('breaks the month down per department, per follow-up type and per staff member with the satisfaction bands', () => {
    expect(report.byDepartment.map((d) => [d.path, d.due, d.done, d.unreachable, d.cancelled, d.open, d.closedOnTime, d.satisfied, d.neutral, d.dissatisfied])).toEqual([
      ['仁和医院', 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ['仁和医院/心内科病区', 23, 20, 1, 1, 1, 20, 16, 0, 4],
      ['锦绣物业公司', 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ['锦绣物业公司/锦绣花园客服中心', 16, 15, 1, 0, 0, 15, 13, 2, 0],
    ]);
    expect(report.byDepartment[1]!.onTimeRate).toBe(20 / 22);
    expect(report.byDepartment[1]!.satisfactionRate).toBe(0.8);
    expect(report.byType.map((t) => [t.policyId, t.stepTitle, t.action, t.due, t.done])).toEqual([
      ['P4', '出院电话回访', 'STAFF_TASK', 20, 19],
      ['P4', '住院满意度问卷', 'CUSTOMER_SURVEY', 3, 1],
      ['P7', '投诉处理回访', 'STAFF_TASK', 16, 15],
    ]);
    const staff = Object.fromEntries(report.byStaff.map((s) => [s.name, [s.due, s.done, s.satisfied, s.satisfactionRate, s.band]]));
    expect(staff).toEqual({
      刘院长: [0, 0, 0, null, null],
      王主任: [0, 0, 0, null, null],
      陈护士长: [3, 3, 1, 1 / 3, 'BELOW_50'],
      李护士: [10, 10, 10, 1, 'ABOVE_90'],
      周护士: [7, 6, 4, 4 / 6, 'BELOW_70'],
      赵经理: [0, 0, 0, null, null],
      孙主管: [0, 0, 0, null, null],
      吴助理: [5, 5, 4, 0.8, 'MIDDLE'],
      郑助理: [10, 10, 9, 0.9, 'MIDDLE'],
      钱师傅: [1, 0, 0, null, null],
    });
    const zhou = report.byStaff.find((s) => s.name === '周护士')!;
    expect([zhou.doneLate, zhou.overdue, zhou.onTimeRate]).toEqual([1, 2, 5 / 7]);
    expect(report.byStaff.find((s) => s.name === '钱师傅')!.onTimeRate).toBe(0);
    expect(report.bands).toEqual({ ABOVE_90: ['李护士'], MIDDLE: ['吴助理', '郑助理'], BELOW_70: ['周护士'], BELOW_50: ['陈护士长'] });
  });

  it('shows the satisfaction trend of the last 12 months', () => {
    expect(report.trend).toHaveLength(12);
    expect(report.trend[0]).toEqual({ month: '2025-11', satisfied: 0, rated: 0, rate: null });
    expect(report.trend.find((t) => t.month === '2026-08')).toEqual({ month: '2026-08', satisfied: 1, rated: 2, rate: 0.5 });
    expect(report.trend.find((t) => t.month === '2026-09')!.rate).toBeNull();
    expect(report.trend[11]).toEqual({ month: '2026-10', satisfied: 29, rated: 35, rate: 29 / 35 });
  });

  it('limits the report to a department subtree', async () => {
    const cardiology = (await findDepartmentByCode(db().prisma, 'cardiology'))!;
    const scoped = await loadMonthlyReport(db(), { month: '2026-10', rootDepartmentId: cardiology.id, timeZone: 'Asia/Shanghai', generatedAt: clock.now(), policies: app.deps.policies });
    expect([scoped.scopeName, scoped.scopeCode, scoped.totals.due, scoped.totals.satisfactionRate]).toEqual(['心内科病区', 'cardiology', 23, 0.8]);
    expect(scoped.byDepartment.map((d) => d.path)).toEqual(['心内科病区']);
    expect(scoped.byStaff.map((s) => s.name).sort()).toEqual(['李护士', '王主任', '周护士', '陈护士长'].sort());
  });

  it('writes an XLSX that reads back with the expected cells', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await reportXlsx(report, app.deps.templates.monthlyReport)) as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '按科室', '按人员', '按类型', '满意度趋势']);
    const summary = wb.getWorksheet('汇总')!;
    expect(summary.getCell('A5').value).toBe('应回访');
    expect(summary.getCell('B5').value).toBe(39);
    expect(summary.getCell('A13').value).toBe('满意率');
    expect(summary.getCell('B13').value).toBeCloseTo(29 / 35, 10);
    expect(summary.getCell('B13').numFmt).toBe('0.0%');
    const staff = wb.getWorksheet('按人员')!;
    const header = (staff.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 4)).toEqual(['姓名', '科室', '应回访', '员工回访']);
    const col = (name: string) => header.indexOf(name) + 1;
    const li = staff.getRows(2, staff.rowCount - 1)!.find((r) => r.getCell(1).value === '李护士')!;
    expect([li.getCell(col('科室')).value, li.getCell(col('应回访')).value, li.getCell(col('满意率')).value, li.getCell(col('满意率分档')).value]).toEqual(['心内科病区', 10, 1, '高于90%（奖励）']);
    const qian = staff.getRows(2, staff.rowCount - 1)!.find((r) => r.getCell(1).value === '钱师傅')!;
    expect([qian.getCell(col('满意率')).value, qian.getCell(col('按时率')).value, qian.getCell(col('满意率分档')).value]).toEqual([null, 0, '无评价']);
    const departments = wb.getWorksheet('按科室')!;
    const last = departments.getRow(departments.rowCount);
    expect([last.getCell(2).value, last.getCell(4).value]).toEqual(['合计', 39]);
    const images = wb.getWorksheet('满意度趋势')!.getImages();
    expect(images).toHaveLength(1);
    const chart = wb.getImage(Number(images[0]!.imageId));
    expect(chart.extension).toBe('png');
    expectValidChart(Buffer.from(chart.buffer as unknown as Uint8Array));
  });

  it('writes CSV tables with a BOM, Chinese headings and percentages', () => {
    const csv = reportCsv(report, 'staff', app.deps.templates.monthlyReport);
    expect(csv.startsWith('\uFEFF姓名,科室,应回访,')).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines).toHaveLength(11);
    expect(lines.find((l) => l.startsWith('周护士,'))).toBe('周护士,心内科病区,7,7,0,6,5,1,0,0,1,2,5,71.4%,100.0%,4,0,2,66.7%,低于70%（批评教育）');
  });

  it('draws the satisfaction trend as a PNG: the points, the gaps and the Chinese labels in the CJK font', async () => {
    const image = expectValidChart((await reportFile(report, 'trend-png', app.deps.templates.monthlyReport)).body);
    // August 50.0 %, September without a rating (a gap), October 82.9 %.
    expect(countPixels(image, around(trendPoint(9, 50)), isLine)).toBeGreaterThan(20);
    expect(countPixels(image, around(trendPoint(11, 82.9)), isLine)).toBeGreaterThan(20);
    const september = trendPoint(10, 0).x;
    expect(countPixels(image, { x0: september - 5, y0: SATISFACTION_TREND_GRID.top - 20, x1: september + 6, y1: CHART_HEIGHT - SATISFACTION_TREND_GRID.bottom }, isLine)).toBe(0);
    // Months before August have no rating: nothing drawn there.
    expect(countPixels(image, { x0: SATISFACTION_TREND_GRID.left, y0: SATISFACTION_TREND_GRID.top - 20, x1: trendPoint(8, 0).x, y1: CHART_HEIGHT - SATISFACTION_TREND_GRID.bottom }, isLine)).toBe(0);
  });

  it('draws the satisfaction trend as an SVG with its labels as text', () => {
    const svg = renderChartSvg(satisfactionTrendOption(report.trend, app.deps.templates.monthlyReport.bands), SATISFACTION_TREND_SIZE);
    for (const label of ['满意率趋势（2025-11 至 2026-10）', '满意率（满意÷参评）', '高于90%（奖励）', '低于70%（批评教育）', '低于50%（不发质量奖）', '50.0%', '82.9%', '2026-10', '参评 35', '参评 2', '100%', '90%']) {
      expect(svg).toContain(`>${label}</text>`);
    }
  });

  it('writes every file from the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-report-'));
    try {
      const lines: string[] = [];
      const output = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
      const code = await runReportCommand(['monthly', '--month', '2026-10', '--out', dir, '--department', 'cardiology'], async (fn) => fn(app), output);
      expect(code).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(
        ['.xlsx', '-departments.csv', '-satisfaction.png', '-staff.csv', '-trend.csv', '-types.csv'].map((s) => `huifang-monthly-2026-10-cardiology${s}`).sort(),
      );
      expect(lines.join('\n')).toContain('satisfaction rate 80.0%');
      expectValidChart(readFileSync(join(dir, 'huifang-monthly-2026-10-cardiology-satisfaction.png')));
      expect(await runReportCommand(['monthly', '--month', '2026-13'], async (fn) => fn(app), output)).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('delivery', () => {
    const runJob = async () => (await jobs['send-monthly-reports']!.run(app)) as JobSummary;

    it('sends each manager one summary with signed download links on the first working day at 09:00', async () => {
      // 1 November 2026 is a Sunday: the first working day is Monday 2 November.
      clock.set(at('2026-11-02T08:59'));
      expect(await runJob()).toEqual({ month: null, recipients: 0, enqueued: 0, alreadySent: 0 });
      clock.set(at('2026-11-02T09:00'));
      expect(await runJob()).toEqual({ month: '2026-10', recipients: 4, enqueued: 4, alreadySent: 0 });
      clock.set(at('2026-11-20T15:00'));
      expect(await runJob()).toEqual({ month: '2026-10', recipients: 4, enqueued: 0, alreadySent: 4 });
      const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'report:', endsWith: ':2026-10' } } });
      expect(rows).toHaveLength(4);
    });

    it('serves the files behind the links from the database and rejects altered links', async () => {
      const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'report:', endsWith: ':2026-10' } } });
      const payload = rows.map((r) => JSON.parse(r.payload) as { kind: string; document: StaffDocument; to: { wecomUserId: string } }).find((m) => m.to.wecomUserId === 'kezhuren.wang')!;
      expect(payload.kind).toBe('staff_document');
      // As WeCom receives it: the document rendered by the WeCom channel.
      const message = { markdown: formatWecomMarkdown(payload.document) };
      expect(message.markdown).toContain('### 回访月报｜心内科病区｜2026年10月');
      expect(message.markdown).toContain('> 上报截止 2026-11-05 16:00（节假日不顺延）');
      expect(message.markdown).toContain('按时率 **90.9%**｜联系成功率 **95.2%**｜满意率 **80.0%**');
      expect(message.markdown).toContain('高于90%（奖励）：李护士');
      expect(message.markdown).toContain('低于70%（批评教育）：周护士');
      expect(message.markdown).toContain('低于50%（不发质量奖）：陈护士长');
      expect(utf8Bytes(message.markdown)).toBeLessThanOrEqual(2048);
      const links = [...message.markdown.matchAll(/\((http:\/\/localhost:3000\/r\/[^)]+)\)/g)].map((m) => m[1]!);
      expect(links).toHaveLength(4);
      const path = (url: string) => url.slice('http://localhost:3000'.length);
      const server = await listen(app);
      try {
        const xlsx = await fetch(`${server.baseUrl}${path(links[0]!)}`);
        expect(xlsx.status).toBe(200);
        expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        expect(xlsx.headers.get('content-disposition')).toContain('huifang-monthly-2026-10-cardiology.xlsx');
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load((await xlsx.arrayBuffer()) as unknown as ExcelJS.Buffer);
        expect(wb.getWorksheet('汇总')!.getCell('B5').value).toBe(23);

        const csv = await fetch(`${server.baseUrl}${path(links[1]!)}`);
        expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(await csv.text()).toContain('李护士,心内科病区,10,');

        const png = await fetch(`${server.baseUrl}${path(links[3]!)}`);
        expect(png.headers.get('content-type')).toBe('image/png');
        expectValidChart(Buffer.from(await png.arrayBuffer()));

        const signed = path(links[0]!).slice('/r/'.length);
        const [id, signature] = [signed.slice(0, signed.lastIndexOf('.')), signed.slice(signed.lastIndexOf('.') + 1)];
        const otherDepartment = (await findDepartmentByCode(db().prisma, 'property'))!.id;
        const tampered = [
          `${id.replace('2026-10', '2026-09')}.${signature}`,
          `${id.replace(/~[^~]+~/, `~${otherDepartment}~`)}.${signature}`,
          `${id.replace('~xlsx', '~staff-csv')}.${signature}`,
          `${id}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
          id,
          `${id}.`,
          // Signed for the digest page: the purpose is part of the signature.
          await app.deps.links.sign('digest', id),
        ];
        for (const bad of tampered) {
          const res = await fetch(`${server.baseUrl}/r/${encodeURIComponent(bad)}`);
          expect(res.status, bad).toBe(404);
        }
      } finally {
        await server.close();
      }
    });
  });
});
