import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  buildDigest,
  digestFollowUps,
  isDueInPeriod,
  type DigestEscalationRow,
  type DigestFollowUpRow,
  type DigestInput,
  type WeeklyDigest,
} from '../../../../bot/core/digests/build-digest.js';
import { buildDigestDocument } from '../../../../bot/core/digests/digest-document.js';
import { loadMessageTemplates } from '../../../../bot/loaders/load-messages.js';
import { formatWecomMarkdown } from '../../../../bot/channels/wecom/format-markdown.js';
import { utf8Length as utf8Bytes } from '../../../../bot/channels/wecom/text-limits.js';

const templates = loadMessageTemplates(join(import.meta.dirname, '../../../../templates/messages'));

/** The digest as WeCom receives it: the staff document, worded by the shipped templates, rendered by the WeCom channel. */
function renderDigestMarkdown(digest: WeeklyDigest, options: { maxBytes?: number; detailUrl?: string } = {}): string {
  return formatWecomMarkdown(buildDigestDocument(digest, templates, options.detailUrl ? { detailUrl: options.detailUrl } : {}), options.maxBytes ? { maxBytes: options.maxBytes } : {});
}

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}+08:00`);

// The week of Monday 23 to Sunday 29 November 2026, built on Monday 30 November at 08:00.
const FROM = at('2026-11-23T00:00:00');
const TO = at('2026-11-30T00:00:00');
const AS_OF = at('2026-11-30T08:00:00');
const WARD = '心内科病区';
const ICU = '心内科监护室';

function row(id: string, fields: Partial<DigestFollowUpRow> & Pick<DigestFollowUpRow, 'status' | 'deadlineAt'>): DigestFollowUpRow {
  return {
    id,
    outcome: null,
    action: 'STAFF_TASK',
    assigneeName: '李护士',
    departmentName: WARD,
    dueAt: new Date(fields.deadlineAt.getTime() - 5 * 86_400_000),
    completedAt: null,
    ...fields,
  };
}

/**
 * Hand-computed: the rows due in the week (deadline in [FROM, TO), not SKIPPED) are a, b, c, d, e, f,
 * g, j, p — nine. done a b f j (on time a f j; b late), unreachable c p, cancelled e, open d g (d OVERDUE).
 */
const ROWS: DigestFollowUpRow[] = [
  row('a', { status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-11-25T23:59:00'), completedAt: at('2026-11-24T10:00:00') }),
  row('b', { status: 'DONE', outcome: 'DISSATISFIED', deadlineAt: at('2026-11-26T23:59:00'), completedAt: at('2026-11-27T10:00:00') }),
  row('c', { status: 'UNREACHABLE', outcome: 'UNREACHABLE', assigneeName: '周护士', departmentName: ICU, deadlineAt: at('2026-11-27T23:59:00'), completedAt: at('2026-11-27T15:00:00') }),
  row('d', { status: 'OVERDUE', assigneeName: '周护士', departmentName: ICU, deadlineAt: at('2026-11-28T23:59:00') }),
  row('e', { status: 'CANCELLED', action: 'CUSTOMER_SURVEY', assigneeName: null, deadlineAt: at('2026-11-24T20:00:00'), completedAt: at('2026-11-21T10:00:00') }),
  row('f', { status: 'DONE', outcome: 'NEUTRAL', action: 'CUSTOMER_SURVEY', assigneeName: null, deadlineAt: at('2026-11-29T20:00:00'), completedAt: at('2026-11-26T12:00:00') }),
  row('g', { status: 'ACTIVE', action: 'CUSTOMER_SURVEY', assigneeName: null, deadlineAt: at('2026-11-29T23:00:00') }),
  row('h', { status: 'SKIPPED', deadlineAt: at('2026-11-25T23:59:00') }),
  // Deadline exactly at TO: next week's.
  row('i', { status: 'DONE', outcome: 'SATISFIED', deadlineAt: TO, completedAt: at('2026-11-28T10:00:00') }),
  // Deadline exactly at FROM: this week's; completed exactly at the deadline counts as on time.
  row('j', { status: 'DONE', outcome: 'SATISFIED', assigneeName: '陈护士长', deadlineAt: FROM, completedAt: FROM }),
  // Overdue from the week before: backlog, not due this week.
  row('k', { status: 'OVERDUE', deadlineAt: at('2026-11-20T23:59:00') }),
  // Open staff tasks with deadlines after AS_OF: l and o fall within 72 h, m exactly at 72 h does not.
  row('l', { status: 'ACTIVE', deadlineAt: at('2026-12-02T08:00:00'), title: '出院电话回访', customer: '张先生·尾号0002' }),
  row('m', { status: 'SCHEDULED', deadlineAt: at('2026-12-03T08:00:00') }),
  row('n', { status: 'ACTIVE', action: 'CUSTOMER_SURVEY', assigneeName: null, deadlineAt: at('2026-12-01T08:00:00') }),
  row('o', { status: 'SCHEDULED', assigneeName: null, deadlineAt: at('2026-11-30T09:00:00'), title: '重症出院电话回访' }),
  row('p', { status: 'UNREACHABLE', outcome: 'NO_RESPONSE', action: 'CUSTOMER_SURVEY', assigneeName: null, deadlineAt: at('2026-11-25T20:00:00'), completedAt: at('2026-11-25T20:00:00') }),
];

const ESCALATIONS: DigestEscalationRow[] = [
  { id: 'e2', customer: '李女士·尾号0003', reason: 'DISSATISFIED', ownerName: '陈护士长', createdAt: at('2026-11-28T11:00:00'), deadlineAt: at('2026-12-05T11:00:00') },
  { id: 'e1', customer: '王女士·尾号0001', reason: 'DISSATISFIED', ownerName: '王主任', createdAt: at('2026-11-20T09:30:00'), deadlineAt: at('2026-11-27T09:30:00') },
];

/** The input of `ROWS` (or `rows`) as the stores give it: due follow-ups tallied, the backlog counted, upcoming tasks listed. */
function input({ rows = ROWS, ...overrides }: Partial<DigestInput> & { rows?: readonly DigestFollowUpRow[] } = {}): DigestInput {
  return {
    manager: { name: '王主任' },
    period: { from: FROM, to: TO, timeZone: TZ },
    asOf: AS_OF,
    departments: [WARD, ICU],
    ...digestFollowUps(rows, { from: FROM, to: TO }, AS_OF),
    openEscalations: ESCALATIONS,
    previousSatisfactionRate: 0.75,
    ...overrides,
  };
}

describe('isDueInPeriod', () => {
  it('counts a deadline in [from, to) and never a SKIPPED follow-up', () => {
    expect(isDueInPeriod({ status: 'DONE', deadlineAt: FROM }, FROM, TO)).toBe(true);
    expect(isDueInPeriod({ status: 'DONE', deadlineAt: new Date(TO.getTime() - 1) }, FROM, TO)).toBe(true);
    expect(isDueInPeriod({ status: 'DONE', deadlineAt: TO }, FROM, TO)).toBe(false);
    expect(isDueInPeriod({ status: 'DONE', deadlineAt: new Date(FROM.getTime() - 1) }, FROM, TO)).toBe(false);
    expect(isDueInPeriod({ status: 'SKIPPED', deadlineAt: FROM }, FROM, TO)).toBe(false);
  });
});

describe('buildDigest', () => {
  const digest = buildDigest(input());

  it('computes the hand-counted figures of the week', () => {
    expect(digest.figures).toEqual({
      due: 9,
      staffTasks: 5,
      surveys: 4,
      done: 4,
      doneOnTime: 3,
      doneLate: 1,
      unreachable: 2,
      cancelled: 1,
      // Closed by the deadline: a, f, j (done) and c, p (unreachable); required: 9 − 1 cancelled.
      closedOnTime: 5,
      onTimeRate: 5 / 8,
      open: 2,
      overdueOpen: 1,
      overdue: 2,
      contactRate: 4 / 6,
      satisfied: 2,
      neutral: 1,
      dissatisfied: 1,
      satisfactionRate: 0.5,
    });
  });

  it('adds up: due = done + unreachable + cancelled + open, and done = on time + late', () => {
    const f = digest.figures;
    expect(f.done + f.unreachable + f.cancelled + f.open).toBe(f.due);
    expect(f.doneOnTime + f.doneLate).toBe(f.done);
    expect(f.staffTasks + f.surveys).toBe(f.due);
  });

  it('compares satisfaction with the previous period in fraction points', () => {
    expect(digest.previousSatisfactionRate).toBe(0.75);
    expect(digest.satisfactionChange).toBeCloseTo(-0.25, 10);
    expect(buildDigest(input({ previousSatisfactionRate: null })).satisfactionChange).toBeNull();
  });

  it('counts earlier weeks’ overdue follow-ups as backlog only', () => {
    expect(digest.overdueBacklog).toBe(1);
  });

  it('breaks staff tasks down per assignee, most due first', () => {
    expect(digest.byStaff.map((r) => [r.name, r.due, r.done, r.doneOnTime, r.unreachable, r.overdue, r.open])).toEqual([
      ['李护士', 2, 2, 1, 0, 1, 0],
      ['周护士', 2, 0, 0, 1, 1, 1],
      ['陈护士长', 1, 1, 1, 0, 0, 0],
    ]);
    expect(digest.byStaff[0]!.satisfactionRate).toBe(0.5);
    expect(digest.byStaff[1]!.contactRate).toBe(0);
  });

  it('breaks every due follow-up down per case department', () => {
    expect(digest.byDepartment.map((r) => [r.name, r.due, r.done, r.unreachable, r.cancelled, r.open])).toEqual([
      [WARD, 7, 4, 1, 1, 1],
      [ICU, 2, 0, 1, 0, 1],
    ]);
  });

  it('lists open escalations oldest first, flagging those past the owner’s deadline', () => {
    expect(digest.openEscalations.map((e) => [e.id, e.isPastDeadline])).toEqual([
      ['e1', true],
      ['e2', false],
    ]);
  });

  it('lists open staff tasks whose deadline falls within 72 hours of asOf, soonest first', () => {
    expect(digest.becomingOverdue.map((u) => u.id)).toEqual(['o', 'l']);
    expect(digest.becomingOverdue[1]).toEqual({ id: 'l', title: '出院电话回访', assigneeName: '李护士', customer: '张先生·尾号0002', deadlineAt: at('2026-12-02T08:00:00') });
  });

  it('counts a follow-up delivered twice once', () => {
    const twice = buildDigest(input({ rows: [...ROWS, ...ROWS] }));
    expect(twice.figures).toEqual(digest.figures);
  });

  it('gives null rates for an empty week', () => {
    const empty = buildDigest(input({ rows: [], openEscalations: [], previousSatisfactionRate: null }));
    expect(empty.figures.due).toBe(0);
    expect(empty.figures.contactRate).toBeNull();
    expect(empty.figures.satisfactionRate).toBeNull();
    expect(empty.byStaff).toEqual([]);
  });
});

describe('the digest as WeCom markdown', () => {
  it('renders the figures, the lists and the period in Chinese WeCom markdown', () => {
    const text = renderDigestMarkdown(buildDigest(input()));
    expect(text).toContain('### 回访周报｜心内科病区、心内科监护室');
    expect(text).toContain('> 王主任：11月23日（周一） 至 11月29日（周日）（截至 2026-11-30 08:00）');
    expect(text).toContain('**应回访 9 项**（员工 5，问卷 4）= 已完成 4 + 未接通 2 + 已取消 1 + 未结 2');
    expect(text).toContain('按时完成 3｜<font color="warning">逾期 2</font>（未办 1，迟办 1）｜按时率 **62.5%**');
    expect(text).toContain('联系成功率 **66.7%**｜满意率 **50.0%**，较上周 <font color="warning">-25.0</font> 个百分点');
    expect(text).toContain('此前逾期未办 1 项');
    expect(text).toContain('<font color="warning">王主任</font>｜王女士·尾号0001｜客户不满意｜<font color="warning">11月27日已超期</font>');
    expect(text).toContain('**陈护士长**｜李女士·尾号0003｜客户不满意｜12月5日前答复');
    expect(text.indexOf('王女士·尾号0001')).toBeLessThan(text.indexOf('李女士·尾号0003'));
    expect(text).toContain('李护士　应 2｜完成 2（按时 1）｜<font color="warning">逾期 1</font>');
    expect(text).toContain('11-30 09:00｜未指派｜重症出院电话回访');
    expect(text).toContain('12-02 08:00｜李护士｜出院电话回访｜张先生·尾号0002');
    expect(text).toContain(`${ICU}　应 2｜完成 0（按时 0）`);
    expect(text).not.toContain('…另有');
    expect(utf8Bytes(text)).toBeLessThan(2048);
  });

  it('lists each report gathered in an escalation on its line: source, time and words, phones masked', () => {
    const withEvidence: DigestEscalationRow[] = [
      {
        ...ESCALATIONS[0]!,
        evidenceCount: 3,
        evidence: [
          { source: 'staff', at: at('2026-11-28T10:00:00'), note: null },
          { source: 'sms', at: at('2026-11-28T10:05:00'), note: '不满意，请回电13812345678' },
          { source: 'web', at: at('2026-11-28T10:10:00'), note: '出院宣教也没讲清楚，复查时间也没人通知，药也没说明白' },
        ],
      },
      ESCALATIONS[1]!,
    ];
    const text = renderDigestMarkdown(buildDigest(input({ openEscalations: withEvidence })));
    expect(text).toContain('**陈护士长**｜李女士·尾号0003｜客户不满意｜12月5日前答复｜反馈3条：员工回访 11-28 10:00；客户短信 11-28 10:05「不满意，请回电138****5678」；问卷页面 11-28 10:10「出院宣教也没讲清楚，复查时间也没人通知，…」');
    expect(text).not.toContain('13812345678');
    // An escalation without reports keeps its line as it was.
    expect(text).toContain('<font color="warning">11月27日已超期</font>\n');
  });

  it('says when there is nothing to compare with', () => {
    const text = renderDigestMarkdown(buildDigest(input({ previousSatisfactionRate: null })));
    expect(text).toContain('满意率 **50.0%**，上周无数据');
  });

  it('leaves out the department breakdown for a single department', () => {
    const single = ROWS.map((r) => ({ ...r, departmentName: WARD }));
    const text = renderDigestMarkdown(buildDigest(input({ departments: [WARD], rows: single })));
    expect(text).not.toContain('#### 按科室');
  });

  it('stays under 2048 UTF-8 bytes by shortening the longest lists, keeping every figure', () => {
    const many: DigestFollowUpRow[] = [];
    for (let i = 0; i < 60; i++) {
      many.push(row(`s${i}`, { status: 'DONE', outcome: 'SATISFIED', assigneeName: `护士${String(i).padStart(2, '0')}`, deadlineAt: at('2026-11-25T23:59:00'), completedAt: at('2026-11-24T10:00:00') }));
      many.push(row(`u${i}`, { status: 'ACTIVE', assigneeName: `护士${String(i).padStart(2, '0')}`, deadlineAt: at('2026-12-01T23:59:00'), title: '出院电话回访', customer: '某先生·尾号0000' }));
    }
    const escalations = Array.from({ length: 40 }, (_, i) => ({
      ...ESCALATIONS[0]!,
      id: `x${String(i).padStart(2, '0')}`,
      customer: `客户${String(39 - i).padStart(2, '0')}`,
      createdAt: new Date(FROM.getTime() - i * 3_600_000),
    }));
    const digest = buildDigest(input({ rows: many, openEscalations: escalations }));
    const text = renderDigestMarkdown(digest);
    expect(utf8Bytes(text)).toBeLessThanOrEqual(2048);
    expect(text).toContain('**应回访 60 项**');
    // Each shortened list says how many items it left out, and shown + left out = all.
    const lines = text.split('\n');
    for (const [title, total] of [
      ['#### 待处理升级（40）', 40],
      ['#### 按人员（员工回访）', 60],
      ['#### 3天内将逾期（60）', 60],
    ] as const) {
      const start = lines.indexOf(title);
      expect(start).toBeGreaterThan(0);
      let end = start + 1;
      while (end < lines.length && lines[end] !== '' && !lines[end]!.startsWith('…另有')) end++;
      const more = /^…另有(\d+)项$/.exec(lines[end] ?? '');
      expect(more).not.toBeNull();
      expect(end - start - 1 + Number(more![1])).toBe(total);
    }
    // The oldest escalations (created first) are the ones kept.
    expect(text).toContain('｜客户00｜');
    expect(text).not.toContain('｜客户39｜');
  });

  it('ends with the detail link, which is never cut', () => {
    const url = 'https://huifang.example.cn/d/2026-W48~01JSTAFF.abcdefghijklmnop';
    const text = renderDigestMarkdown(buildDigest(input()), { maxBytes: 400, detailUrl: url });
    expect(utf8Bytes(text)).toBeLessThanOrEqual(400);
    expect(text.endsWith(`(${url})`)).toBe(true);
  });

  it("starts an administrator's digest with next year's missing holiday schedule and how to add it, and only when asked", () => {
    const digest = buildDigest(input());
    const document = buildDigestDocument(digest, templates, { missingCalendarYear: 2027 });
    const text = formatWecomMarkdown(document);
    const lines = text.split('\n');
    // Right after the period line, above the figures.
    expect(lines.findIndex((l) => l.includes('节假日安排'))).toBeLessThan(lines.findIndex((l) => l.includes('应回访')));
    expect(lines.find((l) => l.includes('节假日安排'))).toBe('<font color="warning">尚无 2027 年节假日安排</font>：2027 年的工作日暂按周末计算。国务院办公厅公布通知后，请在管理台「日历」录入，或运行 huifang calendar import 2027 文件.yaml（见 docs/calendar.md）');
    expect(renderDigestMarkdown(digest)).not.toContain('节假日安排');
  });

  it('honours a smaller byte budget, cutting at a character boundary as a last resort', () => {
    const digest = buildDigest(input());
    const text = renderDigestMarkdown(digest, { maxBytes: 200 });
    expect(utf8Bytes(text)).toBeLessThanOrEqual(200);
    expect(text.endsWith('…')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });
});
