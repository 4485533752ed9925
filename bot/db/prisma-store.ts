import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { DbCapabilities, PrismaClient } from './client.js';
import type {
  OptOutScope,
  CaseRecord,
  CaseStore,
  ClaimedOutboxMessage,
  CustomerInput,
  CustomerRecord,
  FollowUpContext,
  FollowUpRecord,
  FollowUpStore,
  InboxStore,
  InboundEventRecord,
  NewAuditEntry,
  NewEscalation,
  NewOutboxMessage,
  OrgStore,
  OutboxStore,
  SurveyFallback,
  SurveyRecord,
  SurveyStore,
  UnopenedWechatSurvey,
} from '../core/ports.js';
import type { CaseStatus, ChannelName, FollowUpAction, FollowUpOutcome, FollowUpStatus, OrgSnapshot } from '../core/model.js';
import { parseRoles } from '../core/model.js';
import type { OutboundMessage } from '../core/messages.js';
import type { IdGenerator } from '../core/clock.js';
import { closeEscalationsAfterSecondFollowUp } from './escalation-store.js';
import {
  applySurveyFallback,
  commitSurveyFallback,
  findCustomersByIds,
  listUnopenedWechatSurveys,
  findWechatInviteSurvey,
  markSurveyOpened,
  pickReplyCodes,
  withReplyCode,
  withReplyCodeRetry,
} from './survey-delivery-store.js';

type Tx = Prisma.TransactionClient;
type FollowUpRow = Prisma.FollowUpGetPayload<object>;
type CaseRow = Prisma.CaseGetPayload<object>;
type CustomerRow = Prisma.CustomerGetPayload<object>;
type PlannedRow = Parameters<CaseStore['createCase']>[0]['followUps'][number];

const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;

/** Prisma's unique-constraint violation, as both adapters report it. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

function json(value: unknown): string {
  return JSON.stringify(value ?? {});
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toCustomerRecord(row: CustomerRow): CustomerRecord {
  return {
    id: row.id,
    externalId: row.externalId,
    name: row.name,
    salutation: row.salutation,
    phoneE164: row.phoneE164,
    phoneMasked: row.phoneMasked,
    wechatOpenId: row.wechatOpenId,
    consentSurvey: row.consentSurvey,
    consentMarketing: row.consentMarketing,
    optedOutAt: row.optedOutAt,
    deceasedAt: row.deceasedAt,
    phoneInvalidAt: row.phoneInvalidAt,
  };
}

export function toCaseRecord(row: CaseRow): CaseRecord {
  const milestones = parseJson<Record<string, string>>(row.milestones, {});
  return {
    id: row.id,
    type: row.type,
    externalId: row.externalId,
    policyId: row.policyId,
    customerId: row.customerId,
    occurredAt: row.occurredAt,
    closedAt: row.closedAt,
    departmentId: row.departmentId,
    responsibleStaffId: row.responsibleStaffId,
    attributes: parseJson<Record<string, unknown>>(row.attributes, {}),
    milestones: Object.fromEntries(Object.entries(milestones).map(([k, v]) => [k, new Date(v)])),
    status: row.status as CaseStatus,
    createdAt: row.createdAt,
  };
}

export function toFollowUpRecord(row: FollowUpRow): FollowUpRecord {
  return {
    id: row.id,
    caseId: row.caseId,
    customerId: row.customerId,
    policyId: row.policyId,
    step: row.step,
    sequence: row.sequence,
    action: row.action as FollowUpAction,
    channel: row.channel as ChannelName,
    status: row.status as FollowUpStatus,
    assigneeId: row.assigneeId,
    assigneeRule: row.assigneeRule,
    earliestAt: row.earliestAt,
    dueAt: row.dueAt,
    deadlineAt: row.deadlineAt,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    activations: row.activations,
    outcome: row.outcome as FollowUpOutcome | null,
    outcomeNote: row.outcomeNote,
    completedAt: row.completedAt,
    version: row.version,
  };
}

/**
 * All store ports over one Prisma client. Claims are one conditional `UPDATE … WHERE id IN (SELECT …
 * LIMIT n) RETURNING` statement — with `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the single
 * statement is atomic because SQLite serialises writers. Multi-row changes run in one transaction.
 */
