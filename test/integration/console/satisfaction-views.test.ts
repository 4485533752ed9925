import { beforeAll, describe, expect, it } from 'vitest';
import { UlidGenerator } from '../../../bot/clocks.js';
import { PrismaConsoleViews } from '../../../bot/db/console-views.js';
import type { SatisfactionFigures, SatisfactionGroupRow } from '../../../bot/core/ports/console-views.js';
import { describeEachDatabase } from '../../support/db.js';
import { seedOrganisation, storeContext } from '../../support/service.js';
import { at, insertFollowUps, type FollowUpSpec } from '../reports/follow-up-rows.js';

const ids = new UlidGenerator();
const times = (n: number, spec: FollowUpSpec): FollowUpSpec[] => Array.from({ length: n }, () => spec);
const done = (department: string, assignee: string | null, outcome: 'SATISFIED' | 'NEUTRAL' | 'DISSATISFIED', completed: string, rest: Partial<FollowUpSpec> = {}): FollowUpSpec => ({
  department,
  assignee,
  status: 'DONE',
  outcome,
  deadlineAt: at('2026-11-28T18:00'),
  completedAt: at(completed),
  ...rest,
});
const figures = (rows: readonly SatisfactionGroupRow[]) => rows.map((r) => [r.label, r.answered, r.satisfied, r.neutral, r.dissatisfied, r.npsAnswers, r.promoters, r.detractors]);

