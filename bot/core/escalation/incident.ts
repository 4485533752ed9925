import type { EscalationReason } from './rules.js';

/**
 * One incident, one escalation. Triggers of the same family about the same case, while an escalation
 * of that family is open (OPEN or ACKNOWLEDGED), are one incident: the first opens the escalation and
 * each later one is added to it as evidence (its card is updated, no second card is sent). The
 * dissatisfaction family joins 不满意 answers and complaint words (DISSATISFIED, COMPLAINT): a nurse's
 * 不满意 tap on her call, the patient's SMS reply 「不满意，护士态度差」 and a survey-page answer about the
 * same discharge are one incident, although the call and the survey are two follow-ups of the case.
 * Every other reason is a family of its own. Once the escalation is resolved the incident is over, and
 * the next trigger opens a new escalation.
 */
export function incidentKey(caseId: string, reason: EscalationReason): string {
  return `${caseId}:${incidentFamily(reason)}`;
}

/** The trigger family of an escalation reason (see {@link incidentKey}). */
export function incidentFamily(reason: EscalationReason): string {
  return reason === 'DISSATISFIED' || reason === 'COMPLAINT' ? 'dissatisfaction' : reason.toLowerCase();
}
