// P1 工程回访 (seed 000 第一篇) — templates/policies/P1.yaml, planned against the real calendar.
// Also: every shipped pack loads together, and every example body is a valid POST /api/v1/cases body.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../../../bot/core/phone.js';
import { decideSampling } from '../../../../bot/core/policies/sampling.js';
import { loadPolicyPacks } from '../../../../bot/loaders/load-policies.js';
import { EXAMPLES_DIR, POLICIES_DIR, exampleBody, exampleCase, loadPack, plan, step, tradeOrg } from './pack-helpers.js';

const P1 = loadPack('P1');

describe('P1 pack', () => {
  it('claims project acceptances and maintenance receipts, with one open follow-up per project and one contact a month', () => {
    // 「一个项目在实施过程中电话回访多次…多次接到电话回访同一个项目后言语中表示反感，而且有的用户电话接听是付费的」
    expect(P1.id).toBe('P1');
    expect(P1.caseTypes).toEqual(['project_acceptance', 'station_maintenance']);
    expect(P1.oneOpenPerCase).toBe(true);
    expect(P1.customerContactCap).toEqual({ max: 1, per: { amount: 30, unit: 'days' } });
    expect(P1.sampling).toBeUndefined();
    expect(P1.steps.map((s) => s.key)).toEqual(['acceptance_call', 'half_year_call', 'third_year_call', 'maintained_spot_check']);
    expect(P1.steps.filter((s) => s.excludeResponsible).map((s) => s.key)).toEqual(['acceptance_call', 'half_year_call', 'third_year_call', 'maintained_spot_check']);
  });
});

describe('P1 new station (examples/P1-project-acceptance.json)', () => {
  it('phones the accepted project from 09:00 the next day, by the dedicated officer, never the project lead', () => {
    // 1)「工程部配有专人根据《工程验收单》和《工程回执单》对已经验收的项目进行电话回访，并记录…项目责任人的现场工作表现」
    // The project lead 陆工 (xiangmu.lu) is himself a follow-up officer: he must not check his own project.
    const { planned, waiting } = plan(P1, exampleCase('P1-project-acceptance'));

    expect(step(planned, 'acceptance_call')).toMatchObject({
      action: 'STAFF_TASK',
      channel: 'wecom',
      earliestAt: new Date('2026-03-19T09:00:00+08:00'),
      dueAt: new Date('2026-03-19T09:00:00+08:00'),
      deadlineAt: new Date('2026-03-25T23:59:00+08:00'),
      assigneeId: 'huifang.ma',
      assigneeRule: 'role:followup_officer',
      maxAttempts: 3,
      sampling: { kept: true, rate: 1, reason: 'every case is followed up (100 %)' },
    });
    expect(waiting).toEqual([{ step: 'half_year_call', anchor: 'completed:acceptance_call' }]);
    // Whatever the project (the officer is picked by case id among eligible officers), never 陆工 himself.
    for (let i = 0; i < 20; i++) {
      const other = { ...exampleCase('P1-project-acceptance'), id: `case-GC-${i}`, externalId: `GC-${i}` };
      for (const p of plan(P1, other).planned) expect(p.assigneeId).toBe('huifang.ma');
    }
  });

  it('schedules the second call half a year after the first call was actually made, and the third in the third year of operation', () => {
    // 3)「对刚验收的新站，第一次验收回访结束后，半年后再安排第二次回访」
    // 4)「验收投运的新站运行第三年安排第三次回访」
    const before = plan(P1, exampleCase('P1-project-acceptance'));
    expect(before.planned.map((p) => p.step)).toEqual(['acceptance_call', 'third_year_call']);
    expect(before.waiting).toEqual([{ step: 'half_year_call', anchor: 'completed:acceptance_call' }]);

    // The first call was planned from 19 March but made on 24 March: the half year counts from the 24th.
    const { planned } = plan(P1, exampleCase('P1-project-acceptance'), undefined, { completedSteps: new Map([['acceptance_call', new Date('2026-03-24T15:10:00+08:00')]]) });
    expect(step(planned, 'half_year_call')).toMatchObject({
      earliestAt: new Date('2026-09-24T09:00:00+08:00'),
      dueAt: new Date('2026-09-24T09:00:00+08:00'),
      deadlineAt: new Date('2026-10-24T23:59:00+08:00'),
      assigneeId: 'huifang.ma',
    });
    expect(step(planned, 'third_year_call')).toMatchObject({
      earliestAt: new Date('2028-03-18T09:00:00+08:00'),
      deadlineAt: new Date('2029-03-18T16:40:00+08:00'),
      assigneeId: 'huifang.ma',
    });
  });

  it('schedules nothing after the third year of operation', () => {
    // 5)「验收投运的站运行三年后不再安排电话回访，有故障用户自己反馈」
    const facts = exampleCase('P1-project-acceptance');
    const { planned, waiting } = plan(P1, facts, undefined, { completedSteps: new Map([['acceptance_call', new Date('2026-03-25T10:00:00+08:00')]]) });

    expect(planned.map((p) => p.step)).toEqual(['acceptance_call', 'half_year_call', 'third_year_call']);
    expect(waiting).toEqual([]);
    const thirdAnniversary = new Date('2029-03-18T16:40:00+08:00');
    for (const p of planned) expect(p.deadlineAt.getTime()).toBeLessThanOrEqual(thirdAnniversary.getTime());
    expect(Math.max(...planned.map((p) => p.deadlineAt.getTime()))).toBe(thirdAnniversary.getTime());
  });

  it('handles a project accepted on 29 February 2024 (leap day): +6 months from the first call, +2 and +3 years clamp to 28 February', () => {
    // 3)「半年后再安排第二次回访」 4)「运行第三年安排第三次回访」 5)「运行三年后不再安排电话回访」
    const { planned } = plan(P1, exampleCase('P1-project-acceptance', { occurredAt: '2024-02-29T10:00:00+08:00' }), undefined, {
      completedSteps: new Map([['acceptance_call', new Date('2024-03-01T10:30:00+08:00')]]),
    });

    expect(step(planned, 'acceptance_call')).toMatchObject({
      earliestAt: new Date('2024-03-01T09:00:00+08:00'),
      deadlineAt: new Date('2024-03-07T23:59:00+08:00'),
    });
    expect(step(planned, 'half_year_call')).toMatchObject({
      earliestAt: new Date('2024-09-01T09:00:00+08:00'),
      deadlineAt: new Date('2024-10-01T23:59:00+08:00'),
    });
    expect(step(planned, 'third_year_call')).toMatchObject({
      earliestAt: new Date('2026-02-28T09:00:00+08:00'),
      deadlineAt: new Date('2027-02-28T10:00:00+08:00'),
    });
  });

  it('falls back to the head of 工程部 when the only other officer is the project lead himself', () => {
    // 「工程部配有专人…电话回访」: the officer checks the project lead's work, so the lead never takes over.
    const { planned } = plan(P1, exampleCase('P1-project-acceptance'), tradeOrg({ inactive: ['huifang.ma'] }));

    for (const p of planned) expect(p).toMatchObject({ assigneeId: 'jingli.gao', assigneeRule: 'department_head' });
  });

  it('walks up to the company head when the project lead is the head of 工程部 and no officer is active', () => {
    const { planned } = plan(P1, exampleCase('P1-project-acceptance', { responsibleStaff: 'jingli.gao' }), tradeOrg({ inactive: ['huifang.ma', 'xiangmu.lu'] }));

    expect(step(planned, 'acceptance_call')).toMatchObject({ assigneeId: 'zong.he', assigneeRule: 'department_head' });
  });

  it('plans identically on a second planning', () => {
    const facts = exampleCase('P1-project-acceptance');
    expect(plan(P1, facts)).toEqual(plan(P1, facts));
  });
});

