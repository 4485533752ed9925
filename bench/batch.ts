// (h) Set-based scheduling: N cases (the example cases of every policy pack, re-pointed at the
// example organisation) through POST /api/v1/cases/batch, 1,000 per request over loopback, and the
// same number through `huifang import cases` (importCases over a generated CSV file), each on a fresh
// database; beside them, as the reference measured in the same run, a sample through submitCase one
// by one (8 at a time, as part (e)). Figures only: nothing here asserts on timing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DbProvider } from '../bot/db/client.js';
import type { CaseBody } from '../bot/cases/case-body.js';
import { toSubmitInput } from '../bot/cases/case-body.js';
import { submitCase } from '../bot/core/cases/submit-case.js';
import { seedExampleOrganisation } from '../bot/example/example-organisation.js';
import { createHttpApp } from '../bot/http/app.js';
import { CASE_HEADER, importCases } from '../bot/import/import-cases.js';
import { openCsv } from '../bot/import/read-csv.js';
import { exampleBodies } from './scheduling.js';
import { createBenchApp, createBenchDb, dbClientOf, pad } from './setup.js';
import { withMemory, type MemoryPeak } from './memory.js';

const API_KEY = 'bench-batch-key-0123456789abcdef';

export interface RateResult {
  cases: number;
  followUps: number;
  ms: number;
  perSecond: number;
  /** CPU time of this process while the cases went in (user + system; the PostgreSQL server's not counted). */
  cpuMs: number;
  memory: MemoryPeak;
}

export interface BatchResult {
  /** submitCase one by one (the reference), on a sample. */
  single: RateResult;
  /** POST /api/v1/cases/batch, 1,000 cases per request. */
  http: RateResult & { requests: number; failed: number };
  /** importCases over a CSV file (its default batches of 2,000 rows). */
  csv: RateResult;
}

/** Case `i` of a run: an example body with its own case, customer and phone. */
function bodyAt(bodies: readonly CaseBody[], prefix: string, i: number): CaseBody {
  const base = bodies[i % bodies.length]!;
  return {
    ...base,
    externalId: `${prefix}-${pad(i, 9)}`,
    customer: { ...base.customer, externalId: `${prefix}-C-${pad(i, 9)}`, phone: `+86136${pad(i, 8)}` },
  };
}

async function fresh(provider: DbProvider) {
  const db = await createBenchDb(provider);
  const bench = createBenchApp(dbClientOf(db), db.url, undefined, { API_KEYS: `bench:${API_KEY}` });
  await seedExampleOrganisation(bench.app.directory, () => bench.ids.next());
  return { db, ...bench };
}

/** The reference: `count` cases through submitCase, 8 at a time. */
async function runSingle(provider: DbProvider, count: number, bodies: readonly CaseBody[]): Promise<RateResult> {
  const { db, app } = await fresh(provider);
  try {
    let next = 0;
    let followUps = 0;
    const cpuBefore = process.cpuUsage();
    const { result: ms, memory } = await withMemory(async () => {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < count) {
            const result = await submitCase(app.deps, await toSubmitInput(app, bodyAt(bodies, 'ONE', next++), 'bench'));
            followUps += result.followUpsAdded;
          }
        }),
      );
      return performance.now() - started;
    });
    return { cases: count, followUps, ms, perSecond: (count / ms) * 1000, cpuMs: cpuMsSince(cpuBefore), memory };
  } finally {
    await db.destroy();
  }
}

