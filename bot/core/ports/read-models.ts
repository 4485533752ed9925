/**
 * Read models: what the HTTP API, the sandbox and the service's own health pages show. They only read,
 * return plain JSON-ready data (instants as ISO strings), and show customers with masked phones only.
 */

/** A follow-up as the API shows it. */
export interface FollowUpView {
  id: string;
  caseId: string;
  policyId: string;
  step: string;
  sequence: number;
  action: string;
  channel: string;
  status: string;
  assignee: { id: string; name: string | null; wecomUserId: string | null; rule: string | null } | null;
  earliestAt: string;
  dueAt: string;
  deadlineAt: string;
  attempts: number;
  maxAttempts: number;
  sampling: unknown;
  outcome: string | null;
  outcomeNote: string | null;
  completedAt: string | null;
}

/** A case with its customer (masked) and follow-ups, as the API shows it. */
export interface CaseView {
  id: string;
  type: string;
  externalId: string;
  policyId: string;
  status: string;
  occurredAt: string;
  closedAt: string | null;
  department: { code: string; name: string } | null;
  responsibleStaff: { name: string; wecomUserId: string } | null;
  attributes: unknown;
  milestones: unknown;
  customer: { id: string; externalId: string | null; name: string; phone: string | null; optedOut: boolean };
  followUps: FollowUpView[];
  createdAt: string;
}

export interface FollowUpFilter {
  status?: string[];
  assigneeId?: string;
  caseId?: string;
  policyId?: string;
  dueBefore?: Date;
  dueAfter?: Date;
  limit: number;
  /** Opaque keyset cursor from a previous page (see `decodeFollowUpCursor`). */
  cursor?: { dueAt: Date; id: string };
}

/** The cursor of the page after `last`. */
export function encodeFollowUpCursor(last: { dueAt: Date; id: string }): string {
  return Buffer.from(`${last.dueAt.toISOString()}|${last.id}`).toString('base64url');
}

/** The position a `nextCursor` encodes, or null for a string that is not one. */
export function decodeFollowUpCursor(cursor: string): { dueAt: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const dueAt = new Date(at ?? '');
  if (!id || Number.isNaN(dueAt.getTime())) return null;
  return { dueAt, id };
}

/** The cases and follow-ups of the HTTP API. */
export interface CaseViews {
  caseView(id: string): Promise<CaseView | null>;
  /** Pages of follow-ups ordered by (dueAt, id), keyset-paginated so deep pages stay cheap. */
  listFollowUps(filter: FollowUpFilter): Promise<{ items: FollowUpView[]; nextCursor: string | null }>;
}

/** A message the sandbox delivered, as its page shows it. */
export interface SandboxMessageView {
  id: string;
  kind: string;
  deliveredAt: string;
  content: unknown;
}

/** What the sandbox page shows: each staff member's WeCom inbox and each customer's phone. */
export interface SandboxState {
  staff: { wecomUserId: string; name: string; department: string; roles: string; messages: SandboxMessageView[] }[];
  customers: { id: string; name: string; phone: string | null; optedOut: boolean; messages: SandboxMessageView[] }[];
}

/** The sandbox page's reads. */
export interface SandboxViews {
  sandboxState(options?: { perInbox?: number }): Promise<SandboxState>;
  /** The customer's phone (E.164), to address the sandbox's simulated reply; null without one. */
  customerPhone(customerId: string): Promise<string | null>;
  countCasesOfType(type: string): Promise<number>;
  /** Messages of these kinds the sandbox delivered at or after `since`, oldest first. */
  deliveriesSince(since: Date, kinds: readonly string[]): Promise<{ id: string; content: unknown }[]>;
}

/** Row counts by status: grouped counts over whole tables, for tests and tools, not for every `/metrics` scrape. */
export interface StatusCounts {
  followUps: Record<string, number>;
  outbox: Record<string, number>;
  inbound: Record<string, number>;
}

/** The service's health and its gauges. */
export interface ServiceHealth {
  /** Asks the database a trivial question; throws when it cannot answer. */
  ping(): Promise<void>;
  statusCounts(): Promise<StatusCounts>;
  /**
   * What is waiting, for `/metrics` on every scrape, so only index lookups whose cost follows the
   * backlog, never the history: the oldest PENDING outbox message due at `now` (its `nextAttemptAt`),
   * and the inbound events still RECEIVED with the oldest one's `receivedAt`.
   */
  backlog(now: Date): Promise<Backlog>;
}

/** See {@link ServiceHealth.backlog}. */
export interface Backlog {
  oldestDueOutboxAt: Date | null;
  receivedInbound: number;
  oldestReceivedInboundAt: Date | null;
  /** Inbound events out of attempts (DEAD), waiting for an operator (`huifang inbox dead`). */
  deadInbound: number;
  /** Outbox messages a crash left UNCERTAIN, waiting for a person (`huifang outbox uncertain`). */
  uncertainOutbox: number;
}

/** Raw activity figures of the whole database, grouped as the demo's summary (and the console) count them. */
export interface ActivityFigures {
  casesByPolicy: { policyId: string; count: number }[];
  followUps: { action: string; status: string; dueAt: Date; deadlineAt: Date; completedAt: Date | null; attempts: number }[];
  surveysByStatus: Record<string, number>;
  /** Replies kept without a satisfaction value (not an answer). */
  unparsedReplies: number;
  optedOutCustomers: number;
  escalations: { reason: string; status: string; createdAt: Date; deadlineAt: Date; ownerName: string }[];
  outbox: { channel: string; kind: string; status: string; count: number }[];
  inbound: { kind: string; status: string; result: Record<string, unknown> }[];
  responsesBySatisfaction: { satisfaction: string | null; count: number }[];
}

/** Reads the activity figures (a scan of the tables: for the demo's small database and reports). */
export interface ActivityViews {
  activityFigures(): Promise<ActivityFigures>;
}
