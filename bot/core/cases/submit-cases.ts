import { escalateRepeatedComplaint, repeatedCaseRule } from '../escalation/escalate-follow-up.js';
import { DomainError } from '../errors.js';
import type { CaseFacts } from '../model.js';
import { planFollowUps } from '../policies/plan-follow-ups.js';
import { claimQuotaSlots } from '../policies/sampling-quota.js';
import type { PolicyDefinition } from '../policies/types.js';
import type { CoreDeps } from '../deps.js';
import type { NewCase } from '../ports/cases.js';
import type { CustomerInput } from '../ports/customers.js';
import type { CaseRecord, CustomerRecord } from '../records.js';
import { turnOfEventLoop } from '../turn-of-event-loop.js';
import { caseCreatedAudit, checkCase, noStepAppliesOf, planContext, submitCase, type SubmitCaseInput, type SubmitCaseResult } from './submit-case.js';

/** New cases written per transaction (multi-row inserts of cases, follow-ups, customers and audit entries). */
export const SUBMIT_CHUNK = 500;

/** Chunks being written at once (each commits after the one before: see `createCases`' `after`). */
const CHUNKS_IN_FLIGHT = 2;

/** Cases planned between two turns of the event loop while a chunk is being written (a few milliseconds of planning). */
const PLANNED_PER_TURN = 16;


/** One submission's outcome: what {@link submitCase} answers, or the DomainError it would throw. */
export type SubmitCasesOutcome = SubmitCaseResult | DomainError;

interface Pending {
  index: number;
  /** Its place among the batch's valid items (where planning starts again after a chunk is rolled back). */
  position: number;
  key: string;
  policy: PolicyDefinition;
  newCase: NewCase;
  customer: CustomerRecord;
  /** Set when the customer is created with the case (first seen in this batch). */
  newCustomer: CustomerInput | null;
  noStepApplies?: string[];
}

/**
 * Submits many cases at once with exactly the outcome of {@link submitCase} for each, in order: the
 * same checks, the same plans, idempotent on (type, external id). The organisation, the existing cases
 * and customers of the whole batch are read once; new cases are planned in memory and written with
 * their follow-ups, new customers and audit entries in one transaction per {@link SUBMIT_CHUNK}
 * cases. Sampling that depends on the cases before this one (tiers on the month's count so far,
 * sampling-quota places) counts the database once per period or quota and then the batch's own cases
 * in order. What cannot be decided in bulk goes through `submitCase` one by one, in its place in the
 * order: a case that exists (an update), the same case twice in the batch; a customer that exists has
 * their contact details updated first. A chunk that meets a key or quota place taken meanwhile (a
 * concurrent post) is rolled back whole and planned again from its first case, with its cases and
 * customers read afresh and the counts taken again; rolled back a second time, it is submitted one by
 * one. Either way the cases planned after it are planned again. Two chunks are written while the next is
 * planned, each committing after the one before; whatever depends on a chunk being written waits for it first. An item's DomainError is its
 * outcome; it does not stop the others. Other errors end the batch; the chunks already written stay written, and
 * submitting the batch again completes it.
 */
export async function submitCases(deps: CoreDeps, inputs: readonly SubmitCaseInput[]): Promise<SubmitCasesOutcome[]> {
  for await (const outcomes of submitCaseBatches(deps, [inputs])) return outcomes;
  return [];
}

/**
 * Submits batch after batch as one {@link submitCases} over all of them, and answers each batch's outcomes, in
 * order, as soon as none of them can change. Counts and places carry from one batch to the next, and nothing
 * waits at a batch's end: the next batch is read from `batches` (and its cases and customers from the database)
 * while the chunk before is written, and its first chunk can be planned meanwhile. A batch is read from
 * `batches` only when planning reaches it, so a source that reads a file streams it. The items of an answered
 * batch are let go.
 */
