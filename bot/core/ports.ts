import type { Clock, IdGenerator, TokenGenerator } from './clock.js';
import type {
  CaseFacts,
  CaseStatus,
  ChannelName,
  FollowUpAction,
  FollowUpOutcome,
  FollowUpStatus,
  OrgSnapshot,
  Satisfaction,
} from './model.js';
import type { OutboundMessage } from './messages.js';
import type { PolicyDefinition } from './policies/types.js';
import type { PlannedFollowUp } from './policies/plan-follow-ups.js';
import type { MessageTemplates } from './templates/render.js';
import type { FollowUpMove } from './policies/diff-plan.js';
import type { WorkingCalendar } from './calendar/working-calendar.js';

/* ------------------------------------------------------------------ rows */

export interface CustomerRecord {
  id: string;
  externalId: string | null;
  name: string;
  salutation: string | null;
  phoneE164: string | null;
  phoneMasked: string | null;
  wechatOpenId: string | null;
  consentSurvey: boolean;
  optedOutAt: Date | null;
  deceasedAt: Date | null;
}

export interface CaseRecord extends CaseFacts {
  policyId: string;
  customerId: string;
  status: CaseStatus;
  createdAt: Date;
}

export interface FollowUpRecord {
  id: string;
  caseId: string;
  customerId: string;
  policyId: string;
  step: string;
  sequence: number;
  action: FollowUpAction;
  channel: ChannelName;
  status: FollowUpStatus;
  assigneeId: string | null;
  assigneeRule: string | null;
  earliestAt: Date;
  dueAt: Date;
  deadlineAt: Date;
  attempts: number;
  maxAttempts: number;
  /** Number of activations so far; card n (task id `fu_<id>_<n>`) belongs to activation n. */
  activations: number;
  outcome: FollowUpOutcome | null;
  outcomeNote: string | null;
  completedAt: Date | null;
  version: number;
}

/** A follow-up with what activation and outcome handling need to know. */
export interface FollowUpContext {
  followUp: FollowUpRecord;
  case: CaseRecord;
  customer: CustomerRecord;
}

/** An outbox row to insert (in the same transaction as the domain change that decided it). */
export interface NewOutboxMessage {
  /** Unique per logical message; a second insert with the same key is a no-op. */
  idempotencyKey: string;
  channel: ChannelName;
  message: OutboundMessage;
  recipientType: 'staff' | 'customer';
  recipientId: string;
  followUpId: string | null;
  nextAttemptAt: Date;
  maxAttempts?: number;
}

export interface NewAuditEntry {
  /** When it happened (from the injected clock). */
  at: Date;
  actorType: 'STAFF' | 'CUSTOMER' | 'SYSTEM' | 'API';
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  details?: Record<string, unknown>;
}

export interface NewEscalation {
  sourceKey: string;
  caseId: string;
  followUpId: string | null;
  reason: string;
  level: number;
  ownerId: string;
  summary: string;
  deadlineAt: Date;
}

export interface ClaimedOutboxMessage {
  id: string;
  idempotencyKey: string;
  channel: ChannelName;
  message: OutboundMessage;
  /** Attempt number of this claim (1-based). */
  attempt: number;
  maxAttempts: number;
  claimToken: string;
}

export interface InboundEventInput {
  source: string;
  dedupeKey: string;
  kind: string;
  payload: Record<string, unknown>;
  receivedAt: Date;
}

export interface InboundEventRecord extends InboundEventInput {
  id: string;
  attempts: number;
}

/* ------------------------------------------------------------------ stores */

export interface CaseInput {
  type: string;
  externalId: string;
  occurredAt: Date;
  closedAt: Date | null;
  departmentId: string | null;
  responsibleStaffId: string | null;
  attributes: Record<string, unknown>;
  milestones: Record<string, Date>;
}

export interface CustomerInput {
  externalId: string | null;
  name: string;
  salutation: string | null;
  phoneE164: string | null;
  phoneMasked: string | null;
  wechatOpenId: string | null;
  tags: string[];
  consentMarketing: boolean | null;
  consentSurvey: boolean | null;
  /** When the source system reports the customer deceased: every open follow-up of theirs ends at once. */
  deceasedAt?: Date | null;
}

