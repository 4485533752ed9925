import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildMonthlyReport, satisfactionBand, tallyReportRows, tallyTrendRows, type MonthlyReportInput, type ReportFollowUpRow } from '../../../../bot/core/reports/build-monthly-report.js';
import { tallyOf } from '../../../../bot/core/digests/build-digest.js';
import { buildReportDocument } from '../../../../bot/core/reports/report-document.js';
import { monthRange } from '../../../../bot/core/reports/report-schedule.js';
import { loadMessageTemplates } from '../../../../bot/loaders/load-messages.js';
import { formatWecomMarkdown } from '../../../../bot/channels/wecom/format-markdown.js';
import { utf8Length as utf8Bytes } from '../../../../bot/channels/wecom/text-limits.js';

const templates = loadMessageTemplates(join(import.meta.dirname, '../../../../templates/messages'));

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}:00+08:00`);

describe('satisfactionBand', () => {
  it('puts > 90 % above, < 50 % and < 70 % below, and 70 %–90 % inclusive in the middle', () => {
    expect([0.91, 0.9, 0.7, 0.6999, 0.5, 0.4999, 0, null].map(satisfactionBand)).toEqual(['ABOVE_90', 'MIDDLE', 'MIDDLE', 'BELOW_70', 'BELOW_70', 'BELOW_50', 'BELOW_50', null]);
  });
});

describe('the monthly report summary as WeCom markdown', () => {
  const rows: ReportFollowUpRow[] = [];
  const staff = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, name: `员工${String(i).padStart(3, '0')}`, wecomUserId: `u${i}`, departmentName: '客服中心' }));
  staff.forEach((s, i) => {
    rows.push({
      id: `f${i}`,
      status: 'DONE',
      outcome: i % 2 === 0 ? 'SATISFIED' : 'DISSATISFIED',
      action: 'STAFF_TASK',
      policyId: 'P7',
      policyName: '物业投诉回访',
      stepTitle: '投诉处理回访',
      assigneeId: s.id,
      assigneeName: s.name,
      departmentId: 'd1',
      deadlineAt: at('2026-10-10T18:00'),
      completedAt: at('2026-10-10T10:00'),
    });
  });
  const input: MonthlyReportInput = {
    month: '2026-10',
    timeZone: TZ,
    scopeName: '客服中心',
    scopeCode: 'service-centre',
    generatedAt: at('2026-11-02T09:00'),
    departments: [{ id: 'd1', code: 'service-centre', name: '客服中心', path: '客服中心' }],
    staff,
    followUps: tallyReportRows(rows, monthRange('2026-10', TZ)),
    trend: [],
    period: monthRange('2026-10', TZ),
  };
  const links = { xlsx: 'https://h.example.cn/r/x.sig', staffCsv: 'https://h.example.cn/r/s.sig', departmentsCsv: 'https://h.example.cn/r/d.sig', chart: 'https://h.example.cn/r/c.sig' };

  it('shortens the band lists to fit 2048 bytes and keeps every link', () => {
    const report = buildMonthlyReport(input);
    expect(report.bands.BELOW_50).toHaveLength(100);
    const text = formatWecomMarkdown(buildReportDocument(report, links, templates, { deadlineAt: at('2026-11-05T16:00') }));
    expect(utf8Bytes(text)).toBeLessThanOrEqual(2048);
    expect(text).toMatch(/低于50%（不发质量奖）：员工001、.*…等100人\n/);
    expect(text).not.toContain('70%–90%');
    expect(text).toContain('> 上报截止 2026-11-05 16:00（节假日不顺延）');
    for (const url of Object.values(links)) expect(text).toContain(`(${url})`);
  });
});

describe('tallies', () => {
  const period = monthRange('2026-10', TZ);
  const statuses = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'] as const;
  const outcomes = ['SATISFIED', 'NEUTRAL', 'DISSATISFIED', 'UNREACHABLE', null] as const;
  // 600 follow-ups over every combination the tables separate, some twice (same id), some outside the month.
  const rows: ReportFollowUpRow[] = Array.from({ length: 600 }, (_, i) => {
    const status = statuses[i % statuses.length]!;
    const deadlineAt = i % 50 === 7 ? at('2026-11-01T00:00') : at(`2026-10-${String(1 + (i % 28)).padStart(2, '0')}T18:00`);
    return {
      id: `f${i % 37 === 0 ? 0 : i}`,
      status,
      outcome: status === 'DONE' ? outcomes[i % 3]! : status === 'UNREACHABLE' ? 'UNREACHABLE' : null,
      action: i % 4 === 0 ? 'CUSTOMER_SURVEY' : 'STAFF_TASK',
      policyId: `P${1 + (i % 3)}`,
      policyName: `制度${1 + (i % 3)}`,
      stepTitle: i % 5 === 0 ? '复诊提醒' : '出院回访',
      assigneeId: i % 6 === 0 ? null : `s${i % 9}`,
      assigneeName: i % 6 === 0 ? null : `员工${i % 9}`,
      departmentId: i % 11 === 0 ? null : `d${i % 3}`,
      deadlineAt,
      completedAt: status === 'DONE' || status === 'UNREACHABLE' ? new Date(deadlineAt.getTime() + (i % 2 === 0 ? -3_600_000 : 3_600_000)) : null,
    };
  });
  const input = (followUps: MonthlyReportInput['followUps']): MonthlyReportInput => ({
    month: '2026-10',
    timeZone: TZ,
    scopeName: '仁和医院',
    scopeCode: null,
    generatedAt: at('2026-11-02T09:00'),
    departments: [0, 1].map((i) => ({ id: `d${i}`, code: `c${i}`, name: `科室${i}`, path: `科室${i}` })),
    staff: [{ id: 's1', name: '员工1', wecomUserId: 'u1', departmentName: '科室0' }],
    followUps,
    trend: tallyTrendRows(rows, TZ),
    period,
  });

  it('give the same report as one tally per follow-up, with far fewer rows', () => {
    const once = [...new Map(rows.map((r) => [r.id, r])).values()].filter((r) => r.status !== 'SKIPPED' && r.deadlineAt >= period.from && r.deadlineAt < period.to);
    const single = once.map((r) => ({ ...tallyOf(r), policyId: r.policyId, policyName: r.policyName, stepTitle: r.stepTitle, assigneeId: r.assigneeId, assigneeName: r.assigneeName, departmentId: r.departmentId }));
    const tallied = tallyReportRows(rows, period);
    expect(tallied.reduce((n, t) => n + t.count, 0)).toBe(once.length);
    expect(tallied.length).toBeLessThan(once.length / 2);
    const report = buildMonthlyReport(input(tallied));
    expect(report).toEqual(buildMonthlyReport(input(single)));
    expect(report.totals.due).toBe(once.length);
    expect(report.byDepartment.map((d) => d.code)).toEqual(['c0', 'c1', '']);
  });

  it('count the trend per local month of the deadline and outcome, done follow-ups only', () => {
    const trend = tallyTrendRows(
      [
        { status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-10-31T23:59') },
        { status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-10-01T00:00') },
        { status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-09-30T23:59') },
        { status: 'DONE', outcome: 'NEUTRAL', deadlineAt: at('2026-10-05T12:00') },
        { status: 'UNREACHABLE', outcome: 'UNREACHABLE', deadlineAt: at('2026-10-05T12:00') },
      ],
      TZ,
    );
    expect(trend).toEqual([
      { month: '2026-10', outcome: 'SATISFIED', count: 2 },
      { month: '2026-09', outcome: 'SATISFIED', count: 1 },
      { month: '2026-10', outcome: 'NEUTRAL', count: 1 },
    ]);
    const points = buildMonthlyReport({ ...input([]), trend, trendMonths: 3 }).trend;
    expect(points).toEqual([
      { month: '2026-08', satisfied: 0, rated: 0, rate: null },
      { month: '2026-09', satisfied: 1, rated: 1, rate: 1 },
      { month: '2026-10', satisfied: 2, rated: 3, rate: 2 / 3 },
    ]);
  });
});
