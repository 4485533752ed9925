// Scheduling throughput: N cases through the real submitCase (validation translation, customer upsert,
// policy planning on the working-day calendar, one transaction per case), cycling the example cases of
// every policy pack P1–P14. Prints cases/second, follow-ups planned and peak memory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DbProvider } from '../bot/db/client.js';
import { toSubmitInput, type CaseBody } from '../bot/cases/case-body.js';
import { submitCase } from '../bot/core/cases/submit-case.js';
import { seedExampleOrganisation, EXAMPLE_STAFF, EXAMPLE_DEPARTMENTS } from '../bot/example/example-organisation.js';
import { ROOT_DIR } from '../bot/huifang.js';
import { createBenchApp, createBenchDb, dbClientOf, pad } from './setup.js';
import { withMemory, type MemoryPeak } from './memory.js';

export interface SchedulingResult {
  cases: number;
  followUps: number;
  ms: number;
  perSecond: number;
  memory: MemoryPeak;
  byPolicy: Record<string, number>;
}

/** The example cases, re-pointed at the example organisation so every one is accepted. */
export function exampleBodies(): CaseBody[] {
  const dir = join(ROOT_DIR, 'templates/policies/examples');
  const staff = EXAMPLE_STAFF.map((s) => s.wecomUserId);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f, i) => {
      const body = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CaseBody;
      const { subjectStaff: _s, department: _d, ...rest } = body;
      return { ...rest, department: EXAMPLE_DEPARTMENTS[i % EXAMPLE_DEPARTMENTS.length]!.code, responsibleStaff: staff[i % staff.length] };
    });
}

export async function runScheduling(provider: DbProvider, count: number, concurrency = 8): Promise<SchedulingResult> {
  const db = await createBenchDb(provider);
  try {
    const { app, ids } = createBenchApp(dbClientOf(db), db.url);
    await seedExampleOrganisation(app.directory, () => ids.next());
    const bodies = exampleBodies();
    const byPolicy: Record<string, number> = {};
    let next = 0;
    let followUps = 0;
    const { result: ms, memory } = await withMemory(async () => {
      const started = performance.now();
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const base = bodies[i % bodies.length]!;
          const body: CaseBody = {
            ...base,
            externalId: `BENCH-${pad(i, 9)}`,
            customer: { ...base.customer, externalId: `BENCH-C-${pad(i, 9)}`, phone: `+86136${pad(i, 8)}` },
          };
          const result = await submitCase(app.deps, await toSubmitInput(app, body, 'bench'));
          followUps += result.followUpsAdded;
          const policy = app.deps.policies.forCaseType(body.type)!.id;
          byPolicy[policy] = (byPolicy[policy] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return performance.now() - started;
    });
    return { cases: count, followUps, ms, perSecond: (count / ms) * 1000, memory, byPolicy };
  } finally {
    await db.destroy();
  }
}
