import { beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { jobs } from '../../../jobs/index.js';
import { buildRecipientDigest, parseDigestLinkId } from '../../../bot/core/digests/send-weekly-digests.js';
import { listManagerRecipients } from '../../../bot/db/manager-messages.js';
import type { StaffDocument } from '../../../bot/core/messages.js';
import { formatWecomMarkdown } from '../../../bot/channels/wecom/format-markdown.js';
import { utf8Length as utf8Bytes } from '../../../bot/channels/wecom/text-limits.js';
import { describeEachDatabase } from '../../support/db.js';
import { createReplica, createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { at, insertEscalation, insertFollowUps } from '../reports/follow-up-rows.js';

type JobSummary = { week: string | null; recipients: number; enqueued: number; alreadySent: number };

// The reported week is ISO 2026-W48: Monday 23 to Sunday 29 November 2026 (Asia/Shanghai); its digest is
// due from Monday 30 November 09:00 (HUIFANG_DIGEST_SCHEDULE default).
describeEachDatabase('weekly manager digests', (db) => {
  let clock: FakeClock;
  let app: Huifang;

  const runJob = async (service: Huifang = app) => (await jobs['send-weekly-digests']!.run(service)) as JobSummary;
  const digestRows = (week: string) =>
    db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'digest:', endsWith: `:${week}` } }, orderBy: { idempotencyKey: 'asc' } });
  /** The digests of a week as WeCom receives them: each outbox document rendered by the WeCom channel. */
  const digestMessages = async (week: string) =>
    (await digestRows(week)).map((r) => {
      const payload = JSON.parse(r.payload) as { kind: string; document: StaffDocument; to: { wecomUserId: string } };
      return { kind: payload.kind, to: payload.to, markdown: formatWecomMarkdown(payload.document) };
    });

  beforeAll(async () => {
    await seedOrganisation(db());
    clock = new FakeClock(at('2026-11-30T08:00'));
    app = createTestService(db().url, sharedDbClient(db()), clock);
    const prisma = db().prisma;
    // The ward (心内科病区), week W48.
    const [, late] = await insertFollowUps(prisma, [
      { department: 'cardiology', assignee: 'hushi.li', status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-11-24T23:59'), completedAt: at('2026-11-24T10:00') },
      { department: 'cardiology', assignee: 'hushi.li', status: 'DONE', outcome: 'DISSATISFIED', deadlineAt: at('2026-11-25T23:59'), completedAt: at('2026-11-26T10:00') },
      { department: 'cardiology', assignee: 'hushi.li', status: 'UNREACHABLE', outcome: 'UNREACHABLE', deadlineAt: at('2026-11-26T23:59'), completedAt: at('2026-11-26T15:00') },
      { department: 'cardiology', assignee: 'hushi.zhou', status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-11-27T23:59'), completedAt: at('2026-11-27T09:00') },
      { department: 'cardiology', assignee: 'hushi.zhou', status: 'OVERDUE', deadlineAt: at('2026-11-28T23:59') },
      { department: 'cardiology', assignee: null, action: 'CUSTOMER_SURVEY', status: 'DONE', outcome: 'NEUTRAL', deadlineAt: at('2026-11-29T20:00'), completedAt: at('2026-11-26T12:00') },
      { department: 'cardiology', assignee: null, action: 'CUSTOMER_SURVEY', status: 'CANCELLED', deadlineAt: at('2026-11-24T20:00'), completedAt: at('2026-11-21T10:00') },
      // Not due in W48: left out by sampling, and a deadline exactly at the end of the week.
      { department: 'cardiology', assignee: 'hushi.li', status: 'SKIPPED', deadlineAt: at('2026-11-25T23:59') },
      { department: 'cardiology', assignee: 'hushi.zhou', status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-11-30T00:00'), completedAt: at('2026-11-28T10:00') },
      // W47: satisfaction 1 of 4 = 25 %.
      { department: 'cardiology', assignee: 'hushi.li', status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-11-18T23:59'), completedAt: at('2026-11-18T10:00') },
      ...Array.from({ length: 3 }, () => ({ department: 'cardiology', assignee: 'hushi.li', status: 'DONE' as const, outcome: 'DISSATISFIED' as const, deadlineAt: at('2026-11-19T23:59'), completedAt: at('2026-11-19T10:00') })),
      // Open staff task due within 72 hours of Monday 09:00.
      { department: 'cardiology', assignee: 'hushi.li', status: 'ACTIVE', deadlineAt: at('2026-12-01T12:00') },
    ]);
    await insertEscalation(prisma, { followUpId: late!, owner: 'hushizhang.chen', createdAt: at('2026-11-26T10:05'), deadlineAt: at('2026-12-03T10:05') });
    // The service centre, week W48.
    await insertFollowUps(prisma, [
      { department: 'service-centre', assignee: 'zhuli.wu', status: 'DONE', outcome: 'SATISFIED', deadlineAt: at('2026-11-24T18:00'), completedAt: at('2026-11-24T11:00') },
    ]);
  });

  it('sends nobody anything before Monday 09:00', async () => {
    clock.set(at('2026-11-30T08:59'));
    expect(await runJob()).toEqual({ week: null, recipients: 0, enqueued: 0, alreadySent: 0 });
    expect(await digestRows('2026-W48')).toHaveLength(0);
  });

  it('chooses department heads and manager roles as recipients, each for their subtree', async () => {
    const recipients = await listManagerRecipients(db().prisma);
    expect(recipients.map((r) => [r.name, r.basis])).toEqual([
      ['刘院长', 'head'],
      ['孙主管', 'head'],
      ['王主任', 'head'],
      ['赵经理', 'head'],
    ]);
  });

  it('gives the ward head the hand-counted figures of W48', async () => {
    const recipient = (await listManagerRecipients(db().prisma)).find((r) => r.name === '王主任')!;
    const digest = await buildRecipientDigest(
      { timeZone: 'Asia/Shanghai', digests: app.deps.digests },
      recipient,
      { from: at('2026-11-23T00:00'), to: at('2026-11-30T00:00'), asOf: at('2026-11-30T09:00') },
    );
    // Due: rows 1–7. Done 1, 2, 4, 6 (2 late); unreachable 3; cancelled 7; open 5 (OVERDUE).
    expect(digest.figures).toEqual({
      due: 7,
      staffTasks: 5,
      surveys: 2,
      done: 4,
      doneOnTime: 3,
      doneLate: 1,
      unreachable: 1,
      cancelled: 1,
      closedOnTime: 4,
      onTimeRate: 4 / 6,
      open: 1,
      overdueOpen: 1,
      overdue: 2,
      contactRate: 4 / 5,
      satisfied: 2,
      neutral: 1,
      dissatisfied: 1,
      satisfactionRate: 0.5,
    });
    expect(digest.previousSatisfactionRate).toBe(0.25);
    expect(digest.satisfactionChange).toBeCloseTo(0.25, 10);
    expect(digest.byStaff.map((r) => [r.name, r.due, r.done, r.doneOnTime, r.unreachable, r.overdue, r.open])).toEqual([
      ['李护士', 3, 2, 1, 1, 1, 0],
      ['周护士', 2, 1, 1, 0, 1, 1],
    ]);
    expect(digest.byDepartment.map((r) => [r.name, r.due])).toEqual([['心内科病区', 7]]);
    expect(digest.openEscalations.map((e) => e.ownerName)).toEqual(['陈护士长']);
    expect(digest.becomingOverdue.map((u) => [u.assigneeName, u.title])).toEqual([['李护士', '出院电话回访']]);
  });

  it('enqueues one WeCom markdown digest per manager at 09:00, with the figures and a signed detail link', async () => {
    clock.set(at('2026-11-30T09:00'));
    expect(await runJob()).toEqual({ week: '2026-W48', recipients: 4, enqueued: 4, alreadySent: 0 });
    const rows = await digestRows('2026-W48');
    expect(rows).toHaveLength(4);
    const ward = (await digestMessages('2026-W48')).find((m) => m.to.wecomUserId === 'kezhuren.wang')!;
    expect(ward.kind).toBe('staff_document');
    expect(ward.markdown).toContain('**应回访 7 项**（员工 5，问卷 2）= 已完成 4 + 未接通 1 + 已取消 1 + 未结 1');
    expect(ward.markdown).toContain('按时完成 3｜<font color="warning">逾期 2</font>（未办 1，迟办 1）｜按时率 **66.7%**');
    expect(ward.markdown).toContain('联系成功率 **80.0%**｜满意率 **50.0%**，较上周 <font color="info">+25.0</font> 个百分点');
    expect(ward.markdown).toMatch(/\[查看完整周报（全部人员、科室与清单）\]\(http:\/\/localhost:3000\/d\/2026-W48~[0-9A-Z]+\.[A-Za-z0-9_-]+\)$/);
    expect(utf8Bytes(ward.markdown)).toBeLessThanOrEqual(2048);
    const property = (await digestMessages('2026-W48')).find((m) => m.to.wecomUserId === 'jingli.zhao')!;
    expect(property.markdown).toContain('### 回访周报｜锦绣物业公司、锦绣花园客服中心');
    expect(property.markdown).toContain('**应回访 1 项**');
  });

  it('sends nothing more on repeated ticks that week', async () => {
    clock.set(at('2026-11-30T09:05'));
    expect(await runJob()).toEqual({ week: '2026-W48', recipients: 4, enqueued: 0, alreadySent: 4 });
    clock.set(at('2026-12-06T23:59'));
    expect(await runJob()).toMatchObject({ week: '2026-W48', enqueued: 0, alreadySent: 4 });
    expect(await digestRows('2026-W48')).toHaveLength(4);
  });

  it('catches up a missed Monday later in the week, once, with two replicas ticking at the same moment', async () => {
    // Down all Monday 7 December: the first tick of W50 is on Wednesday afternoon, on two replicas at once.
    clock.set(at('2026-12-09T14:00'));
    const replica = createReplica(db(), clock);
    try {
      // On SQLite two clients in one process cannot write concurrently (a writer waiting for the lock
      // blocks the event loop of the holder), so the replicas take turns there; PostgreSQL runs them at once.
      const results = db().capabilities.singleWriter
        ? [await runJob(replica), await runJob(app), await runJob(replica)]
        : await Promise.all([runJob(app), runJob(replica), runJob(app)]);
      expect(results.every((r) => r.week === '2026-W49')).toBe(true);
      expect(results.reduce((sum, r) => sum + r.enqueued, 0)).toBe(4);
      expect(results.reduce((sum, r) => sum + r.enqueued + r.alreadySent, 0)).toBe(12);
    } finally {
      await replica.closeReplica();
    }
    expect(await digestRows('2026-W49')).toHaveLength(4);
  });

  it('delivers each digest once through the outbox', async () => {
    clock.set(at('2026-12-09T14:01'));
    await jobs['dispatch-outbox']!.run(app);
    const delivered = await db().prisma.sandboxDelivery.findMany({ where: { kind: 'staff_document', address: 'kezhuren.wang' } });
    expect(delivered).toHaveLength(2); // W48 and W49
  });

  describe('detail page', () => {
    it('shows the full tables behind the signed link and rejects an altered link', async () => {
      const ward = (await digestMessages('2026-W48')).find((m) => m.to.wecomUserId === 'kezhuren.wang')!;
      const url = /\((http:\/\/localhost:3000\/d\/[^)]+)\)$/.exec(ward.markdown)![1]!;
      const signed = url.slice(url.lastIndexOf('/') + 1);
      const server = await listen(app);
      try {
        const page = await fetch(`${server.baseUrl}/d/${signed}`);
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain('<meta name="viewport"');
        expect(html).toContain('<td>李护士</td><td>3</td><td>2</td><td>1</td><td>1</td><td>0</td><td>0</td><td>1</td><td>66.7%</td><td>66.7%</td><td>50.0%</td>');
        expect(html).toContain('陈护士长');
        for (const bad of [signed.replace('W48', 'W47'), `${signed.slice(0, -1)}${signed.endsWith('A') ? 'B' : 'A'}`, 'nonsense', signed.split('.')[0]!]) {
          const res = await fetch(`${server.baseUrl}/d/${bad}`);
          expect(res.status).toBe(404);
        }
        // A digest link cannot open anything else: the purpose is part of the signature.
        const id = (await app.deps.links.verify('digest', signed))!;
        expect(parseDigestLinkId(id)).toMatchObject({ week: '2026-W48' });
        const asReport = await app.deps.links.sign('report', id);
        expect((await fetch(`${server.baseUrl}/d/${asReport}`)).status).toBe(404);
      } finally {
        await server.close();
      }
    });
  });
});