export interface CaseStore {
  findCase(type: string, externalId: string): Promise<CaseRecord | null>;
  findCaseById(id: string): Promise<CaseRecord | null>;
  /** Ids of a policy's open cases that have SCHEDULED follow-ups, ordered by id, after `afterId`. */
  listCasesToReplan(policyId: string, afterId: string | null, limit: number): Promise<string[]>;
  /** Cases of a policy whose event falls in [from, to) — the population tiered sampling is based on. */
  countCasesOfPolicy(policyId: string, from: Date, to: Date): Promise<number>;
  listFollowUpsOfCase(caseId: string): Promise<FollowUpRecord[]>;
  /** Finds or creates the customer by externalId, then phone; updates the given contact fields. */
  upsertCustomer(input: CustomerInput): Promise<CustomerRecord>;
  /**
   * Creates the case and its follow-ups atomically. Returns `created: false` (and writes nothing)
   * when a case with the same type and external id already exists — concurrent posts create one case.
   */
  createCase(input: {
    id: string;
    policyId: string;
    customerId: string;
    case: CaseInput;
    followUps: (PlannedFollowUp & { id: string })[];
    audit: NewAuditEntry;
  }): Promise<{ created: boolean; caseId: string }>;
  /**
   * Updates attributes/milestones/closure and adds the follow-ups for steps the case does not have
   * yet (unique per case and step; concurrent updates add each step once). Returns how many it added.
   */
  updateCase(input: {
    caseId: string;
    case: CaseInput;
    addFollowUps: (PlannedFollowUp & { id: string })[];
    /** Scheduled follow-ups to move (compare-and-set on version; a changed row is left alone). */
    moveFollowUps?: FollowUpMove[];
    /** Scheduled follow-ups the plan no longer contains. */
    cancelFollowUps?: { id: string; version: number }[];
    cancelOpenFollowUps: boolean;
    audit: NewAuditEntry;
  }): Promise<{ added: number; moved: number; cancelled: number }>;
}

export interface OrgStore {
  /** The organisation as assignee resolution sees it; may be cached briefly by the adapter. */
  loadOrgSnapshot(): Promise<OrgSnapshot>;
  findStaffByWecomUserId(wecomUserId: string): Promise<{ id: string; name: string; active: boolean } | null>;
}

export interface FollowUpStore {
  /**
   * Leases up to `limit` SCHEDULED follow-ups with `dueAt <= now` whose lease is free, for `leaseMs`.
   * Atomic across processes (SKIP LOCKED on PostgreSQL, one conditional UPDATE on SQLite).
   */
  claimDueFollowUps(now: Date, leaseMs: number, limit: number): Promise<FollowUpContext[]>;
  /**
   * Applies activations in one transaction: each row is updated only if its version is unchanged
   * (compare-and-set); outbox rows, surveys and audit entries are inserted only for rows that changed.
   */
  commitActivations(
    activations: {
      followUpId: string;
      version: number;
      /** DEFERRED keeps it SCHEDULED with a later `deferTo` (one open per case, contact caps). */
      status: 'ACTIVE' | 'CANCELLED' | 'DEFERRED';
      deferTo?: Date;
      /** A new assignee when the planned one is no longer active (left, deactivated). */
      reassignTo?: { staffId: string; rule: string };
      outcomeNote: string | null;
      now: Date;
      survey: { id: string; token: string; surveyKey: string; expiresAt: Date } | null;
      outbox: NewOutboxMessage[];
      audit: NewAuditEntry;
    }[],
  ): Promise<{ applied: number; skipped: number }>;
  findFollowUpContext(followUpId: string): Promise<FollowUpContext | null>;
  /** Other follow-ups of the case that are pushed and not answered (ACTIVE or OVERDUE). */
  countOpenSiblings(caseId: string, exceptId: string): Promise<number>;
  /** Follow-ups of the customer under a policy activated at or after `since`. */
  countCustomerContacts(customerId: string, policyId: string, since: Date): Promise<number>;
  /** Applies an outcome with compare-and-set on `version`; returns false when the row had changed. */
  applyOutcome(input: {
    followUpId: string;
    version: number;
    status: FollowUpStatus;
    outcome: FollowUpOutcome | null;
    outcomeNote: string | null;
    outcomeById: string | null;
    attempts: number;
    nextDueAt: Date | null;
    completedAt: Date | null;
    outbox: NewOutboxMessage[];
    escalation: NewEscalation | null;
    audit: NewAuditEntry[];
  }): Promise<boolean>;
  /** A staff member's open follow-ups (ACTIVE, OVERDUE, and SCHEDULED due before `dueBefore`), earliest deadline first. */
  listOpenForAssignee(staffId: string, dueBefore: Date, limit: number): Promise<FollowUpContext[]>;
  /** Marks ACTIVE staff tasks past their deadline OVERDUE and expires unanswered surveys; returns counts. */
  markOverdue(now: Date): Promise<{ overdue: number; expiredSurveys: number }>;
}

export interface SurveyRecord {
  id: string;
  followUpId: string | null;
  customerId: string;
  surveyKey: string;
  status: 'OPEN' | 'ANSWERED' | 'EXPIRED';
  expiresAt: Date;
}

