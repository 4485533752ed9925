// Escalations climbing their chain on a fake clock, through the booted service: a dissatisfied call
// escalates to the head nurse with one working day (which spans the 2026 National Day holiday), climbs
// to the department head and then the hospital director in working hours (a 调休 make-up Saturday
// counts, an ordinary weekend does not), is resolved with a note on its page, and closes with the
// outcome of the second follow-up (二次回访).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { TaskCard } from '../../../../bot/core/messages.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { ROOT_DIR } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, tapCard, uniquePhone } from '../../../support/builders.js';
import { buttonKey, deliveredCard, followUpOf, postCase, runJob } from '../../../support/e2e.js';

let policiesDir: string;

beforeAll(() => {
  // P4 as shipped (chain 护士长 → 科主任 → 院长), with its escalation deadlines in working time.
  policiesDir = mkdtempSync(join(tmpdir(), 'huifang-policies-'));
  cpSync(join(ROOT_DIR, 'templates/policies'), policiesDir, { recursive: true });
  const file = join(policiesDir, 'P4.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain('chain: [supervisor, department_head, manager]');
  const varied = text.replace(/\n  deadline: 7 days\n?$/, '\n  deadline: 1 working days\n  climbAfter: 4 working hours\n');
  expect(varied).not.toBe(text);
  writeFileSync(file, varied);
});

afterAll(() => rmSync(policiesDir, { recursive: true, force: true }));

describeEachDatabase('escalation ladder', (db) => {
  const clock = new FakeClock('2026-09-22T16:00:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let staff: Map<string, string>;

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock, { policiesDir });
    http = await listen(app);
  });

  afterAll(async () => {
    await http?.close();
  });

  /** A discharge whose phone follow-up is answered 不满意 by 李护士 at `tappedAt`; returns the escalation. */
  async function dissatisfiedCall(dischargedAt: string, dueAt: string, tappedAt: string) {
    clock.set(dischargedAt);
    const caseId = await postCase(http.baseUrl, dischargeBody({ occurredAt: dischargedAt, phone: uniquePhone() }));
    const phone = await followUpOf(db().prisma, caseId, 'phone');
    clock.set(dueAt);
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const { card } = await deliveredCard(db().prisma, phone.id, 1);
    clock.set(tappedAt);
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'dissatisfied') });
    expect(tap.result?.status).toBe('PROCESSED');
    return { caseId, phoneId: phone.id, escalation: await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: phone.id } }) };
  }

  async function escalationCard(escalationId: string, level: number): Promise<{ card: TaskCard; to: string }> {
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalationId}:card:${level}` } });
    const message = JSON.parse(row.payload) as { card: TaskCard; to: { wecomUserId: string } };
    return { card: message.card, to: message.to.wecomUserId };
  }

  const page = (card: TaskCard) => new URL(card.detailUrl!).pathname;

  it('climbs across the National Day holiday, a make-up Saturday and a weekend, then closes after the second follow-up', async () => {
    const { caseId, escalation } = await dissatisfiedCall('2026-09-22T15:30:00+08:00', '2026-09-29T09:00:00+08:00', '2026-09-30T10:00:00+08:00');
    // Level 1: the head nurse, one working day — 10-01…10-07 are the National Day holiday.
    expect(escalation).toMatchObject({ reason: 'DISSATISFIED', level: 1, status: 'OPEN', ownerId: staff.get('hushizhang.chen'), deadlineAt: new Date('2026-10-08T10:00:00+08:00') });
    const first = await escalationCard(escalation.id, 1);
    expect(first.to).toBe('hushizhang.chen');

    clock.set('2026-10-08T09:59:00+08:00');
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ due: 0, climbed: 0 });

    // Two workers on the same tick: one climb.
    clock.set('2026-10-08T10:00:00+08:00');
    const [a, b] = await Promise.all([runJob(app, 'climb-escalations'), runJob(app, 'climb-escalations')]);
    expect(Number(a.climbed) + Number(b.climbed)).toBe(1);
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ climbed: 0 });
    let row = await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    // Level 2: the department head, four working hours (10:00 → 14:00 the same day).
    expect(row).toMatchObject({ level: 2, status: 'OPEN', ownerId: staff.get('kezhuren.wang'), deadlineAt: new Date('2026-10-08T14:00:00+08:00') });
    const second = await escalationCard(escalation.id, 2);
    expect(second.to).toBe('kezhuren.wang');
    const told = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalation.id}:climbed:2` } });
    expect(told.recipientId).toBe(staff.get('hushizhang.chen'));
    expect(JSON.parse(told.payload).text).toContain('已升级至第2级：王主任');

    // The head nurse's card of level 1 no longer acts.
    const stale = await tapCard(app, { wecomUserId: 'hushizhang.chen', key: first.card.buttons[0]!.key });
    expect(stale.result).toMatchObject({ status: 'REJECTED' });
    // The department head acknowledges with the card…
    clock.set('2026-10-08T11:00:00+08:00');
    const ack = await tapCard(app, { wecomUserId: 'kezhuren.wang', key: second.card.buttons[0]!.key });
    expect(ack.result).toMatchObject({ status: 'PROCESSED', result: { status: 'acknowledged' } });
    expect(await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedById: staff.get('kezhuren.wang') });

    // …but does not resolve it. The service was down until Friday 16:00: the missed climb happens then,
    // and four working hours run 16:00–17:30 Friday and 08:30–11:00 on Saturday 10-10, a make-up working day.
    clock.set('2026-10-09T16:00:00+08:00');
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ climbed: 1 });
    row = await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(row).toMatchObject({ level: 3, status: 'OPEN', ownerId: staff.get('yuanzhang.liu'), deadlineAt: new Date('2026-10-10T11:00:00+08:00') });

    // The top of the chain: past its deadline it is marked breached, its owner told once.
    clock.set('2026-10-10T11:00:00+08:00');
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ breached: 1 });
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ due: 0 });
    row = await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(row.level).toBe(3);
    expect(row.breachedAt).toEqual(new Date('2026-10-10T11:00:00+08:00'));
    expect(await db().prisma.outboxMessage.count({ where: { idempotencyKey: `esc:${escalation.id}:breached`, recipientId: staff.get('yuanzhang.liu') } })).toBe(1);

    // The director resolves it on the page behind the card: a note is required.
    const third = await escalationCard(escalation.id, 3);
    clock.set('2026-10-10T14:00:00+08:00');
    const empty = await fetch(`${http.baseUrl}${page(third.card)}`, { method: 'POST', body: 'action=resolve&note=', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('请填写处理说明');
    const resolved = await fetch(`${http.baseUrl}${page(third.card)}`, {
      method: 'POST',
      body: new URLSearchParams({ action: 'resolve', note: '已与患者家属沟通并致歉，护理流程已整改。' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(resolved.status).toBe(303);
    row = await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(row).toMatchObject({ status: 'RESOLVED', resolvedById: staff.get('yuanzhang.liu'), note: '已与患者家属沟通并致歉，护理流程已整改。' });
    // A resolved escalation no longer climbs.
    clock.set('2026-10-20T09:00:00+08:00');
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ due: 0 });

    // The second follow-up: one working day after the resolution (Monday 10-12, 14:00), to the responsible nurse.
    const again = await db().prisma.followUp.findUniqueOrThrow({ where: { id: row.secondFollowUpId! } });
    expect(again).toMatchObject({ caseId, step: `esc2_${escalation.id}`, status: 'SCHEDULED', action: 'STAFF_TASK', assigneeId: staff.get('hushi.li'), dueAt: new Date('2026-10-12T14:00:00+08:00') });
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const { card } = await deliveredCard(db().prisma, again.id, 1);
    expect(card.title).toContain('二次回访');
    const done = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'satisfied') });
    expect(done.result?.status).toBe('PROCESSED');
    row = await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(row.status).toBe('CLOSED');
    expect(row.closedAt).toEqual(new Date('2026-10-20T09:00:00+08:00'));

    // Everything audited: who saw, who acted, when.
    const trail = await db().prisma.auditLog.findMany({ where: { entityType: 'Escalation', entityId: escalation.id }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    expect(trail.map((t) => t.action)).toEqual([
      'escalation.opened',
      'escalation.climbed',
      'escalation.acknowledged',
      'escalation.climbed',
      'escalation.breached',
      'escalation.resolved',
      'escalation.closed',
    ]);
    expect(trail.find((t) => t.action === 'escalation.acknowledged')?.actorId).toBe(staff.get('kezhuren.wang'));
    expect(trail.find((t) => t.action === 'escalation.closed')?.actorId).toBe(staff.get('hushi.li'));
  });

  it('counts one working day over an ordinary weekend', async () => {
    const { escalation } = await dissatisfiedCall('2026-10-09T15:30:00+08:00', '2026-10-16T09:00:00+08:00', '2026-10-16T16:00:00+08:00');
    // Friday 16:00 + 1 working day = Monday 16:00 (Saturday and Sunday 10-17/18 are not working days).
    expect(escalation.deadlineAt).toEqual(new Date('2026-10-19T16:00:00+08:00'));
    clock.set('2026-10-19T15:59:00+08:00');
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ climbed: 0 });
    clock.set('2026-10-19T16:00:00+08:00');
    expect(await runJob(app, 'climb-escalations')).toMatchObject({ climbed: 1 });
    // 4 working hours from Monday 16:00: 1.5 h on Monday, 2.5 h from 08:30 on Tuesday.
    expect(await db().prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).toMatchObject({ level: 2, deadlineAt: new Date('2026-10-20T11:00:00+08:00') });
  });

  it('shows the page to its owner, audits the view, and refuses altered or outdated links', async () => {
    const { escalation } = await dissatisfiedCall('2026-11-02T15:30:00+08:00', '2026-11-09T09:00:00+08:00', '2026-11-09T11:00:00+08:00');
    const { card } = await escalationCard(escalation.id, 1);
    const view = await fetch(`${http.baseUrl}${page(card)}`);
    expect(view.status).toBe(200);
    const html = await view.text();
    expect(html).toContain('客户不满意');
    expect(html).toContain('确认受理');
    expect(html).toContain('标记已处理');
    expect(html).toMatch(/\d{3}\*{4}\d{4}/);
    expect(await db().prisma.auditLog.count({ where: { entityId: escalation.id, action: 'escalation.viewed', actorId: staff.get('hushizhang.chen') } })).toBe(1);

    const path = page(card);
    const tampered = path.replace(/_1\./, '_2.');
    expect((await fetch(`${http.baseUrl}${tampered}`)).status).toBe(404);
    expect((await fetch(`${http.baseUrl}${path.slice(0, -1)}${path.endsWith('A') ? 'B' : 'A'}`)).status).toBe(404);

    // Acknowledge on the page; a second press changes nothing.
    const post = () => fetch(`${http.baseUrl}${path}`, { method: 'POST', body: 'action=acknowledge', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect((await post()).status).toBe(303);
    expect((await post()).status).toBe(303);
    expect(await db().prisma.auditLog.count({ where: { entityId: escalation.id, action: 'escalation.acknowledged' } })).toBe(1);

    // After a climb the level-1 link only shows the history.
    clock.set('2026-11-10T11:00:00+08:00');
    await runJob(app, 'climb-escalations');
    const old = await (await fetch(`${http.baseUrl}${path}`)).text();
    expect(old).toContain('此链接仅供查看');
    expect(old).not.toContain('标记已处理');
  });
});
