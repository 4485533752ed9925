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
import type { SurveyDefinitionRegistry } from './surveys/definitions.js';

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
  /** Explicit consent to marketing messages (greetings, promotions); absent or false means no. */
  consentMarketing?: boolean;
  optedOutAt: Date | null;
  deceasedAt: Date | null;
  /** When the SMS provider reported the number invalid for good (no SMS until the phone changes). */
  phoneInvalidAt?: Date | null;
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
  /** The message this one replaces on another channel (an SMS survey invitation after WeChat failed). */
  fallbackOfId?: string;
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
  /** Chosen by the caller when links to it are built before it is stored (cards); generated otherwise. */
  id?: string;
  /** normal | high | critical (default normal). */
  severity?: string;
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
  /** The follow-up the message belongs to, if any. */
  followUpId?: string | null;
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
      /** When the assignee is reminded if the task is still unanswered (staff tasks). */
      remindAt?: Date | null;
      outcomeNote: string | null;
      now: Date;
      survey: {
        id: string;
        token: string;
        surveyKey: string;
        expiresAt: Date;
        /** The channel the invitation goes out on first (`SurveyInstance.channel`). */
        channel?: ChannelName;
        /**
         * When the survey is also invited by SMS: candidate reply codes, tried in order; the first one
         * no survey holds becomes `SurveyInstance.replyCode` and the `replyCode` of this survey's
         * `survey_invite` outbox messages (the store sets it on them).
         */
        replyCodes?: readonly string[];
      } | null;
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
    /**
     * Answers a staff member took during the call (the 详情 form), recorded in the same transaction:
     * the follow-up's SurveyInstance (the existing one, else a new one with `newSurvey`) becomes
     * ANSWERED with one SurveyResponse.
     */
    surveyAnswer?: StaffSurveyAnswer | null;
  }): Promise<boolean>;
  /** A staff member's open follow-ups (ACTIVE, OVERDUE, and SCHEDULED due before `dueBefore`), earliest deadline first. */
  listOpenForAssignee(staffId: string, dueBefore: Date, limit: number): Promise<FollowUpContext[]>;
  /** Ends customer surveys past their deadline unanswered (NO_RESPONSE) and expires their links; returns counts. */
  expireSurveys(now: Date): Promise<{ expiredSurveys: number }>;
}

/** Answers recorded with a staff outcome (see `FollowUpStore.applyOutcome`). */
export interface StaffSurveyAnswer {
  /** Used only when the follow-up has no SurveyInstance yet (`@@unique([followUpId])`: never a second one). */
  newSurvey: { id: string; token: string; surveyKey: string; customerId: string; expiresAt: Date };
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
  /** The survey whose SMS went out with this extend code (`SurveyInstance.replyCode`), whatever its status. */
  findSurveyByReplyCode(replyCode: string): Promise<SurveyRecord | null>;
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
  /**
   * Records an opt-out. With scope `all` (default) open surveys end and every unsent customer message is
   * cancelled; with `marketing` only unsent marketing messages are (surveys follow the consent setting).
   */
  optOutCustomer(customerId: string, at: Date, source: string, audit: NewAuditEntry, scope?: OptOutScope): Promise<void>;
  /**
   * Records the first time the customer opened the survey page (`SurveyInstance.openedAt`); later
   * calls change nothing. Returns true only for the call that set it. An opened WeChat invitation is
   * never followed by the SMS fallback.
   */
  markSurveyOpened(surveyId: string, at: Date): Promise<boolean>;
  /**
   * Open, unexpired surveys invited by WeChat only (no reply code yet), never opened, sent at or
   * before `sentBefore`: the candidates for the "not opened in time" SMS fallback. Ordered by id,
   * after `afterId`; walks the (status, expiresAt) index.
   */
  listUnopenedWechatSurveys(input: { now: Date; sentBefore: Date; afterId: string | null; limit: number }): Promise<UnopenedWechatSurvey[]>;
  /**
   * Switches a survey to SMS: in one transaction, gives the survey the first free reply code, cancels
   * its WeChat invitation if that is still PENDING, and enqueues the SMS invitation. Does nothing
   * (`not_needed`) if the survey is no longer OPEN, was opened, or already has a reply code (another
   * replica did it); `busy` while the WeChat invitation is being sent.
   */
  commitSurveyFallback(fallback: SurveyFallback): Promise<'enqueued' | 'not_needed' | 'busy'>;
  /** The survey a WeChat invitation (outbox row) belongs to, when it is still OPEN, unopened and without a reply code. */
  findWechatInviteSurvey(outboxId: string): Promise<UnopenedWechatSurvey | null>;
}