export async function* submitCaseBatches(deps: CoreDeps, batches: AsyncIterable<readonly SubmitCaseInput[]> | Iterable<readonly SubmitCaseInput[]>): AsyncGenerator<SubmitCasesOutcome[]> {
  const org = await deps.org.loadOrgSnapshot();
  let now = deps.clock.now();
  const source: AsyncIterator<readonly SubmitCaseInput[]> | Iterator<readonly SubmitCaseInput[]> =
    Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : batches[Symbol.iterator]();

  // Every item read so far, numbered across batches (an answered batch's items are let go).
  const inputs: (SubmitCaseInput | undefined)[] = [];
  const outcomes: (SubmitCasesOutcome | undefined)[] = [];
  const policies: (PolicyDefinition | null)[] = [];
  /** The items that passed the checks, in order: a position in this list is where planning is. */
  const valid: number[] = [];
  const existing = new Set<string>();
  const known = new KnownCustomers([]);
  /** Batches not answered yet: their items, and the position where their valid items end. */
  const unanswered: { from: number; to: number; end: number }[] = [];
  let exhausted = false;

  /** Reads the next batch: its checks, then its cases and customers that exist. False when there is none. */
  const readBatch = async (): Promise<boolean> => {
    const next = await source.next();
    if (next.done) {
      exhausted = true;
      return false;
    }
    now = deps.clock.now();
    const from = inputs.length;
    const checked: number[] = [];
    for (const input of next.value) {
      const i = inputs.length;
      inputs.push(input);
      outcomes.push(undefined);
      try {
        policies.push(checkCase(deps, org, input));
        checked.push(i);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        policies.push(null);
        outcomes[i] = err;
      }
    }
    // Read while a chunk of an earlier batch may be under way: a key of that chunk is known as done, and a
    // customer of it waits for its write (below), so what this read cannot see yet is accounted for.
    const items = checked.map((i) => inputs[i]!);
    for (const c of await deps.cases.findCases(items.map((x) => x.case))) existing.add(caseKey(c.type, c.externalId));
    for (const r of await deps.customers.findCustomersByKeys(customerKeysOfItems(items))) known.add(r);
    valid.push(...checked);
    unanswered.push({ from, to: inputs.length, end: valid.length });
    return true;
  };
  const keyOf = (i: number) => caseKey(inputs[i]!.case.type, inputs[i]!.case.externalId);

  // Tiered sampling counts the policy's cases of a month (the month before, or the case's own month in
  // order of arrival): each period is counted once in the database — written chunks included, pending
  // cases added — then kept up to date with every case the batch plans, so a case sees the count that
  // submitting the cases one by one would give it.
  const counted = new Map<string, { policyId: string; from: number; to: number; n: number }>();
  const countCases = async (policyId: string, from: Date, to: Date) => {
    const k = `${policyId}\u0000${from.toISOString()}\u0000${to.toISOString()}`;
    let c = counted.get(k);
    if (c === undefined) {
      // The database's count must not race the chunk being written.
      await settle();
      const inPeriod = (at: Date) => at >= from && at < to;
      const stored = await deps.cases.countCasesOfPolicy(policyId, from, to);
      c = { policyId, from: from.getTime(), to: to.getTime(), n: stored + pending.filter((p) => p.newCase.policyId === policyId && inPeriod(p.newCase.case.occurredAt)).length };
      counted.set(k, c);
    }
    return c.n;
  };
  const countPlanned = (policyId: string, occurredAt: Date) => {
    const t = occurredAt.getTime();
    for (const c of counted.values()) if (c.policyId === policyId && t >= c.from && t < c.to) c.n += 1;
  };
  // Sampling-quota places (bot/core/policies/sampling-quota.ts): the places of a quota held in the database
  // are counted once, then the batch's new cases take the next places in order. A place taken meanwhile by
  // another writer makes its chunk's insert fail on the unique place, and the chunk goes one by one.
  const quotaHeld = new Map<string, number>();
  const quotaPlaces = {
    countQuotaSlots: async (key: string) => {
      let held = quotaHeld.get(key);
      if (held === undefined) {
        await settle();
        held = await deps.cases.countQuotaSlots(key);
        quotaHeld.set(key, held);
      }
      return held;
    },
  };
  /** After a one-by-one submission the database knows everything: count afresh. */
  const forgetCounts = () => {
    counted.clear();
    quotaHeld.clear();
  };

  const done = new Set<string>();
  let pending: Pending[] = [];
  const pendingKeys = new Set<string>();
  const pendingCustomerKeys = new Set<string>();

  const oneByOne = async (i: number) => {
    try {
      outcomes[i] = await submitCase(deps, inputs[i]!);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      outcomes[i] = err;
    }
    forgetCounts();
  };

  /** Writes a chunk; `after` is the write of the chunk before, which must end first (false: this one is not written either). */
  const write = async (chunk: readonly Pending[], after: Promise<boolean> | undefined): Promise<boolean> => {
    const written = await deps.cases.createCases(
      {
        customers: chunk.flatMap((p) => (p.newCustomer ? [{ id: p.customer.id, customer: p.newCustomer }] : [])),
        cases: chunk.map((p) => p.newCase),
      },
      after,
    );
    if (!written) return false;
    for (const p of chunk) if (p.newCustomer) known.add(p.customer);
    const escalated = await escalateRepeats(deps, chunk, now);
    for (const p of chunk) {
      outcomes[p.index] = {
        caseId: p.newCase.id,
        created: true,
        followUpsAdded: p.newCase.followUps.length,
        ...(escalated.has(p.newCase.id) ? { escalated: 'REPEATED_COMPLAINT' as const } : {}),
        ...(p.noStepApplies ? { noStepApplies: p.noStepApplies } : {}),
      };
    }
    return true;
  };

  // Up to {@link CHUNKS_IN_FLIGHT} chunks are written while the next is planned: on PostgreSQL the server inserts
  // the rows of two chunks at once, and each commits only after the one before has been written and its
  // escalations checked (createCases' `after`), so chunks take effect in order and a chunk rolled back takes
  // those after it back with it. Whatever depends on a chunk being written waits for all of them first
  // ({@link settle}): a case or customer of theirs met again, a one-by-one submission, a first count in the
  // database, the end of the batch.
  const inFlight: { chunk: Pending[]; customerKeys: Set<string>; result: Promise<boolean> }[] = [];
  /** Set when a chunk was rolled back: planning starts again at this position (what came after counted on it). */
  let restartAt: number | null = null;
  let position = 0;
  let plannedSinceTurn = 0;

  /** Positions where a rolled-back chunk began and was planned again. */
  const replanned = new Set<number>();

  /**
   * Waits for the oldest chunk being written. A chunk rolled back (a key or quota place taken meanwhile) takes the
   * chunks written after it back with it; it is planned again from its first case, once, after reading its cases
   * and customers afresh (a case created meanwhile is then an update, a quota counts the places taken); rolled
   * back again, it goes one by one, in order, and planning starts again after it.
   */
  const settleOldest = async () => {
    const w = inFlight[0];
    if (!w) return;
    const written = await w.result;
    inFlight.shift();
    if (written) return;
    // Their commits waited for this one: each rolled back.
    const later = inFlight.splice(0);
    for (const l of later) await l.result;
    const first = w.chunk[0]!.position;
    for (const p of [w, ...later].flatMap((x) => x.chunk)) done.delete(p.key);
    if (!replanned.has(first)) {
      replanned.add(first);
      const items = w.chunk.map((p) => inputs[p.index]!);
      for (const c of await deps.cases.findCases(items.map((x) => x.case))) existing.add(caseKey(c.type, c.externalId));
      for (const r of await deps.customers.findCustomersByKeys(customerKeysOfItems(items))) known.add(r);
      restartAt = first;
    } else {
      for (const p of w.chunk) await oneByOne(p.index);
      restartAt = Math.min(restartAt ?? position, later[0]?.chunk[0]!.position ?? pending[0]?.position ?? position);
    }
    pending = [];
    pendingKeys.clear();
    pendingCustomerKeys.clear();
  };

  /** Waits for every chunk being written. */
  const settle = async () => {
    while (inFlight.length > 0) await settleOldest();
  };

  /** Starts writing the pending cases, once fewer than {@link CHUNKS_IN_FLIGHT} chunks are being written. */
  const flush = async () => {
    while (inFlight.length >= CHUNKS_IN_FLIGHT) await settleOldest();
    if (pending.length === 0 || restartAt !== null) return;
    const chunk = pending;
    pending = [];
    pendingKeys.clear();
    const customerKeys = new Set(pendingCustomerKeys);
    pendingCustomerKeys.clear();
    for (const p of chunk) done.add(p.key);
    const before = inFlight.at(-1)?.result;
    const result = write(
      chunk,
      before?.then(
        (written) => written,
        () => false,
      ),
    );
    // A failure is thrown where the write is awaited (settleOldest), not left unhandled meanwhile.
    result.catch(() => undefined);
    inFlight.push({ chunk, customerKeys, result });
  };

  /** Writes every pending case and waits for it; true when a chunk was rolled back and planning starts again. */
  const writeAll = async () => {
    await flush();
    await settle();
    return restartAt !== null;
  };

  /** Waits for the chunks being written, whatever their end (when the batch ends with an error). */
  const quiet = async () => {
    for (const w of inFlight) await w.result.catch(() => undefined);
  };

  /** Positions before this one are decided for good: a rollback plans again only from a chunk not yet written. */
  const decidedBefore = () => Math.min(inFlight[0]?.chunk[0]!.position ?? position, pending[0]?.position ?? position, position);
  /** The outcomes of the oldest unanswered batch, when they are decided for good; its items are let go. */
  const answer = (): SubmitCasesOutcome[] | null => {
    const b = unanswered[0];
    if (!b || b.end > decidedBefore()) return null;
    unanswered.shift();
    const out = outcomes.slice(b.from, b.to) as SubmitCasesOutcome[];
    for (let i = b.from; i < b.to; i++) {
      inputs[i] = undefined;
      outcomes[i] = undefined;
    }
    return out;
  };

  try {
    for (;;) {
      if (restartAt !== null) {
        position = restartAt;
        restartAt = null;
        forgetCounts();
        continue;
      }
      for (let out = answer(); out; out = answer()) yield out;
      if (position >= valid.length) {
        // The next batch is read while the chunk before is written; after the last one, the last chunk is
        // written and waited for (a rollback plans its followers again: none).
        if (!exhausted && (await readBatch())) continue;
        if (await writeAll()) continue;
        break;
      }
      if (inFlight.length > 0 && ++plannedSinceTurn >= PLANNED_PER_TURN) {
        // Planning never waits on I/O by itself: without a turn of the event loop the chunk being written
        // would not read its statements' answers (nor send the next statement) before this loop waits.
        plannedSinceTurn = 0;
        await turnOfEventLoop();
      }
      const i = valid[position]!;
      const input = inputs[i]!;
      const policy = policies[i]!;
      const key = keyOf(i);
      if (existing.has(key) || done.has(key) || pendingKeys.has(key)) {
        // An update of a case that exists (or was created earlier in this batch): one by one, in order.
        if (await writeAll()) continue;
        await oneByOne(i);
        position += 1;
        continue;
      }
      const customerKeys = customerKeysOf(input.customer);
      if (customerKeys.some((k) => pendingCustomerKeys.has(k) || inFlight.some((w) => w.customerKeys.has(k)))) {
        // A customer of the pending or the written chunk: known once it is written.
        if (await writeAll()) continue;
      }
      let customer: CustomerRecord;
      let newCustomer: CustomerInput | null = null;
      if (known.has(customerKeys)) {
        // The customer exists: their details are updated as submitCase updates them.
        try {
          customer = await deps.customers.upsertCustomer(input.customer);
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          outcomes[i] = err;
          position += 1;
          continue;
        }
        known.add(customer);
      } else {
        newCustomer = input.customer;
        customer = newCustomerRecord(deps.ids.next(), input.customer);
      }
      const id = deps.ids.next();
      const facts: CaseFacts = { id, ...input.case };
      const plan = planFollowUps(policy, facts, org, await planContext(deps, policy, input.case.occurredAt, [], undefined, countCases));
      const followUps = (await claimQuotaSlots(quotaPlaces, plan.planned)).map((p) => ({ ...p, id: deps.ids.next() }));
      // A count or quota place above waited for a chunk that was rolled back: this plan counted on it.
      if (restartAt !== null) continue;
      for (const f of followUps) if (f.quotaSlot && f.sampling.quota) quotaHeld.set(f.sampling.quota.key, (quotaHeld.get(f.sampling.quota.key) ?? 0) + 1);
      if (newCustomer) for (const k of customerKeys) pendingCustomerKeys.add(k);
      pending.push({
        index: i,
        position,
        key,
        policy,
        customer,
        newCustomer,
        newCase: {
          id,
          policyId: policy.id,
          customerId: customer.id,
          case: input.case,
          followUps,
          audit: caseCreatedAudit(input, id, followUps.length, now),
        },
        ...noStepAppliesOf(policy, plan, facts),
      });
      pendingKeys.add(key);
      countPlanned(policy.id, input.case.occurredAt);
      position += 1;
      if (pending.length >= SUBMIT_CHUNK) await flush();
    }
  } finally {
    // An error ends the batch; the chunk being written ends first (it stays written if it commits).
    await quiet();
  }
  for (let out = answer(); out; out = answer()) yield out;
}

