// Steps anchored on the actual completion of an earlier step (P1, seed 000 第一篇 3): planned when the
// first follow-up is recorded DONE, over the in-memory stores, through a card tap as WeCom records it.
import { beforeEach, describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { planStepsAfterCompletion } from '../../../../bot/core/cases/plan-after-completion.js';
import { submitWebSurvey } from '../../../../bot/core/surveys/submit-web-survey.js';
import { createMemoryService, shippedData, type MemoryService } from '../../../support/memory-service.js';
import { dischargeBody, smsReply, tapCard } from '../../../support/builders.js';

describe('P1: the second call half a year after the first call was made', () => {
  // 3)「对刚验收的新站，第一次验收回访结束后，半年后再安排第二次回访」
  let app: MemoryService;
  let caseId: string;
  const steps = () => app.rows('followUp').filter((f) => f.caseId === caseId);

  beforeEach(async () => {
    app = await createMemoryService({ start: '2026-03-18T17:00:00+08:00' });
    // The example organisation has no follow-up officer: the head of the department calls, never the lead.
    const result = await app.submit(
      dischargeBody({ type: 'project_acceptance', externalId: 'GC-2026-031', occurredAt: '2026-03-18T16:40:00+08:00', attributes: { project: '华东站' } }),
    );
    caseId = result.caseId;
  });

  it('waits for the first call, then plans the second from the moment it was recorded done', async () => {
    expect(steps().map((f) => f.step).sort()).toEqual(['acceptance_call', 'third_year_call']);
    const first = steps().find((f) => f.step === 'acceptance_call')!;
    app.clock.set('2026-03-19T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    // Made five days later than planned.
    app.clock.set('2026-03-24T15:10:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'kezhuren.wang', key: `satisfied:${first.id}:1` });

    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });
    const second = steps().find((f) => f.step === 'half_year_call');
    expect(second).toMatchObject({
      status: 'SCHEDULED',
      earliestAt: new Date('2026-09-24T09:00:00+08:00'),
      deadlineAt: new Date('2026-10-24T23:59:00+08:00'),
      assigneeId: app.staff.get('kezhuren.wang'),
    });
    // Running it again (a replayed completion, a later case update) adds nothing.
    expect(await planStepsAfterCompletion(app.deps, caseId)).toBe(0);
    await app.submit(dischargeBody({ type: 'project_acceptance', externalId: 'GC-2026-031', occurredAt: '2026-03-18T16:40:00+08:00', attributes: { project: '华东站' } }));
    expect(steps().filter((f) => f.step === 'half_year_call')).toHaveLength(1);
    expect(steps().find((f) => f.step === 'half_year_call')).toMatchObject({ status: 'SCHEDULED', earliestAt: new Date('2026-09-24T09:00:00+08:00') });
  });

  it('plans no second call while the first is only unreachable', async () => {
    const first = steps().find((f) => f.step === 'acceptance_call')!;
    app.clock.set('2026-03-19T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    app.clock.set('2026-03-19T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'kezhuren.wang', key: `unreachable:${first.id}:1` });

    expect(steps().map((f) => f.step)).not.toContain('half_year_call');
  });
});

describe('a step anchored on a customer survey’s completion', () => {
  // The shipped P4 with one more step: a call a month after the patient answered the survey.
  const P4 = shippedData().policies.byId('P4')!;
  const survey = P4.steps.find((s) => s.key === 'survey')!;
  const phone = P4.steps.find((s) => s.key === 'phone')!;
  const P4WithRecall = { ...P4, steps: [...P4.steps, { ...phone, key: 'recall', unless: undefined, anchor: { kind: 'completed' as const, key: survey.key }, earliest: { amount: 1, unit: 'months' as const } }] };

  it('is planned when the customer answers the survey by SMS', async () => {
    const app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00', policies: [P4WithRecall] });
    await app.submit(dischargeBody({ externalId: 'ZY-RECALL', phone: '+8613522220009' }));
    expect(app.rows('followUp').map((f) => f.step).sort()).toEqual(['phone', 'survey']);
    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    await app.dispatch();
    app.clock.set('2026-11-06T12:00:00+08:00');

    const reply = await smsReply(app, '+8613522220009', '5');

    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'answered' } });
    expect(app.rows('followUp').find((f) => f.step === 'recall')).toMatchObject({ status: 'SCHEDULED', earliestAt: new Date('2026-12-06T09:00:00+08:00') });
  });

  it('is planned when the customer answers the survey page', async () => {
    const app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00', policies: [P4WithRecall] });
    await app.submit(dischargeBody({ externalId: 'ZY-RECALL-WEB', phone: '+8613522220010' }));
    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    app.clock.set('2026-11-07T18:30:00+08:00');

    await submitWebSurvey(app.deps, { token: app.rows('survey')[0]!.token, answers: { q_overall: '4' }, receivedAt: app.clock.now(), inboundEventId: null });

    expect(app.rows('followUp').find((f) => f.step === 'recall')).toMatchObject({ status: 'SCHEDULED', earliestAt: new Date('2026-12-07T09:00:00+08:00') });
  });
});