/** A survey waiting to see whether its WeChat invitation is opened (see `listUnopenedWechatSurveys`). */
export interface UnopenedWechatSurvey {
  surveyId: string;
  followUpId: string | null;
  policyId: string | null;
  step: string | null;
  sentAt: Date;
  customer: CustomerRecord;
  /** The WeChat invitation row, when there is one. */
  invite: { id: string; idempotencyKey: string; status: string; message: OutboundMessage } | null;
}

/** An SMS invitation that replaces (or follows) a survey's WeChat invitation. */
export interface SurveyFallback {
  surveyId: string;
  /** Candidate reply codes, tried in order; the chosen one is set on the survey and on `message`. */
  replyCodes: readonly string[];
  /** The SMS `survey_invite`, with `fallbackOfId` set to the WeChat invitation. */
  message: NewOutboxMessage;
  /** The WeChat invitation to cancel if it has not been sent yet. */
  cancelPendingId?: string;
  audit: NewAuditEntry;
}

export interface OutboxStore {
  /** Enqueues messages outside a domain transaction (e.g. notices); duplicates by key are ignored. */
  enqueue(messages: NewOutboxMessage[]): Promise<number>;
  /** The customers with these ids (one query), for the consent check just before sending. */
  findCustomersByIds(ids: readonly string[]): Promise<Map<string, CustomerRecord>>;
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
      | {
          outcome: 'DEAD';
          errorCode: string;
          error: string;
          /** The provider refused the customer's phone number for good: mark it invalid (see {@link OutboxStore.recordDeliveryReport}). */
          invalidRecipientPhone?: boolean;
          /** A survey invitation that failed for good on WeChat: its SMS replacement, in the same transaction. */
          fallback?: SurveyFallback;
        }
      /** Not sent, and never will be (consent withdrawn since it was queued); the reason is audited. */
      | { outcome: 'CANCELLED'; errorCode: string; error: string; audit: NewAuditEntry }
    ),
  ): Promise<boolean>;
  /**
   * Records a provider's delivery report on the message it sent (found by `providerMessageId`, else by
   * `idempotencyKey` when the provider echoes it). With `invalidNumber`, the recipient customer's phone
   * is marked invalid and their unsent SMS are cancelled. Idempotent: a replayed report changes nothing
   * new. `found: false` when no message matches.
   */
  recordDeliveryReport(report: DeliveryReport): Promise<{ found: false } | { found: true; outboxId: string; customerId: string | null; phoneMarkedInvalid: boolean }>;
}

