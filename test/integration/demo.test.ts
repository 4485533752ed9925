import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoReport, type FollowUpCounts } from '../../bot/demo/run-demo.js';

// The demo end to end: a fresh migrated SQLite database, the example organisation, ten simulated
// days. The assertions hold for any seed: they check that the figures add up and that the story
// exercised every path (done, overdue, escalated, answered), never the exact random figures.
describe('huifang demo (10 simulated days)', () => {
  let report: DemoReport;
  let printed: DemoReport;
  const lines: string[] = [];

  beforeAll(async () => {
    report = await runDemo({ days: 10, json: true, out: (line) => lines.push(line) });
    printed = JSON.parse(lines.join('\n')) as DemoReport;
  }, 240_000);

  it('prints the report it returns, as JSON', () => {
    expect(printed.followUps).toEqual(report.followUps);
    expect(printed.surveys).toEqual(report.surveys);
    expect(printed.days).toBe(10);
  });

  const sumOfStatuses = (c: FollowUpCounts) => c.done + c.unreachable + c.overdueOpen + c.active + c.cancelled + c.scheduled + c.skipped;

  it('accounts for every follow-up exactly once', () => {
    const f = report.followUps;
    expect(sumOfStatuses(f)).toBe(f.total);
    expect(f.doneOnTime + f.doneLate).toBe(f.done);
    expect(f.byAction.staffTasks.total + f.byAction.surveys.total).toBe(f.total);
    for (const c of [f.byAction.staffTasks, f.byAction.surveys]) expect(sumOfStatuses(c)).toBe(c.total);
    expect(f.due).toBeLessThanOrEqual(f.total);
    expect(f.awaitingRetry).toBeLessThanOrEqual(f.scheduled);
  });

  it('accounts for every survey sent', () => {
    const s = report.surveys;
    expect(s.answered + s.expired + s.open).toBe(s.sent);
    expect(s.satisfaction.satisfied + s.satisfaction.neutral + s.satisfaction.dissatisfied).toBe(s.answered);
    // One survey per customer survey follow-up that was activated (cancelled ones never send).
    expect(s.sent).toBeLessThanOrEqual(report.followUps.byAction.surveys.total);
  });

  it('gives every escalation an owner', () => {
    expect(report.escalations.list).toHaveLength(report.escalations.opened);
    for (const e of report.escalations.list) expect(e.owner).toMatch(/\S/);
    expect(report.escalations.byOwner.reduce((n, o) => n + o.count, 0)).toBe(report.escalations.opened);
  });

  it('sends everything it decided to send, and nothing dies in the outbox', () => {
    const o = report.outbox;
    expect(o.dead).toBe(0);
    expect(o.sent + o.pending + o.dead + o.cancelled).toBe(o.total);
    expect(o.byChannel.reduce((n, c) => n + c.sent, 0)).toBe(o.sent);
    // Every task card the service sent reached a staff member's sandbox inbox.
    expect(o.byChannel.find((c) => c.channel === 'wecom')?.byKind.task_card).toBe(report.staff.cardsDelivered);
    expect(report.inbound.failed).toBe(0);
  });

  it('tells a non-trivial story', () => {
    expect(report.cases.created).toBeGreaterThan(0);
    expect(report.cases.byPolicy.map((p) => p.policyId).sort()).toEqual(['P4', 'P7']);
    expect(report.cases.handledUpdates).toBeGreaterThan(0);
    expect(report.followUps.done).toBeGreaterThan(0);
    expect(report.followUps.overdueOpen + report.followUps.doneLate).toBeGreaterThan(0);
    expect(report.escalations.opened).toBeGreaterThan(0);
    expect(report.surveys.answered).toBeGreaterThan(0);
  });

  it('includes the weekly digests of the first full week, within the WeCom size budget', () => {
    const d = report.digests;
    expect(d).not.toBeNull();
    expect(new Date(d!.from).toISOString()).toBe('2026-11-01T16:00:00.000Z'); // Monday 2 November, 00:00 in Shanghai
    for (const digest of [d!.wardHead, d!.propertyManager]) {
      expect(digest).not.toBeNull();
      expect(digest!.bytes).toBeLessThanOrEqual(2048);
      expect(digest!.markdown).toContain('### 回访周报');
      const f = digest!.digest.figures;
      expect(f.done + f.unreachable + f.cancelled + f.open).toBe(f.due);
    }
    expect(d!.wardHead!.manager).toBe('王主任');
    expect(d!.propertyManager!.digest.departments).toEqual(['锦绣物业公司', '锦绣花园客服中心']);
  });
});
