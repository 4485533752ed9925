import type { EscalationEvidenceRecord, EscalationRecord, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../records.js';
import type { PlannedFollowUp } from '../policies/plan-follow-ups.js';

/** A change to one escalation, applied with compare-and-set on its version. */
export interface EscalationChange {
  id: string;
  version: number;
  set: Partial<Pick<EscalationRecord, 'level' | 'ownerId' | 'deadlineAt' | 'status' | 'acknowledgedAt' | 'acknowledgedById' | 'resolvedAt' | 'resolvedById' | 'note' | 'secondFollowUpId' | 'breachedAt' | 'closedAt' | 'incidentKey'>>;
  /** The second follow-up to create with the change (resolution). */
  secondFollowUp?: (PlannedFollowUp & { id: string; caseId: string; customerId: string; policyId: string }) | null;
  outbox: NewOutboxMessage[];
  audit: NewAuditEntry[];
}

/** Escalations: opening, climbing, acknowledging and resolving, with their audit trail. */
export interface EscalationStore {
  findEscalation(id: string): Promise<EscalationRecord | null>;
  /** OPEN or ACKNOWLEDGED escalations past their deadline and not yet breached, earliest deadline first. */
  listDueEscalations(now: Date, limit: number): Promise<EscalationRecord[]>;
  /** Applies a change atomically; false when the escalation changed meanwhile (another replica, a double tap). */
  updateEscalation(change: EscalationChange): Promise<boolean>;
  /** Opens escalations with their notices; one per source key (a replay opens nothing). Returns the source keys of those that were new. */
  openEscalations(items: { escalation: NewEscalation; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[]): Promise<string[]>;
  /** Escalations the staff member owns that are OPEN or ACKNOWLEDGED, earliest deadline first. */
  listOpenEscalationsOfOwner(staffId: string, limit: number): Promise<EscalationRecord[]>;
  /** The OPEN or ACKNOWLEDGED escalation of an incident (bot/core/escalation/incident.ts), if any. */
  findOpenEscalationOfIncident(incidentKey: string): Promise<EscalationRecord | null>;
  /** The evidence of an escalation (its first trigger included), oldest first. */
  listEscalationEvidence(id: string): Promise<EscalationEvidenceRecord[]>;
  /** The escalation's audit trail, oldest first: who saw, who acted, when. */
  escalationHistory(id: string): Promise<{ at: Date; action: string; actorId: string | null; details: Record<string, unknown> }[]>;
}