// November 2026 (Asia/Shanghai). Hand-counted figures are written out in each test.
describeEachDatabase('console satisfaction figures', (db) => {
  let views: PrismaConsoleViews;
  let cardiologyId: string;
  let staffIds: Map<string, string>;
  const november = { from: at('2026-11-01T00:00'), to: at('2026-12-01T00:00') };
  const nps = [{ surveyKey: 'discharge', questionKey: 'recommend' }];

  beforeAll(async () => {
    await seedOrganisation(db());
    const { prisma } = db();
    views = new PrismaConsoleViews(storeContext(db()));
    cardiologyId = (await prisma.department.findUniqueOrThrow({ where: { code: 'cardiology' } })).id;
    staffIds = new Map((await prisma.staff.findMany({ select: { id: true, wecomUserId: true } })).map((s) => [s.wecomUserId, s.id]));
    const ward = await insertFollowUps(prisma, [
      ...times(3, done('cardiology', 'hushi.li', 'SATISFIED', '2026-11-10T10:00')),
      done('cardiology', 'hushi.li', 'DISSATISFIED', '2026-11-11T10:00'),
      done('cardiology', 'hushi.zhou', 'NEUTRAL', '2026-11-12T10:00'),
      // Surveys: no staff member.
      done('cardiology', null, 'SATISFIED', '2026-11-13T10:00', { action: 'CUSTOMER_SURVEY' }),
      done('cardiology', null, 'DISSATISFIED', '2026-11-14T10:00', { action: 'CUSTOMER_SURVEY' }),
      // Not counted: October, December, not rated, not done.
      done('cardiology', 'hushi.li', 'DISSATISFIED', '2026-10-31T23:59'),
      done('cardiology', 'hushi.li', 'DISSATISFIED', '2026-12-01T00:00'),
      { department: 'cardiology', assignee: 'hushi.li', status: 'DONE', outcome: null, deadlineAt: at('2026-11-20T18:00'), completedAt: at('2026-11-20T10:00') },
      { department: 'cardiology', assignee: 'hushi.li', status: 'UNREACHABLE', outcome: 'UNREACHABLE', deadlineAt: at('2026-11-20T18:00'), completedAt: at('2026-11-20T10:00') },
    ]);
    const centre = await insertFollowUps(prisma, [
      ...times(2, done('service-centre', 'zhuli.wu', 'SATISFIED', '2026-11-05T10:00')),
      done('service-centre', 'zhuli.wu', 'DISSATISFIED', '2026-11-06T10:00'),
    ]);
    // Staff notes of dissatisfied calls are comments; an empty note is not.
    await prisma.followUp.update({ where: { id: ward[3]! }, data: { outcomeNote: '护士态度差' } });
    await prisma.followUp.update({ where: { id: centre[2]! }, data: { outcomeNote: '' } });
    // NPS answers: 10 (promoter) and 3 (detractor) on the ward's surveys, 8 (passive) on a staff task, and one on an October follow-up.
    const answer = async (followUpId: string, score: number | string, receivedAt: string, rawText: string | null = null) => {
      const f = await prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } });
      const surveyId = ids.next();
      await prisma.surveyInstance.create({ data: { id: surveyId, followUpId, customerId: f.customerId, surveyKey: 'discharge', token: ids.next(), expiresAt: at('2026-12-31T00:00') } });
      await prisma.surveyResponse.create({ data: { id: ids.next(), surveyId, channel: 'web', rawText, answers: JSON.stringify({ recommend: score }), receivedAt: at(receivedAt) } });
    };
    await answer(ward[5]!, 10, '2026-11-13T09:00', '很好，谢谢');
    await answer(ward[6]!, 3, '2026-11-14T09:00', '等太久');
    await answer(ward[0]!, 8, '2026-11-10T09:00');
    await answer(ward[7]!, 0, '2026-11-02T09:00');
  });

  it('groups the period’s rated follow-ups by department, staff member and policy, with NPS where asked', async () => {
    const all = await views.satisfaction({ kind: 'all' }, { ...november, npsQuestions: nps });
    expect(figures(all.byDepartment)).toEqual([
      ['心内科病区', 7, 4, 1, 2, 3, 1, 1],
      ['锦绣花园客服中心', 3, 2, 0, 1, 0, 0, 0],
    ]);
    expect(figures(all.byStaff)).toEqual([
      ['李护士', 4, 3, 0, 1, 1, 0, 0],
      ['吴助理', 3, 2, 0, 1, 0, 0, 0],
      ['（问卷，无人员）', 2, 1, 0, 1, 2, 1, 1],
      ['周护士', 1, 0, 1, 0, 0, 0, 0],
    ]);
    expect(figures(all.byPolicy)).toEqual([
      ['P4', 7, 4, 1, 2, 3, 1, 1],
      ['P7', 3, 2, 0, 1, 0, 0, 0],
    ]);
    expect(all.comments.map((c) => [c.text, c.satisfaction])).toEqual([
      ['等太久', null],
      ['很好，谢谢', null],
      ['护士态度差', 'DISSATISFIED'],
    ]);
  });

  it('counts no NPS without the question, and only the scope’s follow-ups', async () => {
    const ward: SatisfactionFigures = await views.satisfaction({ kind: 'departments', departmentIds: [cardiologyId], rootDepartmentId: cardiologyId }, november);
    expect(figures(ward.byDepartment)).toEqual([['心内科病区', 7, 4, 1, 2, 0, 0, 0]]);
    const own = await views.satisfaction({ kind: 'own', staffId: staffIds.get('zhuli.wu')! }, november);
    expect(figures(own.byStaff)).toEqual([['吴助理', 3, 2, 0, 1, 0, 0, 0]]);
    expect(own.comments).toEqual([]);
  });

  it('counts the trend per month of completion', async () => {
    const months = [
      { key: '2026-10', from: at('2026-10-01T00:00'), to: november.from },
      { key: '2026-11', ...november },
      { key: '2026-12', from: november.to, to: at('2027-01-01T00:00') },
    ];
    expect(await views.satisfactionTrend({ kind: 'all' }, months)).toEqual([
      { key: '2026-10', answered: 1, satisfied: 0 },
      { key: '2026-11', answered: 10, satisfied: 6 },
      { key: '2026-12', answered: 1, satisfied: 0 },
    ]);
    expect(await views.satisfactionTrend({ kind: 'departments', departmentIds: [cardiologyId], rootDepartmentId: cardiologyId }, months.slice(1, 2))).toEqual([{ key: '2026-11', answered: 7, satisfied: 4 }]);
  });
});
