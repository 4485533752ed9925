// `npm run drill -- [--cycles N] [--db sqlite|postgresql] [--follow-ups N] [--life MIN-MAX]`
//
// The crash drill (test/support/crash-drill.ts) at any length: real `huifang jobs run all` processes
// SIGKILLed at random moments, restarted at once, against the Tencent SMS and WeCom simulators; then
// the operator's decisions on uncertain messages and one unkilled run. Prints what happened to every
// follow-up and message and writes bench/results/drill-latest.json. Exit 1 when a message was lost,
// a customer texted twice or a card shown twice.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

if (!process.env.TEST_POSTGRES_URL && process.env.BENCH_POSTGRES_URL) process.env.TEST_POSTGRES_URL = process.env.BENCH_POSTGRES_URL;
const { createTestDb } = await import('../test/support/db.js');
const { runCrashDrill } = await import('../test/support/crash-drill.js');

const USAGE = 'Usage: npm run drill -- [--cycles N (200)] [--db sqlite|postgresql (sqlite)] [--follow-ups N (640)] [--life MIN-MAX ms (2000-15000)]';
const { values } = parseArgs({
  options: { cycles: { type: 'string', default: '200' }, db: { type: 'string', default: 'sqlite' }, 'follow-ups': { type: 'string', default: '640' }, life: { type: 'string', default: '2000-15000' }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const cycles = Number(values.cycles);
const followUps = Number(values['follow-ups']);
const [min, max] = (values.life ?? '').split('-').map(Number);
if (!Number.isInteger(cycles) || cycles < 1 || !Number.isInteger(followUps) || followUps < 2 || !(min! >= 0 && max! > min!) || (values.db !== 'sqlite' && values.db !== 'postgresql')) {
  console.error(USAGE);
  process.exit(2);
}
if (values.db === 'postgresql' && !process.env.TEST_POSTGRES_URL) {
  console.error('--db postgresql needs TEST_POSTGRES_URL (or BENCH_POSTGRES_URL)');
  process.exit(2);
}

const db = await createTestDb(values.db);
try {
  console.error(`crash drill: ${cycles} kills, ${followUps} due follow-ups, ${values.db}, each process killed ${min}–${max} ms after it starts`);
  const result = await runCrashDrill({ db, cycles, followUps, lifeMs: { min: min!, max: max! }, log: (line) => console.error(line) });
  const out = resolve('bench/results/drill-latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), db: values.db, ...result }, null, 2)}\n`);
  const s = result.sms;
  const c = result.cards;
  console.log(
    [
      `crash drill on ${values.db}: ${result.cycles} processes killed (longest life ${(result.longestLifeMs / 1000).toFixed(1)} s; ${result.finishedUnkilled} finished before their kill), ${(result.durationMs / 60_000).toFixed(1)} min`,
      `during the crash loop: ${result.duringLoop.activated}/${result.followUps} follow-ups activated, ${result.duringLoop.sent} messages sent; ${result.interruptedSends} sends interrupted by a kill`,
      `in the end:           ${result.activated}/${result.followUps} activated; ${result.unsent} outbox rows not sent`,
      `SMS:   ${s.rows} rows, ${s.delivered} delivered, ${s.lost} lost, ${s.customersTextedTwice} customers texted twice (${s.extraTexts} extra texts)`,
      `cards: ${c.rows} rows, ${c.delivered} delivered, ${c.droppedByWecom} dropped by WeCom's per-member cap, ${c.lost} lost, ${c.shownTwice} shown twice`,
      `held for a person: ${result.uncertain.held} (resent ${result.uncertain.resent}, settled ${result.uncertain.settled})`,
      `written to ${out}`,
    ].join('\n'),
  );
  const failed = s.lost + s.customersTextedTwice + c.lost + c.shownTwice + result.unsent + (result.followUps - result.activated) > 0;
  process.exitCode = failed ? 1 : 0;
} finally {
  await db.destroy();
}