/**
 * The repeated-complaint escalation of each new case in a written chunk (as submitCase runs it after
 * creating the case): the recent cases of their customers that existed before the chunk in one query (a
 * customer created with the chunk has only the case it came with); only a case whose count
 * reaches the threshold goes through `escalateRepeatedComplaint`. A case later in the chunk does not
 * count for an earlier one, as it would not have existed yet. Returns the ids of the escalated cases.
 */
async function escalateRepeats(deps: CoreDeps, chunk: readonly Pending[], now: Date): Promise<Set<string>> {
  const checks = chunk.flatMap((p, position) => {
    const kase = caseRecordOf(p, now);
    const rule = repeatedCaseRule(deps, kase);
    return rule ? [{ p, position, kase, rule }] : [];
  });
  const escalated = new Set<string>();
  if (checks.length === 0) return escalated;
  // A customer created with the chunk has no case but the one it was created with: a second case of the same
  // customer waits for the chunk to be written (submitCases), so only customers that existed are read.
  const existed = checks.filter((c) => c.p.newCustomer === null);
  const recent =
    existed.length === 0
      ? []
      : await deps.cases.listRecentCasesOfCustomers(
          existed.map((c) => c.p.customer.id),
          [...new Set(existed.map((c) => c.kase.type))],
          new Date(Math.min(...existed.map((c) => c.rule.since.getTime()))),
        );
  const positionOf = new Map(chunk.map((p, position) => [p.newCase.id, position]));
  const byCustomer = new Map<string, CaseRecord[]>();
  for (const { p, kase } of checks) if (p.newCustomer !== null) byCustomer.set(p.customer.id, [kase]);
  for (const c of recent) {
    const list = byCustomer.get(c.customerId);
    if (list) list.push(c);
    else byCustomer.set(c.customerId, [c]);
  }
  for (const { p, position, kase, rule } of checks) {
    const same = (byCustomer.get(p.customer.id) ?? []).filter(
      (c) => c.type === kase.type && c.occurredAt >= rule.since && (positionOf.get(c.id) ?? -1) <= position && rule.counts(c),
    );
    if (same.length < rule.threshold) continue;
    const result = await escalateRepeatedComplaint(deps, kase, p.customer);
    if (result.escalated) escalated.add(kase.id);
  }
  return escalated;
}

