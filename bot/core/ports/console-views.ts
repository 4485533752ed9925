/**
 * The console's read models. Every query takes the signed-in person's scope and returns only rows
 * inside it (bot/core/console/access.ts); customers appear with masked phones only.
 */
import type { ConsoleScope } from '../console/access.js';

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type SortDirection = 'asc' | 'desc';

/** Search by customer name, the last digits of the phone, or the case number. */
export interface TextSearch {
  q?: string;
}

export interface FollowUpListFilter extends TextSearch {
  status?: string[];
  departmentId?: string;
  assigneeId?: string;
  policyId?: string;
  /** Due at or after / before (instants). */
  dueFrom?: Date;
  dueTo?: Date;
  sort?: 'dueAt' | 'deadlineAt' | 'customer' | 'status';
  direction?: SortDirection;
  page: number;
  pageSize: number;
}

export interface FollowUpRow {
  id: string;
  caseId: string;
  caseExternalId: string;
  policyId: string;
  step: string;
  action: string;
  channel: string;
  status: string;
  outcome: string | null;
  dueAt: Date;
  deadlineAt: Date;
  completedAt: Date | null;
  attempts: number;
  assigneeId: string | null;
  assigneeName: string | null;
  departmentName: string | null;
  customerId: string;
  customerName: string;
  customerPhone: string | null;
  version: number;
}

export interface CaseListFilter extends TextSearch {
  policyId?: string;
  departmentId?: string;
  status?: string;
  sort?: 'occurredAt' | 'externalId';
  direction?: SortDirection;
  page: number;
  pageSize: number;
}

export interface CaseRow {
  id: string;
  type: string;
  externalId: string;
  policyId: string;
  status: string;
  occurredAt: Date;
  departmentName: string | null;
  responsibleName: string | null;
  customerId: string;
  customerName: string;
  customerPhone: string | null;
  openFollowUps: number;
}

/** One line of a case's timeline, oldest first. */
export interface TimelineEntry {
  at: Date;
  kind: 'case' | 'follow_up' | 'message' | 'delivery' | 'reply' | 'form' | 'escalation' | 'audit';
  title: string;
  detail: string | null;
  /** The staff member or customer it concerns (a name), when there is one. */
  who: string | null;
}

export interface CaseDetail {
  case: CaseRow & { attributes: Record<string, unknown>; closedAt: Date | null; createdAt: Date };
  followUps: FollowUpRow[];
  escalations: EscalationRow[];
  timeline: TimelineEntry[];
}

export interface EscalationListFilter extends TextSearch {
  status?: string[];
  ownerId?: string;
  reason?: string;
  departmentId?: string;
  sort?: 'deadlineAt' | 'createdAt';
  direction?: SortDirection;
  page: number;
  pageSize: number;
}

export interface EscalationRow {
  id: string;
  caseId: string;
  caseExternalId: string;
  followUpId: string | null;
  reason: string;
  severity: string;
  level: number;
  status: string;
  ownerId: string;
  ownerName: string;
  summary: string;
  deadlineAt: Date;
  createdAt: Date;
  note: string | null;
  breachedAt: Date | null;
  secondFollowUpId: string | null;
  secondFollowUpStatus: string | null;
  customerName: string;
  customerPhone: string | null;
  version: number;
}

export interface CustomerListFilter extends TextSearch {
  optedOut?: boolean;
  page: number;
  pageSize: number;
}

export interface CustomerRow {
  id: string;
  externalId: string | null;
  name: string;
  salutation: string | null;
  phone: string | null;
  hasWechat: boolean;
  consentSurvey: boolean;
  consentMarketing: boolean;
  optedOutAt: Date | null;
  optOutSource: string | null;
  phoneInvalidAt: Date | null;
  deceasedAt: Date | null;
  cases: number;
}

