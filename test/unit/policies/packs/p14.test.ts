// P14 投诉处理与满意度回访 (seed 003): the real pack, the real calendar, a law firm with partners.
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { excludedStaffId, resolveRule } from '../../../../bot/core/policies/plan-follow-ups.js';
import { at, buildOrg, examples, facts, factsFromBody, keys, loadPack, plan, step, type OrgSpec } from './packs-b-helpers.js';

const P14 = loadPack('P14');

// 律师事务所: 主任 (manager, also a partner) at the top; 业务部 with its 分管合伙人 (head), another partner,
// two 专门负责人 (complaint officers) and a lawyer.
const LAW_FIRM: OrgSpec = {
  departments: [
    { code: 'lvsuo', parent: null, head: 'zhuren.song' },
    { code: 'yewu', parent: 'lvsuo', head: 'hehuoren.tang' },
  ],
  staff: [
    { id: 'zhuren.song', department: 'lvsuo', roles: ['manager', 'partner'] },
    { id: 'hehuoren.tang', department: 'yewu', roles: ['partner', 'department_head'], supervisor: 'zhuren.song' },
    { id: 'hehuoren.luo', department: 'yewu', roles: ['partner'], supervisor: 'zhuren.song' },
    { id: 'fuzeren.qiu', department: 'yewu', roles: ['complaint_officer'], supervisor: 'hehuoren.tang' },
    { id: 'fuzeren.shen', department: 'yewu', roles: ['complaint_officer'], supervisor: 'hehuoren.tang' },
    { id: 'lvshi.bai', department: 'yewu', roles: ['lawyer'], supervisor: 'hehuoren.tang' },
  ],
};
const org = buildOrg(LAW_FIRM);

function complaint(occurredAt: string, attributes: Record<string, unknown>, milestones: Record<string, Date> = {}, responsibleStaffId = 'fuzeren.qiu'): CaseFacts {
  return facts({
    type: 'service_complaint',
    externalId: 'TS-1',
    occurredAt: at(occurredAt),
    departmentId: 'yewu',
    responsibleStaffId,
    attributes,
    milestones,
  });
}

describe('P14 general complaints', () => {
  it('registers, replies within 5 working days and waits for the reply before the satisfaction survey', () => {
    // 一(四)「填写投诉或意见反响处理登记表及台帐…转给相关处理人员」; 二(五)「应及时与投诉人…联系，明确告知处理的工作安排状况」
    const { planned, waiting } = plan(P14, complaint('2026-03-03T10:15:00+08:00', { severity: 'general', subjectStaffId: 'lvshi.bai' }), org);

    expect(keys(planned)).toEqual(['register', 'reply']);
    expect(step(planned, 'register')).toMatchObject({
      earliestAt: at('2026-03-03T10:15:00+08:00'),
      dueAt: at('2026-03-03T10:15:00+08:00'),
      deadlineAt: at('2026-03-04T23:59:00+08:00'),
      assigneeId: 'fuzeren.qiu',
      assigneeRule: 'responsible',
    });
    expect(step(planned, 'reply')).toMatchObject({ deadlineAt: at('2026-03-10T23:59:00+08:00'), assigneeId: 'fuzeren.qiu' });
    expect(waiting).toEqual([{ step: 'satisfaction_survey', anchor: 'milestone:replied' }]);
  });

  it('never assigns the person complained about, even when they are the responsible officer', () => {
    // 二(一)「被投诉人应当回避」
    const about = complaint('2026-03-03T10:15:00+08:00', { severity: 'general', subjectStaffId: 'fuzeren.qiu' });
    expect(excludedStaffId(about)).toBe('fuzeren.qiu');
    const { planned } = plan(P14, about, org);

    for (const p of planned) expect(p.assigneeId, p.step).not.toBe('fuzeren.qiu');
    expect(step(planned, 'register')).toMatchObject({ assigneeId: 'fuzeren.shen', assigneeRule: 'role:complaint_officer' });
    expect(step(planned, 'reply')).toMatchObject({ assigneeId: 'fuzeren.shen', assigneeRule: 'role:complaint_officer' });
    // Both officers complained about (one is the subject, the other has left): the partner in charge (department head).
    const { planned: noOfficer } = plan(P14, about, buildOrg(LAW_FIRM, ['fuzeren.shen']));
    expect(step(noOfficer, 'reply')).toMatchObject({ assigneeId: 'hehuoren.tang', assigneeRule: 'department_head' });
  });

  it('surveys satisfaction with the handling by SMS from the day after the reply', () => {
    // 三(二)「调查相关人员对处理意见的满意度」
    const { planned } = plan(P14, complaint('2026-03-03T10:15:00+08:00', { severity: 'general' }, { replied: at('2026-03-09T15:00:00+08:00') }), org);

    expect(step(planned, 'satisfaction_survey')).toMatchObject({
      action: 'CUSTOMER_SURVEY',
      channel: 'wechat',
      earliestAt: at('2026-03-10T10:00:00+08:00'),
      dueAt: at('2026-03-10T10:00:00+08:00'),
      deadlineAt: at('2026-03-16T20:00:00+08:00'),
      assigneeId: null,
      surveyKey: 'satisfaction-5',
    });
  });
});

