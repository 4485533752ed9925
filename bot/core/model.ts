/**
 * Domain vocabulary shared by use cases, repositories and edges. Stored as strings in the database
 * (the schema is portable across SQLite and PostgreSQL, so no database enums).
 */

/** What a follow-up asks for: a person's call/visit (WeCom task card) or a survey sent to the customer. */
export type FollowUpAction = 'STAFF_TASK' | 'CUSTOMER_SURVEY';

/**
 * Delivery channel of a follow-up or outbox message; `webhook` carries signed HTTP POSTs to subscribed
 * systems (docs/webhooks.md); `wecom_contact` reaches a customer who is a WeCom external contact
 * through the member who has them as a contact (客户联系, docs/protocols/wecom.md §12).
 */
export type ChannelName = 'wecom' | 'sms' | 'wechat' | 'webhook' | 'wecom_contact';

/** Follow-up lifecycle; see bot/core/follow-ups/status.ts for the allowed transitions. */
export type FollowUpStatus = 'SCHEDULED' | 'ACTIVE' | 'OVERDUE' | 'DONE' | 'UNREACHABLE' | 'CANCELLED' | 'SKIPPED';

/** Recorded result of a follow-up. */
export type FollowUpOutcome =
  | 'SATISFIED'
  | 'NEUTRAL'
  | 'DISSATISFIED'
  | 'UNREACHABLE'
  | 'NO_RESPONSE';

export type Satisfaction = 'SATISFIED' | 'NEUTRAL' | 'DISSATISFIED';

export type OutboxStatus = 'PENDING' | 'SENDING' | 'SENT' | 'DEAD' | 'CANCELLED';

export type InboundStatus = 'RECEIVED' | 'PROCESSED' | 'REJECTED' | 'FAILED';

export type EscalationStatus = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED' | 'CLOSED';

export type CaseStatus = 'OPEN' | 'CLOSED';

/** A staff member as the policy engine and routing see them. */
export interface StaffMember {
  id: string;
  wecomUserId: string;
  name: string;
  departmentId: string;
  roles: readonly string[];
  supervisorId: string | null;
  active: boolean;
}

export interface DepartmentNode {
  id: string;
  code: string;
  name: string;
  parentId: string | null;
  headId: string | null;
}

/** Everything assignee resolution needs to know about the organisation, loaded once and cached. */
export interface OrgSnapshot {
  staff: ReadonlyMap<string, StaffMember>;
  departments: ReadonlyMap<string, DepartmentNode>;
}

/** The case as policies see it (after validation and customer resolution). */
export interface CaseFacts {
  id: string;
  type: string;
  externalId: string;
  occurredAt: Date;
  closedAt: Date | null;
  departmentId: string | null;
  responsibleStaffId: string | null;
  /** Free-form attributes from the source system (severity, subjectStaffId, milestones …). */
  attributes: Readonly<Record<string, unknown>>;
  /** Named milestone instants (e.g. `handled`), from `attributes.milestones`. */
  milestones: Readonly<Record<string, Date>>;
}

export function parseRoles(roles: string): string[] {
  return roles
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
}