export class PrismaStore implements CaseStore, OrgStore, FollowUpStore, SurveyStore, OutboxStore, InboxStore {
  #org: { snapshot: OrgSnapshot; loadedAt: number } | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly capabilities: DbCapabilities,
    private readonly ids: IdGenerator,
    private readonly options: { orgCacheMs?: number } = {},
  ) {}

  /**
   * Renders a raw SQL template with the provider's placeholders (`$1…` on PostgreSQL, `?` on SQLite);
   * `Verbatim` values are inlined (only constant SQL fragments, never input).
   */
  private sql(parts: TemplateStringsArray, ...values: unknown[]): [string, ...unknown[]] {
    const params: unknown[] = [];
    let text = parts[0]!;
    values.forEach((value, i) => {
      if (value instanceof Verbatim) text += value.text;
      else {
        params.push(value);
        text += this.capabilities.provider === 'postgresql' ? `$${params.length}` : '?';
      }
      text += parts[i + 1]!;
    });
    return [text, ...params];
  }

  private get skipLocked(): Verbatim {
    return new Verbatim(this.capabilities.skipLocked ? 'FOR UPDATE SKIP LOCKED' : '');
  }

  /* ------------------------------------------------------------- org */

  async loadOrgSnapshot(): Promise<OrgSnapshot> {
    const ttl = this.options.orgCacheMs ?? 2_000;
    // The cache age is measured on the process's monotonic clock: an adapter concern, not domain time.
    if (this.#org && performance.now() - this.#org.loadedAt < ttl) return this.#org.snapshot;
    const [staff, departments] = await Promise.all([this.prisma.staff.findMany(), this.prisma.department.findMany()]);
    const snapshot: OrgSnapshot = {
      staff: new Map(
        staff.map((s) => [
          s.id,
          { id: s.id, wecomUserId: s.wecomUserId, name: s.name, departmentId: s.departmentId, roles: parseRoles(s.roles), supervisorId: s.supervisorId, active: s.active },
        ]),
      ),
      departments: new Map(departments.map((d) => [d.id, { id: d.id, code: d.code, name: d.name, parentId: d.parentId, headId: d.headId }])),
    };
    this.#org = { snapshot, loadedAt: performance.now() };
    return snapshot;
  }

  /** Drops the cached organisation (after staff or department changes). */
  invalidateOrgCache(): void {
    this.#org = null;
  }

  async findStaffByWecomUserId(wecomUserId: string) {
    return this.prisma.staff.findUnique({ where: { wecomUserId }, select: { id: true, name: true, active: true } });
  }

  /* ------------------------------------------------------------- cases */

  async findCase(type: string, externalId: string): Promise<CaseRecord | null> {
    const row = await this.prisma.case.findUnique({ where: { type_externalId: { type, externalId } } });
    return row ? toCaseRecord(row) : null;
  }

  async findCaseById(id: string): Promise<CaseRecord | null> {
    const row = await this.prisma.case.findUnique({ where: { id } });
    return row ? toCaseRecord(row) : null;
  }

  async listCasesToReplan(policyId: string, afterId: string | null, limit: number): Promise<string[]> {
    const rows = await this.prisma.case.findMany({
      where: { policyId, status: 'OPEN', ...(afterId ? { id: { gt: afterId } } : {}), followUps: { some: { status: 'SCHEDULED' } } },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  async countCasesOfPolicy(policyId: string, from: Date, to: Date): Promise<number> {
    return this.prisma.case.count({ where: { policyId, occurredAt: { gte: from, lt: to } } });
  }

  async listFollowUpsOfCase(caseId: string): Promise<FollowUpRecord[]> {
    const rows = await this.prisma.followUp.findMany({ where: { caseId }, orderBy: [{ sequence: 'asc' }] });
    return rows.map(toFollowUpRecord);
  }

  async upsertCustomer(input: CustomerInput): Promise<CustomerRecord> {
    for (let attempt = 0; ; attempt++) {
      const existing =
        (input.externalId ? await this.prisma.customer.findUnique({ where: { externalId: input.externalId } }) : null) ??
        (input.phoneE164 ? await this.prisma.customer.findUnique({ where: { phoneE164: input.phoneE164 } }) : null);
      const data = {
        name: input.name,
        ...(input.salutation ? { salutation: input.salutation } : {}),
        ...(input.phoneE164 ? { phoneE164: input.phoneE164, phoneMasked: input.phoneMasked } : {}),
        ...(input.wechatOpenId ? { wechatOpenId: input.wechatOpenId } : {}),
        ...(input.consentMarketing !== null ? { consentMarketing: input.consentMarketing } : {}),
        ...(input.consentSurvey !== null ? { consentSurvey: input.consentSurvey } : {}),
      };
      try {
        if (existing) {
          const becameDeceased = input.deceasedAt && !existing.deceasedAt;
          const row = await this.prisma.$transaction(async (tx) => {
            const updated = await tx.customer.update({
              where: { id: existing.id },
              data: {
                ...data,
                ...(input.externalId && !existing.externalId ? { externalId: input.externalId } : {}),
                ...(becameDeceased ? { deceasedAt: input.deceasedAt } : {}),
                // A new phone number is worth texting again, even if the old one was reported invalid.
                ...(input.phoneE164 && input.phoneE164 !== existing.phoneE164 ? { phoneInvalidAt: null } : {}),
                tags: json(mergeTags(existing.tags, input.tags)),
              },
            });
            // Never contact the family of a deceased customer: every open follow-up of theirs ends now.
            if (becameDeceased) await this.cancelOpenFollowUps(tx, { customerId: existing.id }, 'CUSTOMER_DECEASED', input.deceasedAt!);
            return updated;
          }, TX_OPTIONS);
          return toCustomerRecord(row);
        }
        const row = await this.prisma.customer.create({
          data: { id: this.ids.next(), externalId: input.externalId, tags: json(input.tags), ...(input.deceasedAt ? { deceasedAt: input.deceasedAt } : {}), ...data },
        });
        return toCustomerRecord(row);
      } catch (err) {
        // A concurrent request created the same customer: read it again, once.
        if (isUniqueViolation(err) && attempt === 0) continue;
        throw err;
      }
    }
  }

  async createCase(input: Parameters<CaseStore['createCase']>[0]): Promise<{ created: boolean; caseId: string }> {
    try {
      await this.prisma.$transaction(async (tx) => {
        await tx.case.create({
          data: {
            id: input.id,
            type: input.case.type,
            externalId: input.case.externalId,
            policyId: input.policyId,
            customerId: input.customerId,
            departmentId: input.case.departmentId,
            responsibleStaffId: input.case.responsibleStaffId,
            attributes: json(input.case.attributes),
            milestones: json(input.case.milestones),
            status: input.case.closedAt ? 'CLOSED' : 'OPEN',
            occurredAt: input.case.occurredAt,
            closedAt: input.case.closedAt,
            createdAt: input.audit.at,
          },
        });
        if (input.followUps.length > 0) {
          await tx.followUp.createMany({ data: input.followUps.map((f) => this.followUpData(f, input.id, input.customerId, input.policyId, input.audit.at)) });
        }
        await this.audit(tx, input.audit);
      }, TX_OPTIONS);
      return { created: true, caseId: input.id };
    } catch (err) {
      // Same (type, externalId) created concurrently: the transaction rolled back whole.
      if (isUniqueViolation(err)) return { created: false, caseId: input.id };
      throw err;
    }
  }

  /** @internal */
  followUpData(f: PlannedRow, caseId: string, customerId: string, policyId: string, createdAt: Date) {
    return {
      id: f.id,
      createdAt,
      caseId,
      customerId,
      policyId,
      step: f.step,
      sequence: f.sequence,
      action: f.action,
      channel: f.channel,
      status: f.sampling.kept ? 'SCHEDULED' : 'SKIPPED',
      assigneeId: f.assigneeId,
      assigneeRule: f.assigneeRule,
      earliestAt: f.earliestAt,
      dueAt: f.dueAt,
      deadlineAt: f.deadlineAt,
      maxAttempts: f.maxAttempts,
      sampling: json(f.sampling),
    };
  }

  async updateCase(input: Parameters<CaseStore['updateCase']>[0]): Promise<{ added: number; moved: number; cancelled: number }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          const row = await tx.case.update({
            where: { id: input.caseId },
            data: {
              attributes: json(input.case.attributes),
              milestones: json(input.case.milestones),
              occurredAt: input.case.occurredAt,
              responsibleStaffId: input.case.responsibleStaffId,
              departmentId: input.case.departmentId,
              closedAt: input.case.closedAt,
              ...(input.case.closedAt ? { status: 'CLOSED' } : {}),
            },
          });
          let added = 0;
          if (input.addFollowUps.length > 0) {
            const present = new Set(
              (await tx.followUp.findMany({ where: { caseId: row.id, step: { in: input.addFollowUps.map((f) => f.step) } }, select: { step: true } })).map((f) => f.step),
            );
            const fresh = input.addFollowUps.filter((f) => !present.has(f.step));
            if (fresh.length > 0) await tx.followUp.createMany({ data: fresh.map((f) => this.followUpData(f, row.id, row.customerId, row.policyId, input.audit.at)) });
            added = fresh.length;
          }
          let moved = 0;
          for (const m of input.moveFollowUps ?? []) {
            const r = await tx.followUp.updateMany({
              where: { id: m.id, version: m.version, status: 'SCHEDULED' },
              data: { ...m.to, leaseExpiresAt: null, version: { increment: 1 } },
            });
            moved += r.count;
          }
          let cancelled = 0;
          for (const c of input.cancelFollowUps ?? []) {
            const r = await tx.followUp.updateMany({
              where: { id: c.id, version: c.version, status: 'SCHEDULED' },
              data: { status: 'CANCELLED', outcomeNote: 'NO_LONGER_PLANNED', completedAt: input.audit.at, leaseExpiresAt: null, version: { increment: 1 } },
            });
            cancelled += r.count;
          }
          if (input.cancelOpenFollowUps) cancelled += await this.cancelOpenFollowUps(tx, { caseId: row.id, NOT: { step: { startsWith: 'esc2_' } } } /* a second follow-up after an escalation outlives the case */, 'CASE_CLOSED', input.audit.at);
          await this.audit(tx, { ...input.audit, details: { ...input.audit.details, followUpsAdded: added, moved, cancelled } });
          return { added, moved, cancelled };
        }, TX_OPTIONS);
      } catch (err) {
        // A concurrent update of the same case added the same step first: run again, once; it now sees it.
        if (isUniqueViolation(err) && attempt === 0) continue;
        throw err;
      }
    }
  }

  /**
   * Cancels open follow-ups matching `where`, and with them what they had set in motion: their open
   * surveys expire (a late answer is no longer accepted) and their unsent outbox messages are cancelled.
   */
  private async cancelOpenFollowUps(tx: Tx, where: Prisma.FollowUpWhereInput, reason: string, at: Date): Promise<number> {
    const open = await tx.followUp.findMany({ where: { ...where, status: { in: ['SCHEDULED', 'ACTIVE', 'OVERDUE'] } }, select: { id: true } });
    if (open.length === 0) return 0;
    const ids = open.map((f) => f.id);
    await tx.followUp.updateMany({
      where: { id: { in: ids }, status: { in: ['SCHEDULED', 'ACTIVE', 'OVERDUE'] } },
      data: { status: 'CANCELLED', outcomeNote: reason, completedAt: at, leaseExpiresAt: null, version: { increment: 1 } },
    });
    await tx.surveyInstance.updateMany({ where: { followUpId: { in: ids }, status: 'OPEN' }, data: { status: 'EXPIRED', replyCode: null } });
    await tx.outboxMessage.updateMany({ where: { followUpId: { in: ids }, status: 'PENDING' }, data: { status: 'CANCELLED', lastErrorCode: reason } });
    return ids.length;
  }

  /* ------------------------------------------------------------- follow-ups */

  async claimDueFollowUps(now: Date, leaseMs: number, limit: number): Promise<FollowUpContext[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // On PostgreSQL the outer WHERE repeats the claim condition: a claimer that waited on a row lock
    // re-checks only the outer WHERE against the committed row. SQLite has one writer at a time, and
    // the repeat would make its planner drive the UPDATE from every scheduled row, due or not.
    const rows = await this.prisma.$queryRawUnsafe<{ id: string }[]>(
      ...(this.capabilities.skipLocked
        ? this.sql`UPDATE "FollowUp" SET "leaseExpiresAt" = ${leaseUntil}, "updatedAt" = ${now}
            WHERE id IN (SELECT id FROM "FollowUp"
              WHERE status = 'SCHEDULED' AND "dueAt" <= ${now} AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ${now})
              ORDER BY "dueAt" LIMIT ${limit} ${this.skipLocked})
            AND status = 'SCHEDULED' AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ${now})
            RETURNING id`
        : this.sql`UPDATE "FollowUp" SET "leaseExpiresAt" = ${leaseUntil}, "updatedAt" = ${now}
            WHERE id IN (SELECT id FROM "FollowUp"
              WHERE status = 'SCHEDULED' AND "dueAt" <= ${now} AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ${now})
              ORDER BY "dueAt" LIMIT ${limit})
            RETURNING id`),
    );
    if (rows.length === 0) return [];
    const full = await this.prisma.followUp.findMany({
      where: { id: { in: rows.map((r) => r.id) } },
      include: { case: true, customer: true },
      orderBy: { dueAt: 'asc' },
    });
    return full.map((r) => ({ followUp: toFollowUpRecord(r), case: toCaseRecord(r.case), customer: toCustomerRecord(r.customer) }));
  }

  async commitActivations(activations: Parameters<FollowUpStore['commitActivations']>[0]): Promise<{ applied: number; skipped: number }> {
    if (activations.length === 0) return { applied: 0, skipped: 0 };
    // A reply code taken concurrently by another replica fails the batch on the unique index: run it again.
    return withReplyCodeRetry(() => this.commitActivationsOnce(activations));
  }

  private async commitActivationsOnce(activations: Parameters<FollowUpStore['commitActivations']>[0]): Promise<{ applied: number; skipped: number }> {
    return this.prisma.$transaction(async (tx) => {
      let applied = 0;
      const outbox: NewOutboxMessage[] = [];
      const surveys: Prisma.SurveyInstanceCreateManyInput[] = [];
      const audits: NewAuditEntry[] = [];
      // The common case — activate as planned — is one compare-and-set statement for the whole batch:
      // `(id, version) IN (…)` with RETURNING says which rows were still unchanged.
      const plain = activations.filter((a) => a.status === 'ACTIVE' && !a.reassignTo);
      const activated = new Set<string>();
      for (let i = 0; i < plain.length; i += 400) {
        const chunk = plain.slice(i, i + 400);
        const now = chunk[0]!.now;
        const ids = chunk.map(() => '?').join(', ');
        const pairs = chunk.map(() => '(?, ?)').join(', ');
        const params = [...chunk.map((a) => a.followUpId), ...chunk.flatMap((a) => [a.followUpId, a.version])];
        // The rows are found by primary key (`id IN`); SQLite would otherwise drive the update from a
        // (status, …) index and read every SCHEDULED row — `+status` keeps that index out of its plan.
        const status = this.capabilities.provider === 'sqlite' ? '+status' : 'status';
        const sqlText =
          `UPDATE "FollowUp" SET status = 'ACTIVE', "activatedAt" = ?, "leaseExpiresAt" = NULL, activations = activations + 1, ` +
          `version = version + 1, "updatedAt" = ? WHERE id IN (${ids}) AND ${status} = 'SCHEDULED' AND (id, version) IN (${pairs}) RETURNING id`;
        const rows = await tx.$queryRawUnsafe<{ id: string }[]>(...this.numbered(sqlText, [now, now, ...params]));
        for (const r of rows) activated.add(r.id);
      }
      // Reminder times differ row by row: one CASE statement per chunk sets them.
      const reminders = plain.filter((a) => a.remindAt && activated.has(a.followUpId));
      for (let i = 0; i < reminders.length; i += 400) {
        const chunk = reminders.slice(i, i + 400);
        // PostgreSQL types a bare parameter in CASE as text; SQLite stores the adapter's value as is.
        const then = this.capabilities.provider === 'postgresql' ? 'CAST(? AS TIMESTAMP(3))' : '?';
        const cases = chunk.map(() => `WHEN ? THEN ${then}`).join(' ');
        const ids = chunk.map(() => '?').join(', ');
        const sqlText = `UPDATE "FollowUp" SET "remindAt" = CASE id ${cases} END WHERE id IN (${ids})`;
        await tx.$executeRawUnsafe(...this.numbered(sqlText, [...chunk.flatMap((a) => [a.followUpId, a.remindAt]), ...chunk.map((a) => a.followUpId)]));
      }
      for (const a of activations) {
        if (a.status === 'ACTIVE' && !a.reassignTo) {
          if (!activated.has(a.followUpId)) continue;
          applied++;
          outbox.push(...a.outbox);
          audits.push(a.audit);
          if (a.survey) surveys.push(this.surveyRow(a));
          continue;
        }
        if (a.status === 'DEFERRED') {
          const { count } = await tx.followUp.updateMany({
            where: { id: a.followUpId, version: a.version, status: 'SCHEDULED' },
            data: { dueAt: a.deferTo!, leaseExpiresAt: null, version: { increment: 1 } },
          });
          if (count === 1) {
            applied++;
            audits.push(a.audit);
          }
          continue;
        }
        const { count } = await tx.followUp.updateMany({
          where: { id: a.followUpId, version: a.version, status: 'SCHEDULED' },
          data:
            a.status === 'ACTIVE'
              ? {
                  status: 'ACTIVE',
                  activatedAt: a.now,
                  leaseExpiresAt: null,
                  activations: { increment: 1 },
                  version: { increment: 1 },
                  remindAt: a.remindAt ?? null,
                  ...(a.reassignTo ? { assigneeId: a.reassignTo.staffId, assigneeRule: a.reassignTo.rule } : {}),
                }
              : { status: 'CANCELLED', outcomeNote: a.outcomeNote, completedAt: a.now, leaseExpiresAt: null, version: { increment: 1 } },
        });
        if (count !== 1) continue;
        applied++;
        outbox.push(...a.outbox);
        audits.push(a.audit);
        if (a.survey) surveys.push(this.surveyRow(a));
      }
      // SMS reply codes: one free code per survey invited by SMS, set on the survey and its SMS invitation.
      let withCodes = outbox;
      const wanted = activations.flatMap((a) => (a.survey?.replyCodes && surveys.some((row) => row.id === a.survey!.id) ? [{ surveyId: a.survey.id, candidates: a.survey.replyCodes }] : []));
      if (wanted.length > 0) {
        const codes = await pickReplyCodes(tx, wanted);
        for (const row of surveys) if (codes.has(row.id)) row.replyCode = codes.get(row.id)!;
        withCodes = outbox.map((m) => (m.message.kind === 'survey_invite' && codes.has(m.message.surveyId) ? withReplyCode(m, m.message.surveyId, codes.get(m.message.surveyId)!) : m));
      }
      if (surveys.length > 0) await tx.surveyInstance.createMany({ data: surveys });
      await this.insertOutbox(tx, withCodes, activations[0]!.now);
      if (audits.length > 0) await tx.auditLog.createMany({ data: audits.map((entry) => this.auditData(entry)) });
      return { applied, skipped: activations.length - applied };
    }, TX_OPTIONS);
  }

  private surveyRow(a: Parameters<FollowUpStore['commitActivations']>[0][number]): Prisma.SurveyInstanceCreateManyInput {
    const recipient = a.outbox[0]?.recipientId;
    if (!a.survey || !recipient) throw new Error('A survey activation needs its survey and outbox message');
    return {
      createdAt: a.now,
      id: a.survey.id,
      followUpId: a.followUpId,
      customerId: recipient,
      surveyKey: a.survey.surveyKey,
      token: a.survey.token,
      status: 'OPEN',
      sentAt: a.now,
      expiresAt: a.survey.expiresAt,
      ...(a.survey.channel ? { channel: a.survey.channel } : {}),
    };
  }

  /** Rewrites `?` placeholders as `$1…` on PostgreSQL (SQLite keeps `?`). */
  /** @internal */
  numbered(text: string, params: unknown[]): [string, ...unknown[]] {
    if (this.capabilities.provider !== 'postgresql') return [text, ...params];
    let n = 0;
    return [text.replace(/\?/g, () => `$${++n}`), ...params];
  }

  async findFollowUpContext(followUpId: string): Promise<FollowUpContext | null> {
    const r = await this.prisma.followUp.findUnique({ where: { id: followUpId }, include: { case: true, customer: true } });
    return r ? { followUp: toFollowUpRecord(r), case: toCaseRecord(r.case), customer: toCustomerRecord(r.customer) } : null;
  }

  async countOpenSiblings(caseId: string, exceptId: string): Promise<number> {
    return this.prisma.followUp.count({ where: { caseId, id: { not: exceptId }, status: { in: ['ACTIVE', 'OVERDUE'] } } });
  }

  async countCustomerContacts(customerId: string, policyId: string, since: Date): Promise<number> {
    return this.prisma.followUp.count({ where: { customerId, policyId, activatedAt: { gte: since } } });
  }

  async applyOutcome(input: Parameters<FollowUpStore['applyOutcome']>[0]): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.followUp.updateMany({
        where: { id: input.followUpId, version: input.version, status: { in: ['ACTIVE', 'OVERDUE'] } },
        data: {
          status: input.status,
          outcome: input.outcome,
          outcomeNote: input.outcomeNote,
          outcomeById: input.outcomeById,
          attempts: input.attempts,
          completedAt: input.completedAt,
          ...(input.nextDueAt ? { dueAt: input.nextDueAt, leaseExpiresAt: null } : {}),
          version: { increment: 1 },
        },
      });
      if (count !== 1) return false;
      const at = input.audit[0]?.at ?? input.completedAt ?? input.nextDueAt!;
      if (input.status === 'DONE' || input.status === 'UNREACHABLE') {
        // The outcome of a second follow-up (二次回访) is what closes the escalation that scheduled it.
        await closeEscalationsAfterSecondFollowUp(tx, this, { followUpId: input.followUpId, outcome: input.outcome, at, actorId: input.outcomeById });
      }
      if (input.surveyAnswer) await this.recordStaffSurveyAnswer(tx, input.followUpId, input.surveyAnswer);
      await this.insertEscalation(tx, input.escalation, at);
      await this.insertOutbox(tx, input.outbox, at);
      for (const entry of input.audit) await this.audit(tx, entry);
      return true;
    }, TX_OPTIONS);
  }

  /**
   * The answers of a staff call: the follow-up's survey (one per follow-up — reused when it exists)
   * becomes ANSWERED and gets one response. Runs inside the outcome's compare-and-set transaction.
   */
  private async recordStaffSurveyAnswer(tx: Tx, followUpId: string, answer: NonNullable<Parameters<FollowUpStore['applyOutcome']>[0]['surveyAnswer']>): Promise<void> {
    const r = answer.response;
    const n = answer.newSurvey;
    const survey = await tx.surveyInstance.upsert({
      where: { followUpId },
      create: {
        id: n.id,
        followUpId,
        customerId: n.customerId,
        surveyKey: n.surveyKey,
        token: n.token,
        status: 'ANSWERED',
        channel: r.channel,
        sentAt: r.receivedAt,
        expiresAt: n.expiresAt,
        answeredAt: r.receivedAt,
        createdAt: r.receivedAt,
      },
      update: { status: 'ANSWERED', answeredAt: r.receivedAt, draft: null },
      select: { id: true },
    });
    await tx.surveyResponse.create({
      data: {
        id: r.id,
        surveyId: survey.id,
        channel: r.channel,
        rawText: r.rawText,
        answers: json(r.answers),
        score: r.score,
        satisfaction: r.satisfaction,
        inboundEventId: r.inboundEventId,
        receivedAt: r.receivedAt,
      },
    });
  }

  async listOpenForAssignee(staffId: string, dueBefore: Date, limit: number): Promise<FollowUpContext[]> {
    const rows = await this.prisma.followUp.findMany({
      where: {
        assigneeId: staffId,
        OR: [{ status: { in: ['ACTIVE', 'OVERDUE'] } }, { status: 'SCHEDULED', dueAt: { lt: dueBefore } }],
      },
      include: { case: true, customer: true },
      orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map((r) => ({ followUp: toFollowUpRecord(r), case: toCaseRecord(r.case), customer: toCustomerRecord(r.customer) }));
  }

  async expireSurveys(now: Date): Promise<{ expiredSurveys: number }> {
    // Set-based statements driven by the (status, deadlineAt) and (status, expiresAt) indexes: the cost
    // follows the rows that change, not the table size; repeating them is harmless. Staff tasks past
    // their deadline are handled one by one instead (they escalate): bot/core/escalation/escalate-follow-up.ts.
    const [expiredFollowUps, expiredSurveys] = await this.prisma.$transaction([
      this.prisma.followUp.updateMany({
        where: { status: { in: ['ACTIVE', 'OVERDUE'] }, action: 'CUSTOMER_SURVEY', deadlineAt: { lte: now } },
        data: { status: 'UNREACHABLE', outcome: 'NO_RESPONSE', completedAt: now, version: { increment: 1 } },
      }),
      this.prisma.surveyInstance.updateMany({ where: { status: 'OPEN', expiresAt: { lte: now } }, data: { status: 'EXPIRED' } }),
    ]);
    return { expiredSurveys: Math.max(expiredFollowUps.count, expiredSurveys.count) };
  }

  /* ------------------------------------------------------------- surveys */

  async findCustomerByPhone(phoneE164: string): Promise<CustomerRecord | null> {
    const row = await this.prisma.customer.findUnique({ where: { phoneE164 } });
    return row ? toCustomerRecord(row) : null;
  }

  async findLatestOpenSurvey(customerId: string, now: Date): Promise<SurveyRecord | null> {
    const row = await this.prisma.surveyInstance.findFirst({
      where: { customerId, status: 'OPEN', expiresAt: { gt: now } },
      orderBy: [{ sentAt: 'desc' }, { id: 'desc' }],
    });
    return row ? toSurvey(row) : null;
  }

  async findSurveyByReplyCode(replyCode: string): Promise<SurveyRecord | null> {
    const row = await this.prisma.surveyInstance.findUnique({ where: { replyCode } });
    return row ? toSurvey(row) : null;
  }

  async markSurveyOpened(surveyId: string, at: Date): Promise<boolean> {
    return markSurveyOpened(this.prisma, surveyId, at);
  }

  async listUnopenedWechatSurveys(input: Parameters<SurveyStore['listUnopenedWechatSurveys']>[0]): Promise<UnopenedWechatSurvey[]> {
    return listUnopenedWechatSurveys(this.prisma, input);
  }

  async findWechatInviteSurvey(outboxId: string): Promise<UnopenedWechatSurvey | null> {
    return findWechatInviteSurvey(this.prisma, outboxId);
  }

  async commitSurveyFallback(fallback: SurveyFallback): Promise<'enqueued' | 'not_needed' | 'busy'> {
    return commitSurveyFallback(this.prisma, this, fallback);
  }

  async findCustomersByIds(ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
    return findCustomersByIds(this.prisma, ids);
  }

  async findSurveyByToken(token: string): Promise<SurveyRecord | null> {
    const row = await this.prisma.surveyInstance.findUnique({ where: { token } });
    return row ? toSurvey(row) : null;
  }

  async recordSurveyAnswer(input: Parameters<SurveyStore['recordSurveyAnswer']>[0]): Promise<boolean> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const { count } = await tx.surveyInstance.updateMany({
          where: { id: input.surveyId, status: 'OPEN' },
          // The reply code is released for reuse by later surveys.
          data: { status: 'ANSWERED', answeredAt: input.response.receivedAt, replyCode: null },
        });
        if (count !== 1) return false;
        const r = input.response;
        await tx.surveyResponse.create({
          data: {
            id: r.id,
            surveyId: input.surveyId,
            channel: r.channel,
            rawText: r.rawText,
            answers: json(r.answers),
            score: r.score,
            satisfaction: r.satisfaction,
            inboundEventId: r.inboundEventId,
            receivedAt: r.receivedAt,
          },
        });
        const survey = await tx.surveyInstance.findUniqueOrThrow({ where: { id: input.surveyId }, select: { followUpId: true } });
        if (survey.followUpId) {
          await tx.followUp.updateMany({
            where: { id: survey.followUpId, status: { in: ['ACTIVE', 'OVERDUE'] } },
            data: { status: 'DONE', outcome: input.followUpOutcome, completedAt: r.receivedAt, attempts: { increment: 1 }, version: { increment: 1 } },
          });
        }
        const at = input.audit[0]?.at ?? r.receivedAt;
        await this.insertEscalation(tx, input.escalation, at);
        await this.insertOutbox(tx, input.outbox, at);
        for (const entry of input.audit) await this.audit(tx, entry);
        return true;
      }, TX_OPTIONS);
    } catch (err) {
      // The same inbound event recorded twice (unique inboundEventId): nothing new to record.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async recordUnparsedReply(input: Parameters<SurveyStore['recordUnparsedReply']>[0]): Promise<void> {
    try {
      await this.prisma.surveyResponse.create({
        data: { id: input.responseId, surveyId: input.surveyId, channel: 'sms', rawText: input.rawText, inboundEventId: input.inboundEventId, receivedAt: input.receivedAt },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async optOutCustomer(customerId: string, at: Date, source: string, audit: NewAuditEntry, scope: OptOutScope = 'all'): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.customer.updateMany({ where: { id: customerId, optedOutAt: null }, data: { optedOutAt: at, optOutSource: source } });
      if (count !== 1) return;
      if (scope === 'all') {
        // An opted-out customer is never contacted again: open surveys end, unsent messages are cancelled.
        await this.cancelOpenFollowUps(tx, { customerId, action: 'CUSTOMER_SURVEY' }, 'CUSTOMER_OPTED_OUT', at);
      }
      await tx.outboxMessage.updateMany({
        where: {
          recipientType: 'customer',
          recipientId: customerId,
          status: 'PENDING',
          // Scope `marketing`: surveys the policy requires continue; greetings and other marketing stop.
          ...(scope === 'marketing' ? { kind: 'customer_notice', payload: { contains: '"purpose":"marketing"' } } : {}),
        },
        data: { status: 'CANCELLED', lastErrorCode: 'CUSTOMER_OPTED_OUT' },
      });
      await this.audit(tx, audit);
    }, TX_OPTIONS);
  }

  /* ------------------------------------------------------------- outbox */

  async enqueue(messages: NewOutboxMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    return this.prisma.$transaction((tx) => this.insertOutbox(tx, messages), TX_OPTIONS);
  }

  /**
   * Inserts outbox rows, skipping keys that already exist (createMany has no skipDuplicates on SQLite).
   * `at` (the deciding use case's clock) becomes `createdAt`; without it, each row's `nextAttemptAt`.
   */
  /** @internal shared with bot/db/escalation-store.ts */
  async insertOutbox(tx: Tx, messages: NewOutboxMessage[], at?: Date): Promise<number> {
    if (messages.length === 0) return 0;
    const keys = messages.map((m) => m.idempotencyKey);
    const existing = new Set(
      (await tx.outboxMessage.findMany({ where: { idempotencyKey: { in: keys } }, select: { idempotencyKey: true } })).map((r) => r.idempotencyKey),
    );
    const fresh = new Map<string, NewOutboxMessage>();
    for (const m of messages) if (!existing.has(m.idempotencyKey) && !fresh.has(m.idempotencyKey)) fresh.set(m.idempotencyKey, m);
    if (fresh.size === 0) return 0;
    // No SMS to a phone the provider reported invalid: such a message is recorded, already cancelled.
    const smsCustomers = [...new Set([...fresh.values()].filter((m) => m.channel === 'sms' && m.recipientType === 'customer').map((m) => m.recipientId))];
    const invalidPhones = new Set(
      smsCustomers.length === 0
        ? []
        : (await tx.customer.findMany({ where: { id: { in: smsCustomers }, phoneInvalidAt: { not: null } }, select: { id: true } })).map((c) => c.id),
    );
    await tx.outboxMessage.createMany({
      data: [...fresh.values()].map((m) => ({
        ...(m.channel === 'sms' && m.recipientType === 'customer' && invalidPhones.has(m.recipientId) ? { status: 'CANCELLED', lastErrorCode: 'PHONE_INVALID' } : {}),
        id: this.ids.next(),
        idempotencyKey: m.idempotencyKey,
        createdAt: at ?? m.nextAttemptAt,
        channel: m.channel,
        kind: m.message.kind,
        recipientType: m.recipientType,
        recipientId: m.recipientId,
        payload: JSON.stringify(m.message),
        nextAttemptAt: m.nextAttemptAt,
        followUpId: m.followUpId,
        ...(m.maxAttempts ? { maxAttempts: m.maxAttempts } : {}),
        ...(m.fallbackOfId ? { fallbackOfId: m.fallbackOfId } : {}),
      })),
    });
    return fresh.size;
  }

  async claimOutbox(now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]> {
    // Two claims, each walking its own index in order: due PENDING messages by (status, nextAttemptAt),
    // then SENDING messages whose lease expired by (status, leaseExpiresAt). One OR-ed query cannot use
    // index order and sorts the whole due backlog on every claim.
    const pending = await this.claimOutboxWhere(new Verbatim(`status = 'PENDING' AND "nextAttemptAt"`), new Verbatim('"nextAttemptAt"'), now, leaseMs, limit, claimToken);
    const expired =
      pending.length < limit
        ? await this.claimOutboxWhere(new Verbatim(`status = 'SENDING' AND "leaseExpiresAt"`), new Verbatim('"leaseExpiresAt"'), now, leaseMs, limit - pending.length, claimToken)
        : [];
    return [...pending, ...expired];
  }

  private async claimOutboxWhere(condition: Verbatim, order: Verbatim, now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // On PostgreSQL the outer WHERE repeats the condition (a claimer that waited on a row lock
    // re-checks only the outer WHERE); SQLite has one writer and needs no re-check.
    const recheck = this.capabilities.skipLocked ? `AND ${condition.text} <= ?` : '';
    const text =
      `UPDATE "OutboxMessage" SET status = 'SENDING', "leaseExpiresAt" = ?, "claimToken" = ?, attempts = attempts + 1, "updatedAt" = ? ` +
      `WHERE id IN (SELECT id FROM "OutboxMessage" WHERE ${condition.text} <= ? ORDER BY ${order.text} LIMIT ? ${this.skipLocked.text}) ${recheck} ` +
      `RETURNING id, "idempotencyKey", channel, payload, attempts, "maxAttempts", "followUpId"`;
    const params = [leaseUntil, claimToken, now, now, limit, ...(recheck ? [now] : [])];
    const rows = await this.prisma.$queryRawUnsafe<
      { id: string; idempotencyKey: string; channel: string; payload: string; attempts: number | bigint; maxAttempts: number | bigint; followUpId: string | null }[]
    >(...this.numbered(text, params));
    return rows.map((r) => ({
      id: r.id,
      idempotencyKey: r.idempotencyKey,
      channel: r.channel as ChannelName,
      message: JSON.parse(r.payload) as OutboundMessage,
      attempt: Number(r.attempts),
      maxAttempts: Number(r.maxAttempts),
      claimToken,
      followUpId: r.followUpId,
    }));
  }

  async completeOutbox(result: Parameters<OutboxStore['completeOutbox']>[0]): Promise<boolean> {
    const data =
      result.outcome === 'SENT'
        ? { status: 'SENT', sentAt: result.finishedAt, providerMessageId: result.providerMessageId, leaseExpiresAt: null, claimToken: null }
        : result.outcome === 'RETRY'
          ? {
              status: 'PENDING',
              nextAttemptAt: result.nextAttemptAt,
              lastErrorCode: result.errorCode,
              lastError: result.error,
              leaseExpiresAt: null,
              claimToken: null,
              ...(result.extendBudget ? { maxAttempts: { increment: 1 } } : {}),
            }
          : { status: result.outcome, lastErrorCode: result.errorCode, lastError: result.error, leaseExpiresAt: null, claimToken: null };
    // A survey fallback that lost a reply code to another replica runs the whole transaction again.
    const run = () => this.prisma.$transaction(async (tx) => {
      const { count } = await tx.outboxMessage.updateMany({ where: { id: result.id, claimToken: result.claimToken, status: 'SENDING' }, data });
      if (count !== 1) return false;
      // The SMS replacement of a WeChat survey invitation commits with its DEAD mark, or not at all.
      if (result.outcome === 'DEAD' && result.fallback) await applySurveyFallback(tx, this, result.fallback);
      if (result.outcome === 'CANCELLED') await this.audit(tx, result.audit);
      if (result.outcome === 'DEAD' && result.invalidRecipientPhone) {
        const row = await tx.outboxMessage.findUniqueOrThrow({ where: { id: result.id }, select: { recipientType: true, recipientId: true } });
        if (row.recipientType === 'customer') await this.markPhoneInvalid(tx, row.recipientId, result.finishedAt);
      }
      await tx.outboxAttempt.create({
        data: {
          id: this.ids.next(),
          messageId: result.id,
          attempt: result.attempt,
          startedAt: result.startedAt,
          finishedAt: result.finishedAt,
          outcome: result.outcome,
          errorCode: result.outcome === 'SENT' ? null : result.errorCode,
          error: result.outcome === 'SENT' ? null : result.error,
        },
      });
      return true;
    }, TX_OPTIONS);
    return result.outcome === 'DEAD' && result.fallback ? withReplyCodeRetry(run) : run();
  }

  async recordDeliveryReport(report: Parameters<OutboxStore['recordDeliveryReport']>[0]): ReturnType<OutboxStore['recordDeliveryReport']> {
    return this.prisma.$transaction(async (tx) => {
      const select = { id: true, recipientType: true, recipientId: true } as const;
      const row =
        (await tx.outboxMessage.findFirst({ where: { providerMessageId: report.providerMessageId }, select })) ??
        (report.idempotencyKey ? await tx.outboxMessage.findUnique({ where: { idempotencyKey: report.idempotencyKey }, select }) : null);
      if (!row) return { found: false as const };
      await tx.outboxMessage.update({
        where: { id: row.id },
        data: { deliveryStatus: report.status, deliveryError: report.error, deliveredAt: report.status === 'DELIVERED' ? report.at : null },
      });
      const customerId = row.recipientType === 'customer' ? row.recipientId : null;
      const phoneMarkedInvalid = report.invalidNumber && customerId !== null ? await this.markPhoneInvalid(tx, customerId, report.at) : false;
      return { found: true as const, outboxId: row.id, customerId, phoneMarkedInvalid };
    }, TX_OPTIONS);
  }

  /**
   * Marks the customer's phone invalid (once) and cancels the SMS not yet sent to them; returns
   * whether it was newly marked. SMS resumes only when the phone number changes.
   */
  private async markPhoneInvalid(tx: Tx, customerId: string, at: Date): Promise<boolean> {
    const { count } = await tx.customer.updateMany({ where: { id: customerId, phoneInvalidAt: null }, data: { phoneInvalidAt: at } });
    await tx.outboxMessage.updateMany({
      where: { recipientType: 'customer', recipientId: customerId, channel: 'sms', status: 'PENDING' },
      data: { status: 'CANCELLED', lastErrorCode: 'PHONE_INVALID' },
    });
    return count === 1;
  }

  /* ------------------------------------------------------------- inbox */

  async recordInbound(event: Parameters<InboxStore['recordInbound']>[0]): Promise<{ id: string; duplicate: boolean }> {
    try {
      await this.prisma.inboundEvent.create({
        data: { id: event.id, source: event.source, dedupeKey: event.dedupeKey, kind: event.kind, payload: JSON.stringify(event.payload), receivedAt: event.receivedAt },
      });
      return { id: event.id, duplicate: false };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const existing = await this.prisma.inboundEvent.findUniqueOrThrow({
        where: { source_dedupeKey: { source: event.source, dedupeKey: event.dedupeKey } },
        select: { id: true },
      });
      return { id: existing.id, duplicate: true };
    }
  }

  async claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null> {
    const { count } = await this.prisma.inboundEvent.updateMany({
      where: { id, status: { in: ['RECEIVED', 'FAILED'] }, OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lte: now } }] },
      data: { leaseExpiresAt: new Date(now.getTime() + leaseMs), attempts: { increment: 1 } },
    });
    if (count !== 1) return null;
    const row = await this.prisma.inboundEvent.findUniqueOrThrow({ where: { id } });
    return {
      id: row.id,
      source: row.source,
      dedupeKey: row.dedupeKey,
      kind: row.kind,
      payload: parseJson<Record<string, unknown>>(row.payload, {}),
      receivedAt: row.receivedAt,
      attempts: row.attempts,
    };
  }

  async listPendingInbound(now: Date, limit: number, maxAttempts: number): Promise<string[]> {
    const leaseFree = [{ leaseExpiresAt: null }, { leaseExpiresAt: { lte: now } }];
    const rows = await this.prisma.inboundEvent.findMany({
      where: { OR: [{ status: 'RECEIVED', OR: leaseFree }, { status: 'FAILED', attempts: { lt: maxAttempts }, OR: leaseFree }] },
      orderBy: { receivedAt: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  async finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED', at: Date, result: Record<string, unknown>, error?: string): Promise<void> {
    await this.prisma.inboundEvent.update({ where: { id }, data: { status, processedAt: at, result: json(result), error: error ?? null, leaseExpiresAt: null } });
  }

  /* ------------------------------------------------------------- shared */

  /** @internal shared with bot/db/escalation-store.ts */
  async insertEscalation(tx: Tx, escalation: NewEscalation | null, at: Date): Promise<boolean> {
    if (!escalation) return false;
    const existing = await tx.escalation.findUnique({ where: { sourceKey: escalation.sourceKey }, select: { id: true } });
    if (existing) return false;
    const { id, severity, ...rest } = escalation;
    await tx.escalation.create({ data: { ...rest, id: id ?? this.ids.next(), severity: severity ?? 'normal', createdAt: at, updatedAt: at } });
    return true;
  }

  /** @internal */
  auditData(entry: NewAuditEntry) {
    return {
      id: this.ids.next(),
      at: entry.at,
      actorType: entry.actorType,
      actorId: entry.actorId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      details: json(entry.details),
    };
  }

  /** @internal */
  async audit(tx: Tx, entry: NewAuditEntry): Promise<void> {
    await tx.auditLog.create({ data: this.auditData(entry) });
  }
}

/** A constant SQL fragment inlined by `PrismaStore.sql`. */
class Verbatim {
  constructor(readonly text: string) {}
}

function toSurvey(row: Prisma.SurveyInstanceGetPayload<object>): SurveyRecord {
  return { id: row.id, followUpId: row.followUpId, customerId: row.customerId, surveyKey: row.surveyKey, status: row.status as SurveyRecord['status'], expiresAt: row.expiresAt };
}

function mergeTags(existing: string, added: string[]): string[] {
  const tags = new Set(parseJson<string[]>(existing, []));
  for (const t of added) tags.add(t);
  return [...tags];
}
