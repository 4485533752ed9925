// (i) Weekly digests for many managers: an organisation of N departments (a headquarters, divisions
// and wards, each with its own head: N digest recipients) with follow-ups due in the reported week in
// every ward and some open escalations; then the real send-weekly-digests job (rows read together, a
// few grouped queries per 250 managers; digests enqueued). Beside it, as the reference measured in the
// same run, each manager's digest read and built one manager after another (loadDigestInput, the same
// counting queries once per manager), without enqueueing. Figures only.
import type { DbProvider } from '../bot/db/client.js';
import { buildDigest } from '../bot/core/digests/build-digest.js';
import { buildDigestDocument } from '../bot/core/digests/digest-document.js';
import { sendWeeklyDigests } from '../bot/core/digests/send-weekly-digests.js';
import { dueDigestWeek } from '../bot/core/digests/digest-schedule.js';
import { createBenchApp, createBenchDb, customerId, dbClientOf, pad, seedPopulation } from './setup.js';
import { withMemory, type MemoryPeak } from './memory.js';

export interface DigestBenchResult {
  managers: number;
  followUps: number;
  /** One manager after another: loadDigestInput + buildDigest + document (the reference). */
  oneByOne: { ms: number; memory: MemoryPeak };
  /** The job: sendWeeklyDigests. */
  job: { ms: number; enqueued: number; memory: MemoryPeak };
}

const STATUSES = ['DONE', 'DONE', 'DONE', 'OVERDUE', 'UNREACHABLE', 'ACTIVE', 'SCHEDULED', 'CANCELLED'] as const;
const OUTCOMES = ['SATISFIED', 'SATISFIED', 'NEUTRAL', 'DISSATISFIED'] as const;

export async function runDigests(provider: DbProvider, managers = 1_000, followUpsPerWard = 20, reference = true): Promise<DigestBenchResult> {
  const db = await createBenchDb(provider);
  try {
    const { app, clock, ids } = createBenchApp(dbClientOf(db), db.url);
    const now = clock.now();
    const due = dueDigestWeek(now, app.config.digestSchedule, app.config.timezone);
    if (!due) throw new Error('bench start is before the digest send time');
    const { prisma } = db;
    const customers = 3_000;
    await seedPopulation(db, ids, now, customers, 0);

    // Departments: headquarters → divisions → wards; every one has a head of its own.
    const divisions = Math.max(1, Math.round(Math.sqrt(managers)));
    const departments: { id: string; code: string; name: string; parentId: string | null; path: string; headId: string }[] = [];
    const hq = `BDEP${pad(0, 6)}`;
    departments.push({ id: hq, code: 'bench-hq', name: '总部', parentId: null, path: `/${hq}/`, headId: `BSTF${pad(0, 6)}` });
    for (let i = 1; i < managers; i++) {
      const id = `BDEP${pad(i, 6)}`;
      const parent = i <= divisions ? departments[0]! : departments[1 + ((i - divisions - 1) % divisions)]!;
      departments.push({ id, code: `bench-${i}`, name: `${i <= divisions ? '事业部' : '病区'}${i}`, parentId: parent.id, path: `${parent.path}${id}/`, headId: `BSTF${pad(i, 6)}` });
    }
    const at = new Date();
    for (let i = 0; i < departments.length; i += 500) {
      const chunk = departments.slice(i, i + 500);
      // Heads first (a department names its head), in a department that exists: the example hospital.
      const hospital = await prisma.department.findUniqueOrThrow({ where: { code: 'hospital' }, select: { id: true } });
      await prisma.staff.createMany({ data: chunk.map((d) => ({ id: d.headId, wecomUserId: `bench.head.${d.code}`, name: `主任${d.code}`, departmentId: hospital.id, roles: '[]', updatedAt: at })) });
    }
    for (let i = 0; i < departments.length; i += 500) await prisma.department.createMany({ data: departments.slice(i, i + 500).map((d) => ({ ...d, updatedAt: at })) });
    for (let i = 0; i < departments.length; i += 500) {
      await Promise.all(departments.slice(i, i + 500).map((d) => prisma.staff.update({ where: { id: d.headId }, data: { departmentId: d.id } })));
    }

    // Wards' cases and follow-ups due in the reported week.
    const wards = departments.slice(1 + divisions);
    const span = due.to.getTime() - due.from.getTime();
    let followUps = 0;
    const cases = [];
    const rows = [];
    for (const [w, ward] of wards.entries()) {
      for (let k = 0; k < followUpsPerWard; k++) {
        const n = w * followUpsPerWard + k;
        const id = `BDCASE${pad(n, 12)}`;
        cases.push({ id, type: 'discharge', externalId: `BENCH-DG-${pad(n, 8)}`, policyId: 'P4', customerId: customerId(n % customers), departmentId: ward.id, responsibleStaffId: ward.headId, attributes: '{}', milestones: '{}', status: 'OPEN', occurredAt: due.from });
        const status = STATUSES[n % STATUSES.length]!;
        const deadlineAt = new Date(due.from.getTime() + ((n * 7919) % span));
        rows.push({
          id: `BDFU${pad(n, 12)}`,
          caseId: id,
          customerId: customerId(n % customers),
          policyId: 'P4',
          step: 'phone',
          sequence: 1,
          action: n % 4 === 0 ? 'CUSTOMER_SURVEY' : 'STAFF_TASK',
          channel: 'wecom',
          status,
          outcome: status === 'DONE' ? OUTCOMES[n % OUTCOMES.length]! : status === 'UNREACHABLE' ? 'UNREACHABLE' : null,
          assigneeId: ward.headId,
          earliestAt: due.from,
          dueAt: due.from,
          deadlineAt,
          completedAt: status === 'DONE' || status === 'UNREACHABLE' ? new Date(deadlineAt.getTime() - 3_600_000) : null,
        });
        followUps++;
      }
    }
    for (let i = 0; i < cases.length; i += 1_000) await prisma.case.createMany({ data: cases.slice(i, i + 1_000) });
    for (let i = 0; i < rows.length; i += 1_000) await prisma.followUp.createMany({ data: rows.slice(i, i + 1_000) });

    const recipients = await app.deps.digests.listDigestRecipients();
    process.stderr.write(`  … ${provider}: weekly digests for ${recipients.length} managers, one after another (reference)\n`);
    const oneByOne = await withMemory(async () => {
      const started = performance.now();
      for (const r of reference ? recipients : []) {
        const digest = buildDigest(await app.deps.digests.loadDigestInput(r, { from: due.from, to: due.to, asOf: now, timeZone: app.config.timezone }));
        buildDigestDocument(digest, app.deps.templates, { detailUrl: 'https://bench.example/d/x' });
      }
      return performance.now() - started;
    });
    process.stderr.write(`  … ${provider}: weekly digests for ${recipients.length} managers through the job\n`);
    const job = await withMemory(async () => {
      const started = performance.now();
      const result = await sendWeeklyDigests(
        { clock, timeZone: app.config.timezone, publicBaseUrl: app.config.publicBaseUrl, links: app.deps.links, digests: app.deps.digests, templates: app.deps.templates, calendar: app.deps.calendar },
        app.config.digestSchedule,
      );
      return { ms: performance.now() - started, enqueued: result.enqueued };
    });
    return {
      managers: recipients.length,
      followUps,
      oneByOne: { ms: oneByOne.result, memory: oneByOne.memory },
      job: { ms: job.result.ms, enqueued: job.result.enqueued, memory: job.memory },
    };
  } finally {
    await db.destroy();
  }
}