/** The console's dashboard figures for the scope. */
export interface DashboardFigures {
  dueToday: number;
  overdue: number;
  activeTasks: number;
  openEscalations: number;
  breachedEscalations: number;
  /** Done follow-ups with a satisfaction outcome in the month, and how many were satisfied. */
  satisfaction: { thisMonth: { answered: number; satisfied: number; dissatisfied: number }; lastMonth: { answered: number; satisfied: number; dissatisfied: number } };
  /** Messages that died in the last 24 hours, and those held back for a provider configuration problem. */
  channelHealth: { deadLastDay: number; blocked: number; byChannel: { channel: string; dead: number; blocked: number }[] };
}

export interface SatisfactionFilter {
  from: Date;
  to: Date;
  /** The NPS questions (0–10) of the survey definitions, by survey key. */
  npsQuestions?: readonly { surveyKey: string; questionKey: string }[];
}

/** Satisfaction of done follow-ups (and survey answers) in a period, grouped. */
export interface SatisfactionGroupRow {
  key: string;
  label: string;
  answered: number;
  satisfied: number;
  neutral: number;
  dissatisfied: number;
  /** NPS answers (0–10) where the survey asked it: promoters 9–10, detractors 0–6. */
  npsAnswers: number;
  promoters: number;
  detractors: number;
}

export interface SatisfactionFigures {
  byDepartment: SatisfactionGroupRow[];
  byStaff: SatisfactionGroupRow[];
  byPolicy: SatisfactionGroupRow[];
  /** Customers' words (survey comments, replies, staff notes of dissatisfied calls) in the period. */
  comments: { at: Date; text: string; satisfaction: string | null }[];
}

export interface AuditFilter {
  actorId?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  page: number;
  pageSize: number;
}

export interface AuditRow {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  entityType: string;
  entityId: string;
  details: Record<string, unknown>;
}

export interface JobRunRow {
  job: string;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  lastStatus: string | null;
  lastError: string | null;
  lastSummary: string | null;
  lastFailedAt: Date | null;
  failureDay: string | null;
  failuresOnDay: number;
}

/** The console's reads. */
export interface ConsoleViews {
  dashboard(scope: ConsoleScope, at: { dayStart: Date; dayEnd: Date; monthStart: Date; lastMonthStart: Date; now: Date }): Promise<DashboardFigures>;
  listFollowUps(scope: ConsoleScope, filter: FollowUpListFilter): Promise<Page<FollowUpRow>>;
  /** Open follow-ups (SCHEDULED, ACTIVE, OVERDUE) of these ids inside the scope (for bulk actions). */
  openFollowUpsByIds(scope: ConsoleScope, ids: readonly string[]): Promise<FollowUpRow[]>;
  /** Every open follow-up assigned to `staffId` inside the scope (a leave handover). */
  openFollowUpsOfAssignee(scope: ConsoleScope, staffId: string): Promise<FollowUpRow[]>;
  listCases(scope: ConsoleScope, filter: CaseListFilter): Promise<Page<CaseRow>>;
  caseDetail(scope: ConsoleScope, caseId: string): Promise<CaseDetail | null>;
  listEscalations(scope: ConsoleScope, filter: EscalationListFilter): Promise<Page<EscalationRow>>;
  escalation(scope: ConsoleScope, id: string): Promise<EscalationRow | null>;
  listCustomers(scope: ConsoleScope, filter: CustomerListFilter): Promise<Page<CustomerRow>>;
  customer(scope: ConsoleScope, id: string): Promise<CustomerRow | null>;
  /** The customer's full phone (E.164), only inside the scope; for the audited reveal. */
  customerPhone(scope: ConsoleScope, id: string): Promise<string | null>;
  satisfaction(scope: ConsoleScope, filter: SatisfactionFilter): Promise<SatisfactionFigures>;
  /** Satisfied / answered per month for the trend chart, oldest first. */
  satisfactionTrend(scope: ConsoleScope, months: readonly { key: string; from: Date; to: Date }[]): Promise<{ key: string; answered: number; satisfied: number }[]>;
  listAudit(filter: AuditFilter): Promise<Page<AuditRow>>;
  jobRuns(): Promise<JobRunRow[]>;
}
