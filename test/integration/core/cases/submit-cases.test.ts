// A batch through submitCases ends exactly where the same cases submitted one by one through
// submitCase end: the same outcomes item by item, and the same cases, follow-ups (times, assignees,
// sampling), customers, escalations and audit entries, on two databases seeded alike.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { FakeClock, UlidGenerator } from '../../../../bot/clocks.js';
import { ROOT_DIR, type Huifang } from '../../../../bot/huifang.js';
import { loadCaseExamples } from '../../../../bot/http/case-examples.js';
import { translateCaseBody, type CaseBody } from '../../../../bot/cases/case-body.js';
import { submitCase, type SubmitCaseInput } from '../../../../bot/core/cases/submit-case.js';
import { SUBMIT_CHUNK, submitCases, type SubmitCasesOutcome } from '../../../../bot/core/cases/submit-cases.js';
import { DomainError } from '../../../../bot/core/errors.js';
import { PrismaStaffDirectory } from '../../../../bot/db/staff-directory-store.js';
import { openCsv } from '../../../../bot/import/read-csv.js';
import { importStaff, STAFF_COLUMNS } from '../../../../bot/import/import-staff.js';
import { loadRoleCatalogue } from '../../../../bot/loaders/load-roles.js';
import { createTestDb, describeEachDatabase, type AdHocTestDb, type TestDb } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient, storeContext } from '../../../support/service.js';

const examples = loadCaseExamples(join(ROOT_DIR, 'templates/policies/examples')).map((e) => e.value as unknown as CaseBody);
const byName = (name: string) => loadCaseExamples(join(ROOT_DIR, 'templates/policies/examples')).find((e) => e.name === name)!.value as unknown as CaseBody;

/** The batch: every example, plus what cannot be decided in bulk or must behave as one by one. */
function batchBodies(): CaseBody[] {
  const complaint = byName('P7-complaint');
  const repair = byName('P7-repair');
  const discharge = byName('P4-discharge');
  const { milestones: _m, ...unhandled } = complaint;
  return [
    ...examples,
    // The same complaint again from the same owner (a second case): REPEATED_COMPLAINT at once.
    { ...complaint, externalId: 'TS-REPEAT-2', occurredAt: '2026-11-04T09:10:00+08:00' },
    // The same repair three times within 30 days: the third escalates.
    { ...repair, externalId: 'WX-REPEAT-2', occurredAt: '2026-10-15T08:40:00+08:00' },
    { ...repair, externalId: 'WX-REPEAT-3', occurredAt: '2026-10-20T08:40:00+08:00' },
    // A case posted twice in the batch, first without its milestone, then with it (an update).
    { ...unhandled, externalId: 'TS-TWICE', customer: { ...complaint.customer, externalId: 'O-TWICE', phone: '+8613900009001' } },
    { ...complaint, externalId: 'TS-TWICE', customer: { ...complaint.customer, externalId: 'O-TWICE', phone: '+8613900009001' } },
    // The same case again, identical: nothing changes.
    { ...discharge },
    // A new customer in two new cases of the batch; the second brings a salutation and a tag.
    { ...discharge, externalId: 'ZY-SHARED-1', customer: { externalId: 'PAT-SHARED', name: '共享患者', phone: '+8613900009002' } },
    { ...discharge, externalId: 'ZY-SHARED-2', customer: { externalId: 'PAT-SHARED', name: '共享患者', salutation: '共先生', phone: '+8613900009002', tags: ['vip'] } },
    // An unknown case type: an error for this item only.
    { ...discharge, type: 'spaceship_launch', externalId: 'X-1' },
    // A customer known by phone only, under a new external id.
    { ...discharge, externalId: 'ZY-BY-PHONE', customer: { externalId: 'PAT-NEW-ID', name: '黄建国', phone: repair.customer.phone! } },
  ];
}

async function seed(db: TestDb): Promise<void> {
  await seedOrganisation(db);
  const csv = await openCsv(join(ROOT_DIR, 'test/fixtures/org/trades-staff.csv'), { columns: STAFF_COLUMNS });
  const ids = new UlidGenerator();
  const imported = await importStaff(new PrismaStaffDirectory(storeContext(db)), csv.rows(), { roles: loadRoleCatalogue(join(ROOT_DIR, 'templates/policies')), newId: () => ids.next() });
  expect(imported.problems).toEqual([]);
}

