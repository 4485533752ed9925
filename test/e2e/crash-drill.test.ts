/**
 * The crash drill (test/support/crash-drill.ts) at test size: real `huifang jobs run all` processes
 * SIGKILLed at random moments and restarted at once — far sooner than the 60 s outbox and 120 s
 * activation leases — against the Tencent SMS and WeCom simulators. No message is lost, no customer is
 * texted twice, no card is shown twice, and the loop itself makes progress. `npm run drill -- --cycles 200`
 * runs the long version (README, Reliability).
 */
import { expect, it } from 'vitest';
import { ACTIVATION_LEASE_MS } from '../../bot/core/follow-ups/activate-due-follow-ups.js';
import { OUTBOX_LEASE_MS } from '../../bot/core/outbox/dispatch-outbox.js';
import { describeEachDatabase } from '../support/db.js';
import { runCrashDrill } from '../support/crash-drill.js';

const CYCLES = 12;

describeEachDatabase('crash drill', (db) => {
  it(`loses nothing, texts no customer twice and keeps making progress through ${CYCLES} kills`, { timeout: 20 * 60_000 }, async () => {
    const result = await runCrashDrill({ db: db(), cycles: CYCLES, followUps: 48, perCycle: 4, lifeMs: { min: 1_500, max: 10_000 } });

    expect(result.cycles).toBe(CYCLES);
    // Restarts came far sooner than either lease, and the loop still got work done.
    expect(result.longestLifeMs).toBeLessThan(Math.min(OUTBOX_LEASE_MS, ACTIVATION_LEASE_MS));
    expect(result.duringLoop.activated).toBeGreaterThan(0);
    expect(result.duringLoop.sent).toBeGreaterThan(0);
    // Everything done in the end, each once.
    expect(result.activated).toBe(result.followUps);
    expect(result.unsent).toBe(0);
    expect(result.sms).toMatchObject({ rows: result.followUps / 2, delivered: result.followUps / 2, lost: 0, customersTextedTwice: 0, extraTexts: 0 });
    expect(result.cards).toMatchObject({ rows: result.followUps / 2, sent: result.followUps / 2, lost: 0, shownTwice: 0 });
    // WeCom drops silently what exceeds 30 a minute for one member; what it dropped is counted apart (README, Known limits).
    expect(result.cards.delivered + result.cards.droppedByWecom).toBe(result.followUps / 2);
    expect(result.uncertain.held).toBe(result.uncertain.resent + result.uncertain.settled);
  });
});