function caseRecordOf(p: Pending, now: Date): CaseRecord {
  return { id: p.newCase.id, ...p.newCase.case, policyId: p.policy.id, customerId: p.customer.id, status: p.newCase.case.closedAt ? 'CLOSED' : 'OPEN', createdAt: now };
}

function caseKey(type: string, externalId: string): string {
  return `${type}\u0000${externalId}`;
}

/** The customer keys of `items`, as `findCustomersByKeys` takes them. */
function customerKeysOfItems(items: readonly SubmitCaseInput[]) {
  return {
    externalIds: items.flatMap((x) => x.customer.externalId ?? []),
    phones: items.flatMap((x) => x.customer.phoneE164 ?? []),
    wechatOpenIds: items.flatMap((x) => x.customer.wechatOpenId ?? []),
  };
}

/** The unique keys a customer is found or collides by. */
function customerKeysOf(c: CustomerInput): string[] {
  return [...(c.externalId ? [`x:${c.externalId}`] : []), ...(c.phoneE164 ? [`p:${c.phoneE164}`] : []), ...(c.wechatOpenId ? [`w:${c.wechatOpenId}`] : [])];
}

/** Customers known to exist, by their unique keys. A false "exists" only costs an upsert; a false "new" a rolled-back chunk. */
class KnownCustomers {
  private readonly keys = new Set<string>();
  constructor(records: readonly CustomerRecord[]) {
    for (const r of records) this.add(r);
  }
  add(r: CustomerRecord): void {
    for (const k of customerKeysOf({ externalId: r.externalId, phoneE164: r.phoneE164, wechatOpenId: r.wechatOpenId } as CustomerInput)) this.keys.add(k);
  }
  has(keys: readonly string[]): boolean {
    return keys.some((k) => this.keys.has(k));
  }
}

/** The record of a customer created with the batch, as `upsertCustomer` would return it. */
function newCustomerRecord(id: string, c: CustomerInput): CustomerRecord {
  return {
    id,
    externalId: c.externalId,
    name: c.name,
    salutation: c.salutation,
    phoneE164: c.phoneE164,
    phoneMasked: c.phoneE164 ? c.phoneMasked : null,
    wechatOpenId: c.wechatOpenId,
    consentSurvey: c.consentSurvey ?? true,
    consentMarketing: c.consentMarketing ?? false,
    optedOutAt: null,
    deceasedAt: c.deceasedAt ?? null,
    phoneInvalidAt: null,
  };
}