export interface SurveyStore {
  findCustomerByPhone(phoneE164: string): Promise<CustomerRecord | null>;
  /** The customer's most recently sent survey that is still OPEN and not expired at `now`. */
  findLatestOpenSurvey(customerId: string, now: Date): Promise<SurveyRecord | null>;
  findSurveyByToken(token: string): Promise<SurveyRecord | null>;
  /**
   * Records an answer: the response row, survey ANSWERED, and (if the survey's follow-up is still open)
   * its completion — all in one transaction, guarded so a replay records nothing twice.
   */
  recordSurveyAnswer(input: {
    surveyId: string;
    response: {
      id: string;
      channel: string;
      rawText: string | null;
      answers: Record<string, unknown>;
      score: number | null;
      satisfaction: Satisfaction | null;
      inboundEventId: string | null;
      receivedAt: Date;
    };
    followUpOutcome: FollowUpOutcome;
    escalation: NewEscalation | null;
    outbox: NewOutboxMessage[];
    audit: NewAuditEntry[];
  }): Promise<boolean>;
  /** Keeps a reply that is not an answer, without closing the survey. */
  recordUnparsedReply(input: { surveyId: string; responseId: string; rawText: string; inboundEventId: string | null; receivedAt: Date }): Promise<void>;
  optOutCustomer(customerId: string, at: Date, source: string, audit: NewAuditEntry): Promise<void>;
}

export interface OutboxStore {
  /** Enqueues messages outside a domain transaction (e.g. notices); duplicates by key are ignored. */
  enqueue(messages: NewOutboxMessage[]): Promise<number>;
  /**
   * Claims up to `limit` messages that are PENDING and due, or SENDING with an expired lease (a
   * dispatcher died mid-send), setting a new lease and claim token. Atomic across processes.
   */
  claimOutbox(now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]>;
  /** Records the attempt's result; ignored (returns false) if the claim token no longer matches. */
  completeOutbox(
    result: {
      id: string;
      claimToken: string;
      attempt: number;
      startedAt: Date;
      finishedAt: Date;
    } & (
      | { outcome: 'SENT'; providerMessageId: string | null }
      | {
          outcome: 'RETRY';
          nextAttemptAt: Date;
          errorCode: string;
          error: string;
          /** A deferral (rate limit) that must not use up the message's attempts: maxAttempts grows by one. */
          extendBudget?: boolean;
        }
      | { outcome: 'DEAD'; errorCode: string; error: string }
    ),
  ): Promise<boolean>;
}

export interface InboxStore {
  /** Records an inbound event unless one with the same (source, dedupeKey) exists. */
  recordInbound(event: InboundEventInput & { id: string }): Promise<{ id: string; duplicate: boolean }>;
  /** Leases one event for processing (RECEIVED, or FAILED with attempts left); null if taken or done. */
  claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null>;
  /** Ids of events waiting for processing (crash recovery and retries). */
  listPendingInbound(now: Date, limit: number, maxAttempts: number): Promise<string[]>;
  finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED', at: Date, result: Record<string, unknown>, error?: string): Promise<void>;
}

/** What a signed link opens; part of the signature, so a link for one cannot open another. */
export type LinkPurpose = 'survey' | 'staff_form' | 'digest' | 'report';

/**
 * Signs ids placed in URLs (`<id>.<signature>`) and checks them; `verify` returns the id, or null for
 * a link that was altered or signed for another purpose.
 */
export interface LinkSigner {
  sign(purpose: LinkPurpose, id: string): Promise<string>;
  verify(purpose: LinkPurpose, signed: string): Promise<string | null>;
}

/** Policy lookup by case type. */
export interface PolicyRegistry {
  forCaseType(type: string): PolicyDefinition | undefined;
  byId(id: string): PolicyDefinition | undefined;
  all(): readonly PolicyDefinition[];
}

/** Everything use cases need, injected by the composition root. */
export interface CoreDeps {
  clock: Clock;
  ids: IdGenerator;
  tokens: TokenGenerator;
  timeZone: string;
  publicBaseUrl: string;
  /** The organisation's display name, used in customer messages (【…】). */
  organisationName: string;
  /** Signs the ids in survey, form, digest and report links. */
  links: LinkSigner;
  policies: PolicyRegistry;
  templates: MessageTemplates;
  /** Mainland-China working days (holidays, 调休 make-up days, organisation closures). */
  calendar: WorkingCalendar;
  cases: CaseStore;
  org: OrgStore;
  followUps: FollowUpStore;
  surveys: SurveyStore;
  outbox: OutboxStore;
  inbox: InboxStore;
}
