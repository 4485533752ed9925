// An escalation over the in-memory stores: past its deadline it climbs the policy's chain (护士长 →
// 科主任 → 院长) and is breached at the top; its owner acknowledges and resolves it, which schedules the
// second follow-up (二次回访), whose outcome closes it.
import { beforeEach, describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { acknowledgeEscalation, climbEscalations, resolveEscalation } from '../../../../bot/core/escalation/act-on-escalation.js';
import { createMemoryService, type MemoryService } from '../../../support/memory-service.js';
import { dischargeBody, tapCard } from '../../../support/builders.js';

describe('escalation ladder', () => {
  let app: MemoryService;
  let escalationId: string;
  let caseId: string;

  beforeEach(async () => {
    app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00' });
    ({ caseId } = await app.submit(dischargeBody({ externalId: 'ZY-ESC' })));
    const phoneId = app.rows('followUp').find((f) => f.step === 'phone')!.id;
    app.clock.set('2026-11-10T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    app.clock.set('2026-11-10T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'hushi.li', key: `dissatisfied:${phoneId}:1` });
    escalationId = app.rows('escalation')[0]!.id;
  });

  const escalation = () => app.rows('escalation').find((e) => e.id === escalationId)!;

  it('climbs at its deadline — not before — to the department head, telling the head nurse, once', async () => {
    const events = app.recordEvents('escalation:climbed');
    app.clock.set(new Date(escalation().deadlineAt.getTime() - 1));
    expect(await climbEscalations(app.deps)).toEqual({ due: 0, climbed: 0, breached: 0, skipped: 0 });

    app.clock.set(escalation().deadlineAt);
    const runs = [await climbEscalations(app.deps), await climbEscalations(app.deps)];

    expect(runs.map((r) => r.climbed)).toEqual([1, 0]);
    expect(escalation()).toMatchObject({ level: 2, status: 'OPEN', ownerId: app.staff.get('kezhuren.wang'), version: 1 });
    expect(app.rows('outbox').find((m) => m.idempotencyKey === `esc:${escalationId}:card:2`)).toMatchObject({ recipientId: app.staff.get('kezhuren.wang') });
    const told = app.rows('outbox').find((m) => m.idempotencyKey === `esc:${escalationId}:climbed:2`);
    expect(told).toMatchObject({ recipientId: app.staff.get('hushizhang.chen') });
    expect(JSON.parse(told!.payload).text).toContain('已升级至第2级：王主任');
    expect(events).toEqual([{ name: 'escalation:climbed', payload: { escalationId, fromLevel: 1, toLevel: 2, ownerId: app.staff.get('kezhuren.wang'), deadlineAt: escalation().deadlineAt, at: app.clock.now() } }]);

    // The head nurse's level-1 card no longer acts.
    await expect(acknowledgeEscalation(app.deps, { escalationId, level: 1, wecomUserId: 'hushizhang.chen', inboundEventId: null })).rejects.toMatchObject({ code: 'STALE_ESCALATION' });
  });

  it('is breached at the top of the chain, its owner told once', async () => {
    const events = app.recordEvents('escalation:breached');
    for (const level of [2, 3]) {
      app.clock.set(escalation().deadlineAt);
      expect(await climbEscalations(app.deps)).toMatchObject({ climbed: 1 });
      expect(escalation().level).toBe(level);
    }
    expect(escalation().ownerId).toBe(app.staff.get('yuanzhang.liu'));
    app.clock.set(escalation().deadlineAt);
    expect(await climbEscalations(app.deps)).toMatchObject({ breached: 1 });
    expect(await climbEscalations(app.deps)).toMatchObject({ due: 0 });
    expect(escalation()).toMatchObject({ level: 3, breachedAt: app.clock.now() });
    expect(app.rows('outbox').filter((m) => m.idempotencyKey === `esc:${escalationId}:breached`)).toMatchObject([{ recipientId: app.staff.get('yuanzhang.liu') }]);
    expect(events).toHaveLength(1);
  });

  it('is acknowledged once, resolved with a note, and closed by the outcome of the second follow-up', async () => {
    const events = app.recordEvents('escalation:acknowledged', 'escalation:resolved');
    app.clock.set('2026-11-11T10:00:00+08:00');
    const owner = { escalationId, level: 1, wecomUserId: 'hushizhang.chen', inboundEventId: null };
    expect(await acknowledgeEscalation(app.deps, owner)).toEqual({ status: 'acknowledged', escalationId });
    expect(await acknowledgeEscalation(app.deps, owner)).toEqual({ status: 'already_done', escalationId, current: 'ACKNOWLEDGED' });
    await expect(resolveEscalation(app.deps, { ...owner, note: ' ' })).rejects.toMatchObject({ code: 'NOTE_REQUIRED' });

    const resolved = await resolveEscalation(app.deps, { ...owner, note: '已与患者家属沟通并致歉。' });

    expect(resolved).toMatchObject({ status: 'resolved', escalationId });
    expect(escalation()).toMatchObject({ status: 'RESOLVED', resolvedById: app.staff.get('hushizhang.chen'), note: '已与患者家属沟通并致歉。', secondFollowUpId: resolved.status === 'resolved' ? resolved.secondFollowUpId : null });
    const second = app.rows('followUp').find((f) => f.id === escalation().secondFollowUpId)!;
    expect(second).toMatchObject({ caseId, step: `esc2_${escalationId}`, status: 'SCHEDULED', action: 'STAFF_TASK', assigneeId: app.staff.get('hushi.li') });
    expect(second.dueAt.getTime()).toBeGreaterThan(app.clock.now().getTime());
    // A resolved escalation no longer climbs.
    app.clock.set('2026-11-30T10:00:00+08:00');
    expect(await climbEscalations(app.deps)).toMatchObject({ due: 0 });

    expect(await activateDueFollowUps(app.deps)).toMatchObject({ activated: 1 });
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: `satisfied:${second.id}:1` });
    expect(tap.result?.status).toBe('PROCESSED');
    expect(escalation()).toMatchObject({ status: 'CLOSED', closedAt: app.clock.now() });
    expect((await app.deps.escalations.escalationHistory(escalationId)).map((h) => h.action)).toEqual([
      'escalation.opened',
      'escalation.acknowledged',
      'escalation.resolved',
      'escalation.closed',
    ]);
    expect(events.map((e) => e.name)).toEqual(['escalation:acknowledged', 'escalation:resolved']);
  });
});
