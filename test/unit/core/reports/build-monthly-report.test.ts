import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildMonthlyReport, satisfactionBand, type MonthlyReportInput, type ReportFollowUpRow } from '../../../../bot/core/reports/build-monthly-report.js';
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
    followUps: rows,
    trendRows: [],
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