/** `count` cases through the batch endpoint, 1,000 per request, two requests at a time. */
async function runHttpBatch(provider: DbProvider, count: number, bodies: readonly CaseBody[]): Promise<BatchResult['http']> {
  const { db, app } = await fresh(provider);
  const server: Server = createHttpApp(app).listen(0, '127.0.0.1');
  // A batch can take longer than Node's defaults allow an idle keep-alive socket or a request.
  server.keepAliveTimeout = 600_000;
  server.requestTimeout = 0;
  try {
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/cases/batch`;
    // Prepared before the clock starts: building the JSON is the sender's work.
    const requests: string[] = [];
    for (let from = 0; from < count; from += 1000) {
      requests.push(JSON.stringify({ cases: Array.from({ length: Math.min(1000, count - from) }, (_, k) => bodyAt(bodies, 'BATCH', from + k)) }));
    }
    let next = 0;
    let followUps = 0;
    let failed = 0;
    const cpuBefore = process.cpuUsage();
    const { result: ms, memory } = await withMemory(async () => {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 2 }, async () => {
          while (next < requests.length) {
            const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: requests[next++]! });
            const json = (await res.json()) as { failed: number; results: { followUpsAdded?: number }[] };
            if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
            failed += json.failed;
            for (const r of json.results) followUps += r.followUpsAdded ?? 0;
          }
        }),
      );
      return performance.now() - started;
    });
    return { cases: count, followUps, ms, perSecond: (count / ms) * 1000, cpuMs: cpuMsSince(cpuBefore), memory, requests: requests.length, failed };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.destroy();
  }
}

/** CPU milliseconds (user + system) this process spent since `before`. */
function cpuMsSince(before: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000;
}

/** A CSV cell, quoted. */
const cell = (v: unknown) => (v === undefined || v === null ? '' : `"${String(v).replace(/"/g, '""')}"`);

/** `count` cases as a case file, then importCases over it. */
async function runCsv(provider: DbProvider, count: number, bodies: readonly CaseBody[]): Promise<RateResult> {
  const { db, app } = await fresh(provider);
  const dir = mkdtempSync(join(tmpdir(), 'huifang-bench-csv-'));
  try {
    // Only examples whose attributes are plain values fit a spreadsheet cell.
    const flat = bodies.filter((b) => Object.values(b.attributes ?? {}).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
    const attrs = [...new Set(flat.flatMap((b) => Object.keys(b.attributes ?? {})))];
    const milestones = [...new Set(flat.flatMap((b) => Object.keys(b.milestones ?? {})))];
    const header = ['type', 'external_id', 'occurred_at', 'closed_at', 'department', 'responsible_staff', 'subject_staff', 'customer_external_id', 'customer_name', 'customer_salutation', 'customer_phone', ...attrs.map((a) => `attr.${a}:text`), ...milestones.map((m) => `milestone.${m}`)];
    const lines = [header.join(',')];
    for (let i = 0; i < count; i++) {
      const b = bodyAt(flat, 'CSV', i);
      lines.push(
        [b.type, b.externalId, b.occurredAt, b.closedAt, b.department, b.responsibleStaff, b.subjectStaff, b.customer.externalId, b.customer.name, b.customer.salutation, b.customer.phone, ...attrs.map((a) => b.attributes?.[a]), ...milestones.map((m) => b.milestones?.[m])]
          .map(cell)
          .join(','),
      );
    }
    const file = join(dir, 'cases.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const csv = await openCsv(file, CASE_HEADER);
    const cpuBefore = process.cpuUsage();
    const { result, memory } = await withMemory(async () => {
      const started = performance.now();
      const summary = await importCases(app, () => csv.rows());
      return { summary, ms: performance.now() - started };
    });
    const { summary, ms } = result;
    if (summary.rejected || summary.created !== count) throw new Error(`import: ${JSON.stringify({ ...summary, problems: summary.problems.slice(0, 5) })}`);
    return { cases: count, followUps: summary.followUpsAdded, ms, perSecond: (count / ms) * 1000, cpuMs: cpuMsSince(cpuBefore), memory };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.destroy();
  }
}

/** (h) on one database. */
export async function runBatch(provider: DbProvider, rows: number): Promise<BatchResult> {
  const bodies = exampleBodies();
  const log = (text: string) => process.stderr.write(`  … ${provider}: ${text}\n`);
  const sample = Math.min(rows, 2_000);
  log(`submitCase one by one, ${sample} cases (reference)`);
  const single = await runSingle(provider, sample, bodies);
  log(`POST /api/v1/cases/batch, ${rows} cases`);
  const http = await runHttpBatch(provider, rows, bodies);
  log(`import cases, ${rows} rows`);
  const csv = await runCsv(provider, rows, bodies);
  return { single, http, csv };
}