/** Everything a submission writes, without generated ids (staff by WeCom user id, cases by key). */
async function snapshot(db: TestDb) {
  const p = db.prisma;
  const staff = new Map((await p.staff.findMany()).map((s) => [s.id, s.wecomUserId]));
  const cases = await p.case.findMany();
  const caseKey = new Map(cases.map((c) => [c.id, `${c.type}/${c.externalId}`]));
  const customers = await p.customer.findMany();
  const customerKey = new Map(customers.map((c) => [c.id, c.externalId ?? c.phoneE164 ?? c.name]));
  const sorted = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    cases: sorted(
      cases.map((c) => ({ key: caseKey.get(c.id), customer: customerKey.get(c.customerId), policyId: c.policyId, status: c.status, attributes: c.attributes.replace(/"subjectStaffId":"([^"]+)"/, (_, id: string) => `"subjectStaffId":"${staff.get(id)}"`), milestones: c.milestones, occurredAt: c.occurredAt, closedAt: c.closedAt, responsible: c.responsibleStaffId && staff.get(c.responsibleStaffId), createdAt: c.createdAt })),
    ),
    followUps: sorted(
      (await p.followUp.findMany()).map((f) => ({
        case: caseKey.get(f.caseId),
        customer: customerKey.get(f.customerId),
        step: f.step,
        sequence: f.sequence,
        action: f.action,
        channel: f.channel,
        status: f.status,
        // Among several holders of a role the case id (generated) picks one: the rule must agree.
        assignee: f.assigneeRule?.startsWith('role:') || f.assigneeRule?.startsWith('nearest:') ? (f.assigneeId ? 'one of the role' : null) : f.assigneeId && staff.get(f.assigneeId),
        assigneeRule: f.assigneeRule,
        earliestAt: f.earliestAt,
        dueAt: f.dueAt,
        deadlineAt: f.deadlineAt,
        maxAttempts: f.maxAttempts,
        sampling: f.sampling,
      })),
    ),
    customers: sorted(customers.map((c) => ({ externalId: c.externalId, name: c.name, salutation: c.salutation, phone: c.phoneE164, masked: c.phoneMasked, tags: c.tags, consentSurvey: c.consentSurvey, consentMarketing: c.consentMarketing, deceasedAt: c.deceasedAt }))),
    escalations: sorted((await p.escalation.findMany()).map((e) => ({ case: e.caseId && caseKey.get(e.caseId), reason: e.reason, status: e.status, owner: staff.get(e.ownerId), level: e.level }))),
    outbox: sorted((await p.outboxMessage.findMany()).map((m) => ({ kind: m.kind, channel: m.channel, recipient: staff.get(m.recipientId) ?? customerKey.get(m.recipientId), status: m.status }))),
    audit: sorted((await p.auditLog.findMany()).map((a) => ({ action: a.action, actor: a.actorId, entity: caseKey.get(a.entityId) ?? a.entityType, details: a.details.replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, '<id>') }))),
  };
}

function describeOutcome(o: SubmitCasesOutcome) {
  if (o instanceof DomainError) return { error: o.code, field: o.details?.field };
  const { caseId: _id, ...rest } = o;
  return rest;
}