describe('P1 old maintained station (examples/P1-station-maintenance.json)', () => {
  it('spot-checks 20 % of maintenance receipts, deterministically, and never schedules the new-station calls', () => {
    // 2)「对维护的老站，工程部配有专人根据《工程回执单》进行不定期抽检回访」
    const { planned, waiting } = plan(P1, exampleCase('P1-station-maintenance'));

    expect(planned.map((p) => p.step)).toEqual(['maintained_spot_check']);
    expect(waiting).toEqual([]);
    expect(step(planned, 'maintained_spot_check')).toMatchObject({
      earliestAt: new Date('2026-07-03T09:00:00+08:00'),
      deadlineAt: new Date('2026-07-16T23:59:00+08:00'),
      sampling: { kept: false, rate: 0.2, reason: 'fixed rate: sampled at 20 % (draw 0.5186 ≥ 0.2)' },
    });
  });

  it('keeps a receipt whose draw falls under 20 %, checked by an officer who is not the station lead', () => {
    // 「项目责任人不定期回访自己维护的站」 is the lead's own visit; the spot check is the officer's, so the
    // lead 陆工 (himself a follow-up officer) never spot-checks his own station.
    const { planned } = plan(P1, exampleCase('P1-station-maintenance', { externalId: 'HZ-2026-0705', responsibleStaff: 'xiangmu.lu' }));

    expect(step(planned, 'maintained_spot_check')).toMatchObject({
      sampling: { kept: true, rate: 0.2, reason: 'fixed rate: sampled at 20 % (draw 0.0466 < 0.2)' },
      assigneeId: 'huifang.ma',
      assigneeRule: 'role:followup_officer',
    });
  });

  it('keeps close to 20 % of 10,000 receipts (±0.5 percentage points)', () => {
    // 「不定期抽检回访」: the rate is this organisation's parameter (20 %).
    // The draw planFollowUps makes for a step with its own sampling (policy id:step key); planning all
    // 10,000 is slow, so the first 200 check that planning gives exactly this decision.
    const base = exampleCase('P1-station-maintenance');
    const rule = P1.steps.find((s) => s.key === 'maintained_spot_check')!.sampling;
    let kept = 0;
    for (let i = 1; i <= 10_000; i++) {
      const facts = { ...base, externalId: `HZ-${String(i).padStart(6, '0')}` };
      const decision = decideSampling(rule, 'P1:maintained_spot_check', facts);
      if (i <= 200) expect(step(plan(P1, facts).planned, 'maintained_spot_check').sampling).toEqual(decision);
      if (decision.kept) kept++;
    }
    expect(Math.abs(kept / 10_000 - 0.2)).toBeLessThanOrEqual(0.005);
  });
});

describe('templates/policies as a whole', () => {
  it('loads every shipped pack together (case types unique across packs)', () => {
    const packs = loadPolicyPacks(POLICIES_DIR);
    const ids = packs.map((p) => p.id);
    for (const id of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7']) expect(ids).toContain(id);
  });

  it('every example is a valid POST /api/v1/cases body whose type the pack of its file name claims', () => {
    const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json'));
    const prefixes = new Set(files.map((f) => f.split('-')[0]));
    for (const id of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7']) expect(prefixes).toContain(id);
    for (const f of files.filter((x) => /^P[1-7]-/.test(x))) {
      const body = exampleBody(f.replace(/\.json$/, ''));
      const pack = loadPack(f.split('-')[0]!);
      expect(pack.caseTypes, f).toContain(body.type);
      expect(body.occurredAt, f).toMatch(/\+08:00$/);
      if (body.customer.phone) expect(() => normalizePhone(body.customer.phone!), f).not.toThrow();
    }
  });
});
