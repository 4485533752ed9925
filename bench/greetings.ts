// (j) Greeting planning on a send day, at 10,000 and 100,000 customers (birthdays spread over the year,
// all in the audience) and a festival-and-birthday campaign, on a birthday-only day (4 January 2027):
//   - what every planning run did before (reference, measured in the same run): read every customer
//     with their open cases, read the day's rows, plan;
//   - the first run of the day now: only the customers born on the day (then their rows inserted);
//   - a later run of the planned day now (once per REPLAN_EVERY_MS): one claim, an indexed read of the
//     customers changed since the last complete run (none), nothing else.
// Figures only.
import type { DbProvider } from '../bot/db/client.js';
import { parseCampaign } from '../bot/loaders/load-campaigns.js';
import { formatLocalDate } from '../bot/core/time.js';
import { planGreetingDay } from '../bot/core/greetings/plan-greetings.js';
import { planGreetings, REPLAN_EVERY_MS, type GreetingDeps } from '../bot/core/greetings/run-greetings.js';
import { createBenchApp, createBenchDb, customerId, customerPhone, dbClientOf, pad } from './setup.js';

export const GREETING_BENCH_SIZES = [10_000, 100_000] as const;

const CAMPAIGN = `
key: bench_year
title: 全年节日与生日问候
occasions: [元旦, 春节, 中秋, 国庆, birthday]
audience: { tags: [grade:A, grade:B] }
channels: [sms]
send: { day: same_day, window: "09:00-21:00" }
segments:
  - key: all
    text: "{salutation}您好！{occasion}快乐！"
    birthdayText: "{salutation}您好！祝您生日快乐！"
`;

export interface GreetingSizeResult {
  customers: number;
  /** Customers born on the bench day. */
  due: number;
  /** Before: one planning run reading every customer (ms, mean of the runs). */
  fullMs: number;
  /** Now: the day's first run (birthday-only day: those born on it), inserts included. */
  firstMs: number;
  firstRead: number;
  /** Now: a later run of the planned day (mean of the runs). */
  replanMs: number;
  replanRead: number;
}

export interface GreetingBenchResult {
  sizes: GreetingSizeResult[];
}

const RUNS = 5;

export async function runGreetingPlanning(provider: DbProvider, sizes: readonly number[] = GREETING_BENCH_SIZES): Promise<GreetingBenchResult> {
  const out: GreetingBenchResult = { sizes: [] };
  for (const size of sizes) out.sizes.push(await runSize(provider, size));
  return out;
}

async function runSize(provider: DbProvider, customers: number): Promise<GreetingSizeResult> {
  const db = await createBenchDb(provider);
  try {
    const { app, clock } = createBenchApp(dbClientOf(db), db.url);
    const start = clock.now();
    const written = new Date(start.getTime() - 86_400_000);
    for (let from = 0; from < customers; from += 1_000) {
      const data = [];
      for (let i = from; i < Math.min(customers, from + 1_000); i++) {
        const phone = customerPhone(i);
        const day = new Date(Date.UTC(2001, 0, 1 + (i % 365)));
        data.push({
          id: customerId(i),
          name: `客户${i}`,
          salutation: `客户${i}`,
          phoneE164: phone,
          phoneMasked: `${phone.slice(3, 6)}****${phone.slice(-4)}`,
          consentMarketing: true,
          tags: JSON.stringify([i % 2 === 0 ? 'grade:A' : 'grade:B']),
          birthday: `${1950 + (i % 50)}-${pad(day.getUTCMonth() + 1, 2)}-${pad(day.getUTCDate(), 2)}`,
          createdAt: written,
          updatedAt: written,
        });
      }
      await db.prisma.customer.createMany({ data });
    }
    const campaign = parseCampaign(CAMPAIGN, 'bench_year.yaml');
    const ctx: GreetingDeps = { ...app.greetings, campaigns: [campaign] };
    const today = formatLocalDate(start, ctx.timeZone);

    // Before: every run read the whole table (measured without inserting, as a replan found nothing new).
    let fullMs = 0;
    let due = 0;
    for (let k = 0; k < RUNS; k++) {
      const t0 = performance.now();
      const all = await ctx.store.listCustomers();
      const probe = planGreetingDay({ campaign, sendDate: today, now: start, timeZone: ctx.timeZone, lunar: ctx.lunar, customers: [], existing: [], usable: ctx.usable });
      const plan = planGreetingDay({
        campaign,
        sendDate: today,
        now: start,
        timeZone: ctx.timeZone,
        lunar: ctx.lunar,
        customers: all,
        existing: await ctx.store.findByOccasions(probe.occasions.map((o) => o.occasionKey)),
        usable: ctx.usable,
      });
      fullMs += performance.now() - t0;
      due = plan.rows.length;
    }

    const t1 = performance.now();
    const first = await planGreetings(ctx, start);
    const firstMs = performance.now() - t1;

    let replanMs = 0;
    let replanRead = 0;
    for (let k = 1; k <= RUNS; k++) {
      const at = new Date(start.getTime() + k * REPLAN_EVERY_MS);
      const t = performance.now();
      const r = await planGreetings(ctx, at);
      replanMs += performance.now() - t;
      replanRead += r.customersRead;
    }
    return { customers, due, fullMs: fullMs / RUNS, firstMs, firstRead: first.customersRead, replanMs: replanMs / RUNS, replanRead };
  } finally {
    await db.close();
  }
}