describeEachDatabase('submitCases', (db) => {
  let other: AdHocTestDb;
  let one: Huifang;
  let batch: Huifang;
  const clock = new FakeClock('2026-11-20T09:00:00+08:00');

  beforeAll(async () => {
    other = await createTestDb(db().provider);
    await seed(db());
    await seed(other);
    one = createTestService(db().url, sharedDbClient(db()), clock);
    batch = createTestService(other.url, sharedDbClient(other), clock);
  });

  afterAll(async () => {
    await other?.destroy();
  });

  const inputsFor = async (app: Huifang, bodies: CaseBody[]): Promise<SubmitCaseInput[]> => {
    const org = await app.deps.org.loadOrgSnapshot();
    return bodies.map((b) => ({ submittedBy: 'test', ...translateCaseBody(b, org) }));
  };

  /** Submits one by one on the first database, collecting outcomes and DomainErrors. */
  async function oneByOne(bodies: CaseBody[]): Promise<SubmitCasesOutcome[]> {
    const out: SubmitCasesOutcome[] = [];
    for (const input of await inputsFor(one, bodies)) {
      try {
        out.push(await submitCase(one.deps, input));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        out.push(err);
      }
    }
    return out;
  }

  it('gives every item the outcome submitCase gives it, and writes the same rows', async () => {
    const bodies = batchBodies();
    const sequential = await oneByOne(bodies);

    const batched = await submitCases(batch.deps, await inputsFor(batch, bodies));

    expect(batched.map(describeOutcome)).toEqual(sequential.map(describeOutcome));
    // The batch exercised what it is there for: updates, a repeat escalation, an error.
    expect(batched.filter((o) => !(o instanceof DomainError) && !o.created).length).toBeGreaterThanOrEqual(2);
    expect(batched.some((o) => !(o instanceof DomainError) && o.escalated === 'REPEATED_COMPLAINT')).toBe(true);
    expect(batched.filter((o) => o instanceof DomainError).map((o) => (o as DomainError).code)).toEqual(['UNKNOWN_CASE_TYPE']);
    await expectSameRows();
  });

  it('creates nothing when the same batch is submitted again, and ends as submitting each case again does', async () => {
    const bodies = batchBodies();
    const sequential = await oneByOne(bodies);

    const again = await submitCases(batch.deps, await inputsFor(batch, bodies));

    expect(again.filter((o) => !(o instanceof DomainError) && o.created)).toEqual([]);
    expect(again.map(describeOutcome)).toEqual(sequential.map(describeOutcome));
    await expectSameRows();
  });

  it('gives cases that take sampling-quota places or count their month in order of arrival what submitCase gives them', async () => {
    const delivery = byName('P12-delivery');
    const household = byName('P10-household-phone');
    const bodies: CaseBody[] = [];
    for (let i = 0; i < 260; i++) {
      // Deliveries signed within one week (one weekly quota of 2 to 3 places over a 2 % draw) …
      const minute = String(i % 60).padStart(2, '0');
      bodies.push({ ...delivery, externalId: `YD-ARRIVAL-${i}`, occurredAt: `2026-11-0${3 + (i % 3)}T1${i % 10}:${minute}:00+08:00`, customer: { ...delivery.customer, phone: `+86138001${String(i).padStart(5, '0')}` } });
      // … and households served within one month, whose sampling tier follows the month's count so far (99 → 100).
      if (i % 2 === 0) {
        bodies.push({ ...household, externalId: `HH-ARRIVAL-${i}`, occurredAt: `2026-11-${String(3 + (i % 20)).padStart(2, '0')}T14:30:00+08:00`, customer: { ...household.customer, externalId: `HH-A-${i}`, phone: `+86138002${String(i).padStart(5, '0')}` } });
      }
      // A household served twice: the second case waits for the first's chunk to be written (same customer).
      if (i === 150) bodies.push({ ...household, externalId: 'HH-ARRIVAL-AGAIN', occurredAt: '2026-11-21T14:30:00+08:00', customer: { ...household.customer, externalId: 'HH-A-0', phone: '+8613800200000' } });
    }
    const sequential = await oneByOne(bodies);

    const batched = await submitCases(batch.deps, await inputsFor(batch, bodies));

    expect(batched.map(describeOutcome)).toEqual(sequential.map(describeOutcome));
    const sampling = (await other.prisma.followUp.findMany({ where: { case: { externalId: { contains: '-ARRIVAL-' } } }, select: { sampling: true, quotaSlot: true } })).map((f) => ({ ...f, sampling: f.sampling ?? '' }));
    // The run exercised what it is there for: quota places taken, then the quota full; both tiers of the month.
    expect(sampling.filter((f) => f.quotaSlot !== null).length).toBeGreaterThanOrEqual(2);
    expect(sampling.some((f) => f.sampling.includes(': full, 3 of 3 taken'))).toBe(true);
    expect(sampling.some((f) => f.sampling.includes('"rate":0.3'))).toBe(true);
    expect(sampling.some((f) => f.sampling.includes('"rate":0.2'))).toBe(true);
    await expectSameRows();
  });

  it('plans a chunk rolled back by a case posted meanwhile again, the posted case then as an update, and ends as one by one', async () => {
    // One chunk; a single post of one of its cases lands just before it is written, so it is rolled back,
    // read afresh and planned again: the posted case is then a resubmission (one by one, in its place), and
    // the cases before and after it are written in bulk.
    const discharge = byName('P4-discharge');
    const bodies: CaseBody[] = Array.from({ length: 30 }, (_, i) => ({ ...discharge, externalId: `ZY-REPLAN-${i}`, customer: { externalId: `PAT-REPLAN-${i}`, name: '重排患者', phone: `+86138005${String(i).padStart(5, '0')}` } }));
    const sequential = await oneByOne(bodies);

    const inputs = await inputsFor(batch, bodies);
    const written: number[] = [];
    const batched = await submitCases({ ...batch.deps, cases: interceptChunks(inputs, written, (chunk) => (chunk === 1 ? [3] : [])) }, inputs);

    expect(describeOutcome(batched[3]!)).toEqual({ created: false, followUpsAdded: 0 });
    expect(batched.map(describeOutcome).filter((_, i) => i !== 3)).toEqual(sequential.map(describeOutcome).filter((_, i) => i !== 3));
    // Rolled back with 30 cases, then written in bulk around the resubmission (not one by one).
    expect(written).toEqual([30, 3, 26]);
    await expectSameRows();
  });

  it('plans again what came after a chunk that was rolled back twice, its cases one by one, so that it still ends as one by one', async () => {
    // More than a chunk: while the first chunk is written the rest is planned (households counted by
    // their month's arrivals among them). A single post of one of its cases (7) lands just before the first
    // chunk is written; planned afresh, the chunk ends before that case, now an update, and another single
    // post (5) lands just before it is written again: rolled back twice, its cases go one by one, and the
    // planned rest is planned again.
    const discharge = byName('P4-discharge');
    const household = byName('P10-household-phone');
    const bodies: CaseBody[] = Array.from({ length: SUBMIT_CHUNK + 60 }, (_, i) =>
      i % 6 === 0
        ? { ...household, externalId: `HH-ROLLBACK-${i}`, occurredAt: '2026-11-12T14:30:00+08:00', customer: { ...household.customer, externalId: `HH-R-${i}`, phone: `+86138003${String(i).padStart(5, '0')}` } }
        : { ...discharge, externalId: `ZY-ROLLBACK-${i}`, customer: { externalId: `PAT-ROLLBACK-${i}`, name: '回滚患者', phone: `+86138004${String(i).padStart(5, '0')}` } },
    );
    const sequential = await oneByOne(bodies);

    const inputs = await inputsFor(batch, bodies);
    const written: number[] = [];
    // Case 7 is posted before the first chunk is written, case 5 before its first 7 cases are written again.
    const posts = (chunk: number, cases: number) => (chunk === 1 ? [7] : cases === 7 && written.filter((n) => n === 7).length === 1 ? [5] : []);
    const batched = await submitCases({ ...batch.deps, cases: interceptChunks(inputs, written, posts) }, inputs);

    // The cases posted alone meanwhile are the batch's resubmissions; every other outcome is as one by one.
    for (const i of [5, 7]) expect(describeOutcome(batched[i]!)).toEqual({ created: false, followUpsAdded: 0 });
    expect(batched.map(describeOutcome).filter((_, i) => i !== 5 && i !== 7)).toEqual(sequential.map(describeOutcome).filter((_, i) => i !== 5 && i !== 7));
    // The first chunk was rolled back (with the rest, when its write had begun meanwhile: it commits only after the
    // first), then its first 7 cases again (they went one by one); the rest was written afterwards.
    expect(written[0]).toBe(SUBMIT_CHUNK);
    expect(written.slice(1, 3)).toContain(7);
    expect(written.length).toBeGreaterThanOrEqual(3);
    await expectSameRows();
  });

  /**
   * The batch's case store, which before writing chunk n (counted from 1) submits `postsBefore(n)` of
   * `inputs` alone, as concurrent single posts would; `written` gets each chunk's number of cases (`cases`).
   */
  function interceptChunks(inputs: readonly SubmitCaseInput[], written: number[], postsBefore: (chunk: number, cases: number) => number[]) {
    const real = batch.deps.cases;
    return new Proxy(real, {
      get(target, name) {
        if (name === 'createCases') {
          return async (input: Parameters<typeof real.createCases>[0], after?: Promise<boolean>) => {
            written.push(input.cases.length);
            for (const i of postsBefore(written.length, input.cases.length)) await submitCase(batch.deps, inputs[i]!);
            return target.createCases(input, after);
          };
        }
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  async function expectSameRows() {
    const [a, b] = [await snapshot(db()), await snapshot(other)];
    expect(b.cases).toEqual(a.cases);
    expect(b.followUps).toEqual(a.followUps);
    expect(b.customers).toEqual(a.customers);
    expect(b.escalations).toEqual(a.escalations);
    expect(b.outbox).toEqual(a.outbox);
    expect(b.audit).toEqual(a.audit);
    expect(a.escalations.length).toBeGreaterThan(0);
  }

  it('leaves the page cache of the SQLite connection as it was after writing a batch', async () => {
    if (other.provider !== 'sqlite') return;
    const client = sharedDbClient(other).prisma;
    const cacheSize = async () => Number((await client.$queryRawUnsafe<{ cache_size: unknown }[]>('PRAGMA cache_size'))[0]!.cache_size);
    const before = await cacheSize();
    const discharge = byName('P4-discharge');
    const bodies = Array.from({ length: 5 }, (_, i) => ({ ...discharge, externalId: `ZY-CACHE-${i}`, customer: { externalId: `PAT-CACHE-${i}`, name: '缓存患者', phone: `+86138006${String(i).padStart(5, '0')}` } }));

    const outcomes = await submitCases(batch.deps, await inputsFor(batch, bodies));

    expect(outcomes.filter((o) => !(o instanceof DomainError) && o.created)).toHaveLength(5);
    expect(await cacheSize()).toBe(before);
  });

  it('creates each case and customer once when single posts of the same cases arrive during the batch', async () => {
    const discharge = byName('P4-discharge');
    const bodies = Array.from({ length: 40 }, (_, i) => ({ ...discharge, externalId: `ZY-RACE-${i}`, customer: { externalId: `PAT-RACE-${i}`, name: '并发患者', phone: `+86139000091${String(i).padStart(2, '0')}` } }));
    const inputs = await inputsFor(batch, bodies);

    const [batched, ...singles] = await Promise.all([submitCases(batch.deps, inputs), ...inputs.filter((_, i) => i % 3 === 0).map((input) => submitCase(batch.deps, input))]);

    const outcomes = [...batched, ...singles];
    expect(outcomes.filter((o) => o instanceof DomainError)).toEqual([]);
    const createdKeys = outcomes.flatMap((o) => (!(o instanceof DomainError) && o.created ? [o.caseId] : []));
    expect(new Set(createdKeys).size).toBe(40);
    expect(createdKeys).toHaveLength(40);
    expect(await other.prisma.case.count({ where: { externalId: { startsWith: 'ZY-RACE-' } } })).toBe(40);
    expect(await other.prisma.customer.count({ where: { externalId: { startsWith: 'PAT-RACE-' } } })).toBe(40);
    const followUps = await other.prisma.followUp.groupBy({ by: ['caseId', 'step'], where: { case: { externalId: { startsWith: 'ZY-RACE-' } } }, _count: true });
    expect(followUps.every((f) => f._count === 1)).toBe(true);
  });

  it('writes nothing of a chunk when one of its keys is taken, so that its cases can be taken one by one', async () => {
    const discharge = byName('P4-discharge');
    const [taken, other1] = await inputsFor(batch, [
      { ...discharge, externalId: 'ZY-TAKEN', customer: { externalId: 'PAT-TAKEN', name: '甲', phone: '+8613900009201' } },
      { ...discharge, externalId: 'ZY-FREE', customer: { externalId: 'PAT-FREE', name: '乙', phone: '+8613900009202' } },
    ]);
    const existing = await submitCase(batch.deps, taken!);
    const customer = (await other.prisma.customer.findUniqueOrThrow({ where: { externalId: 'PAT-TAKEN' } })).id;
    const audit = (id: string) => ({ at: clock.now(), actorType: 'API' as const, actorId: 'test', action: 'case.created', entityType: 'Case', entityId: id, details: {} });

    const written = await batch.deps.cases.createCases({
      customers: [{ id: 'CUSTOMER-FREE', customer: other1!.customer }],
      cases: [
        { id: 'CASE-FREE', policyId: 'P4', customerId: 'CUSTOMER-FREE', case: other1!.case, followUps: [], audit: audit('CASE-FREE') },
        { id: 'CASE-TAKEN-AGAIN', policyId: 'P4', customerId: customer, case: taken!.case, followUps: [], audit: audit('CASE-TAKEN-AGAIN') },
      ],
    });

    expect(written).toBe(false);
    expect(await other.prisma.case.findMany({ where: { externalId: { in: ['ZY-FREE', 'ZY-TAKEN'] } }, select: { id: true } })).toEqual([{ id: existing.caseId }]);
    expect(await other.prisma.customer.count({ where: { externalId: 'PAT-FREE' } })).toBe(0);
    expect(await other.prisma.auditLog.count({ where: { entityId: { in: ['CASE-FREE', 'CASE-TAKEN-AGAIN'] } } })).toBe(0);
  });
});