describe('P14 major complaints', () => {
  it('reports a major complaint to a partner at once and has a partner reply within 10 working days (over Spring Festival)', () => {
    // 「(六)报告：重大投诉，必须马上报各部门主管或公司领导」; 二(二)「重大事项应由所务会议或合伙人会议讨论决定」;
    // 「(二)遇到重大投诉…向投诉用户解释原因，并确定回复时间」
    const { planned } = plan(P14, complaint('2026-02-13T17:30:00+08:00', { severity: 'major', subjectStaffId: 'lvshi.bai' }), org);

    expect(keys(planned)).toEqual(['register', 'major_report', 'reply_major']);
    // Register by the end of the next working day: the make-up Saturday 14 February.
    expect(step(planned, 'register').deadlineAt).toEqual(at('2026-02-14T23:59:00+08:00'));
    const report = step(planned, 'major_report');
    expect(report).toMatchObject({
      title: '重大投诉立即报告合伙人',
      earliestAt: at('2026-02-13T17:30:00+08:00'),
      dueAt: at('2026-02-13T17:30:00+08:00'),
      deadlineAt: at('2026-02-13T19:30:00+08:00'),
      assigneeRule: 'role:partner',
    });
    // One of the two partners of the department, chosen by a stable hash of the case id.
    expect(report.assigneeId).toBe('hehuoren.tang');
    // Working days: Sat 14 (make-up), 24, 25, 26, 27, Sat 28 (make-up), 2, 3, 4, 5 March.
    expect(step(planned, 'reply_major')).toMatchObject({ deadlineAt: at('2026-03-05T23:59:00+08:00'), assigneeId: report.assigneeId, assigneeRule: 'role:partner' });
  });

  it('passes over the partner complained about (the partner in charge) and chooses the other partner', () => {
    // 二(一)「被投诉人应当回避」; 二(二)「如分管合伙人不在，那么由主任或其他合伙人处理」
    const { planned } = plan(P14, complaint('2026-02-13T17:30:00+08:00', { severity: 'major', subjectStaffId: 'hehuoren.tang' }), org);

    expect(step(planned, 'major_report')).toMatchObject({ assigneeId: 'hehuoren.luo', assigneeRule: 'role:partner' });
    expect(step(planned, 'reply_major')).toMatchObject({ assigneeId: 'hehuoren.luo', assigneeRule: 'role:partner' });
  });

  it('goes up to the director (主任, also a partner) when no other partner of the department is available', () => {
    // 二(二)「如分管合伙人不在，那么由主任或其他合伙人处理」
    const { planned } = plan(P14, complaint('2026-02-13T17:30:00+08:00', { severity: 'major', subjectStaffId: 'hehuoren.tang' }), buildOrg(LAW_FIRM, ['hehuoren.luo']));

    expect(step(planned, 'major_report')).toMatchObject({ assigneeId: 'zhuren.song', assigneeRule: 'role:partner' });
  });
});

describe('P14 escalation', () => {
  it('returns a dissatisfied answer to the handler, or to a partner when the handler is the person complained about', () => {
    // 三(三)「如投诉人或被投诉人对处理意见不满意，应及时向处理人员反映，并做好后续工作」
    expect(P14.escalation.dissatisfiedTo).toEqual(['responsible', 'role:partner', 'manager']);
    const ordinary = complaint('2026-03-03T10:15:00+08:00', { severity: 'general', subjectStaffId: 'lvshi.bai' });
    expect(resolveRule('responsible', ordinary, org, excludedStaffId(ordinary))?.id).toBe('fuzeren.qiu');
    const aboutHandler = complaint('2026-03-03T10:15:00+08:00', { severity: 'general', subjectStaffId: 'fuzeren.qiu' });
    expect(resolveRule('responsible', aboutHandler, org, excludedStaffId(aboutHandler))).toBeNull();
  });
});

describe('P14 examples', () => {
  it('every example is a valid POST /api/v1/cases body of service_complaint; the subject is never assigned', () => {
    const found = examples('P14');
    expect(found.map((e) => e.file)).toEqual(['P14-complaint-general.json', 'P14-complaint-major.json']);
    for (const { file, body } of found) {
      expect(body.type, file).toBe('service_complaint');
      const { planned } = plan(P14, factsFromBody(body, org), org);
      expect(planned.length, file).toBeGreaterThan(0);
      for (const p of planned) expect(p.assigneeId, `${file} ${p.step}`).not.toBe(body.subjectStaff);
    }
    const major = found.find((e) => e.file === 'P14-complaint-major.json')!;
    expect(step(plan(P14, factsFromBody(major.body, org), org).planned, 'major_report').assigneeId).toBe('hehuoren.luo');
  });
});