/** A provider's delivery report for one sent message. */
export interface DeliveryReport {
  providerMessageId: string;
  /** The outbox idempotency key, when the provider echoes it (Tencent `ext` / SessionContext). */
  idempotencyKey: string | null;
  status: 'DELIVERED' | 'FAILED';
  /** The carrier's status code and description for a failure. */
  error: string | null;
  /** When the recipient received it (DELIVERED) or when the failure was reported. */
  at: Date;
  /** The report says the number does not exist: stop texting it. */
  invalidNumber: boolean;
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

/* ------------------------------------------------------------------ escalations */

export interface EscalationRecord {
  id: string;
  sourceKey: string;
  caseId: string;
  followUpId: string | null;
  reason: string;
  severity: string;
  level: number;
  ownerId: string;
  status: 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED' | 'CLOSED';
  summary: string;
  deadlineAt: Date;
  note: string | null;
  acknowledgedAt: Date | null;
  acknowledgedById: string | null;
  resolvedAt: Date | null;
  resolvedById: string | null;
  secondFollowUpId: string | null;
  closedAt: Date | null;
  breachedAt: Date | null;
  version: number;
  createdAt: Date;
}

/** A change to one escalation, applied with compare-and-set on its version. */
export interface EscalationChange {
  id: string;
  version: number;
  set: Partial<Pick<EscalationRecord, 'level' | 'ownerId' | 'deadlineAt' | 'status' | 'acknowledgedAt' | 'acknowledgedById' | 'resolvedAt' | 'resolvedById' | 'note' | 'secondFollowUpId' | 'breachedAt' | 'closedAt'>>;
  /** The second follow-up to create with the change (resolution). */
  secondFollowUp?: (PlannedFollowUp & { id: string; caseId: string; customerId: string; policyId: string }) | null;
  outbox: NewOutboxMessage[];
  audit: NewAuditEntry[];
}

export interface EscalationStore {
  findEscalation(id: string): Promise<EscalationRecord | null>;
  /** OPEN or ACKNOWLEDGED escalations past their deadline and not yet breached, earliest deadline first. */
  listDueEscalations(now: Date, limit: number): Promise<EscalationRecord[]>;
  /** Applies a change atomically; false when the escalation changed meanwhile (another replica, a double tap). */
  updateEscalation(change: EscalationChange): Promise<boolean>;
  /** Opens escalations with their notices; one per source key (a replay opens nothing). Returns how many were new. */
  openEscalations(items: { escalation: NewEscalation; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[]): Promise<number>;
  /** ACTIVE staff tasks whose deadline has passed, earliest first. */
  listNewlyOverdue(now: Date, limit: number): Promise<FollowUpContext[]>;
  /** Marks them OVERDUE (compare-and-set on version) with their escalations and notices. */
  commitOverdue(items: { followUpId: string; version: number; now: Date; escalation: NewEscalation | null; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[]): Promise<{ applied: number; skipped: number }>;
  /** ACTIVE follow-ups whose reminder time has come. */
  listDueReminders(now: Date, limit: number): Promise<FollowUpContext[]>;
  /** Clears each reminder time and enqueues its reminder, once (a replica that lost the race adds nothing). */
  commitReminders(items: { followUpId: string; outbox: NewOutboxMessage[]; audit: NewAuditEntry }[]): Promise<number>;
  /** The customer's cases of the given types that occurred at or after `since`. */
  listRecentCasesOfCustomer(customerId: string, types: readonly string[], since: Date): Promise<CaseRecord[]>;
  /** Escalations the staff member owns that are OPEN or ACKNOWLEDGED, earliest deadline first. */
  listOpenEscalationsOfOwner(staffId: string, limit: number): Promise<EscalationRecord[]>;
  /** The escalation's audit trail, oldest first: who saw, who acted, when. */
  escalationHistory(id: string): Promise<{ at: Date; action: string; actorId: string | null; details: Record<string, unknown> }[]>;
}

/** What a signed link opens; part of the signature, so a link for one cannot open another. */
export type LinkPurpose = 'survey' | 'staff_form' | 'digest' | 'report' | 'escalation';

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

/**
 * What a customer's opt-out covers: `marketing` messages only, or `all` customer messages including
 * surveys (HUIFANG_OPTOUT_SCOPE).
 */
export type OptOutScope = 'marketing' | 'all';

/** Whether each customer channel reaches customers (a sandboxed channel next to a real one does not). */
export interface CustomerChannelAvailability {
  wechat: boolean;
  sms: boolean;
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
  /** Survey definitions (templates/surveys), by the `surveyKey` policy steps name. */
  surveyDefinitions: SurveyDefinitionRegistry;
  templates: MessageTemplates;
  /** Mainland-China working days (holidays, 调休 make-up days, organisation closures). */
  calendar: WorkingCalendar;
  cases: CaseStore;
  org: OrgStore;
  followUps: FollowUpStore;
  surveys: SurveyStore;
  outbox: OutboxStore;
  inbox: InboxStore;
  escalations: EscalationStore;
  /** What an opt-out covers [all]. */
  optOutScope?: OptOutScope;
  /** Customer channels surveys may be sent on [both]. */
  customerChannels?: CustomerChannelAvailability;
}
