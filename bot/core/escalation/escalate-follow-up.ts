import type { CoreDeps } from '../deps.js';
import type { CaseRecord, CustomerRecord, FollowUpContext, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../records.js';
import type { OrgSnapshot } from '../model.js';
import type { AnswerEscalation } from './escalate-dissatisfied.js';
import { emitEscalationOpened, planEscalation, type EscalationPlanDeps } from './open-escalation.js';
import { escalationRules } from './rules.js';
import { applyOffset } from '../policies/plan-follow-ups.js';
import { findStep } from '../policies/find-step.js';
import { formatLocalDateTime } from '../time.js';
import { staffOutbox } from '../outbox/staff-message.js';
import { renderText } from '../templates/render.js';

type EscalationDeps = EscalationPlanDeps;

/** A staff task ended unreachable after the policy's attempts: the customer could not be reached. */
export async function planUnreachableEscalation(deps: EscalationDeps, ctx: FollowUpContext, org: OrgSnapshot, now: Date): Promise<AnswerEscalation> {
  const planned = await planEscalation(deps, org, now, {
    reason: 'UNREACHABLE',
    sourceKey: `unreachable:${ctx.followUp.id}`,
    case: ctx.case,
    customer: ctx.customer,
    followUp: ctx.followUp,
    note: renderText(deps.templates.escalationNotice.unreachableNote, { attempts: ctx.followUp.maxAttempts }),
    exclude: [ctx.followUp.assigneeId],
    source: 'staff',
  });
  return planned.kind === 'opened' ? { escalation: planned.escalation, outbox: planned.outbox, audit: planned.audit } : { escalation: null, outbox: [], audit: planned.audit };
}

/** A nurse reported a suspicious medical condition during the follow-up (卡片「病情异常」). */
export async function planMedicalConcernEscalation(deps: EscalationDeps, ctx: FollowUpContext, org: OrgSnapshot, now: Date, note: string | null): Promise<AnswerEscalation> {
  const planned = await planEscalation(deps, org, now, {
    reason: 'MEDICAL_CONCERN',
    sourceKey: `medical:${ctx.followUp.id}`,
    case: ctx.case,
    customer: ctx.customer,
    followUp: ctx.followUp,
    note: note ?? deps.templates.escalationNotice.medicalConcernNote,
    exclude: [],
    source: 'staff',
  });
  return planned.kind === 'opened' ? { escalation: planned.escalation, outbox: planned.outbox, audit: planned.audit } : { escalation: null, outbox: [], audit: planned.audit };
}

export interface OverdueSummary {
  overdue: number;
  escalated: number;
  skipped: number;
}

/**
 * Staff tasks past their deadline become OVERDUE and escalate: the owner from the policy's chain
 * (never the assignee whose task it is) gets a card, and the assignee is told. One escalation per
 * card (`overdue:<followUpId>:<n>`); compare-and-set on the follow-up's version, so repeated ticks
 * and two replicas mark and escalate each task once.
 */
export async function markOverdueFollowUps(deps: CoreDeps, options: { batchSize?: number; maxBatches?: number } = {}): Promise<OverdueSummary> {
  const batchSize = options.batchSize ?? 200;
  const summary: OverdueSummary = { overdue: 0, escalated: 0, skipped: 0 };
  const org = await deps.org.loadOrgSnapshot();
  for (let batch = 0; batch < (options.maxBatches ?? 50); batch++) {
    const now = deps.clock.now();
    const due = await deps.staffTasks.listNewlyOverdue(now, batchSize);
    if (due.length === 0) break;
    const items = [];
    const opened = new Map<string, NewEscalation & { id: string }>();
    // Escalations this batch opens, by incident: a second overdue task of the same case joins the first
    // as evidence (the store keeps one open escalation per incident, and nothing is stored yet to find).
    const openedByIncident = new Map<string, NewEscalation & { id: string }>();
    for (const ctx of due) {
      let planned = await planEscalation(deps, org, now, {
        reason: 'OVERDUE',
        sourceKey: `overdue:${ctx.followUp.id}:${ctx.followUp.activations}`,
        case: ctx.case,
        customer: ctx.customer,
        followUp: ctx.followUp,
        note: null,
        exclude: [ctx.followUp.assigneeId],
        source: 'system',
      });
      if (planned.kind === 'opened' && !planned.escalation.addTo && planned.escalation.incidentKey) {
        const first = openedByIncident.get(planned.escalation.incidentKey);
        if (first) {
          planned = {
            kind: 'opened',
            escalation: { ...first, addTo: first.id, evidence: planned.escalation.evidence },
            outbox: [],
            audit: [{ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.evidence_added', entityType: 'Escalation', entityId: first.id, details: { reason: 'OVERDUE', source: 'system', sourceKey: planned.escalation.sourceKey, followUpId: ctx.followUp.id } }],
          };
        } else openedByIncident.set(planned.escalation.incidentKey, planned.escalation);
      }
      const outbox: NewOutboxMessage[] = [];
      const audit: NewAuditEntry[] = [
        { at: now, actorType: 'SYSTEM', actorId: null, action: 'follow_up.overdue', entityType: 'FollowUp', entityId: ctx.followUp.id, details: { deadlineAt: ctx.followUp.deadlineAt.toISOString(), assigneeId: ctx.followUp.assigneeId } },
      ];
      const assignee = ctx.followUp.assigneeId ? org.staff.get(ctx.followUp.assigneeId) : undefined;
      if (assignee) outbox.push(overdueNotice(deps, ctx, assignee, now));
      if (planned.kind === 'opened') {
        outbox.push(...planned.outbox);
        opened.set(ctx.followUp.id, planned.escalation);
      }
      audit.push(...planned.audit);
      items.push({ followUpId: ctx.followUp.id, version: ctx.followUp.version, now, escalation: planned.kind === 'opened' ? planned.escalation : null, outbox, audit });
    }
    const { applied, skipped } = await deps.staffTasks.commitOverdue(items);
    summary.overdue += applied.length;
    summary.skipped += skipped;
    for (const a of applied) {
      const escalation = opened.get(a.followUpId);
      if (!a.escalationOpened || !escalation || escalation.addTo) continue;
      summary.escalated++;
      emitEscalationOpened(deps, escalation, now);
    }
    if (due.length < batchSize || applied.length === 0) break;
  }
  return summary;
}

function overdueNotice(deps: Pick<CoreDeps, 'policies' | 'timeZone' | 'templates'>, ctx: FollowUpContext, assignee: { id: string; wecomUserId: string }, now: Date): NewOutboxMessage {
  const step = findStep(deps.policies.byId(ctx.followUp.policyId), ctx.followUp.step);
  const text = renderText(deps.templates.overdueNotice.text, {
    step: step?.title ?? ctx.followUp.step,
    customer: ctx.customer.salutation ?? ctx.customer.name,
    phone: ctx.customer.phoneMasked ?? deps.templates.labels.noPhone,
    deadline: formatLocalDateTime(ctx.followUp.deadlineAt, deps.timeZone),
  });
  return staffOutbox(assignee, `fu:${ctx.followUp.id}:${ctx.followUp.activations}:overdue`, { kind: 'staff_text', text }, now, ctx.followUp.id);
}

/**
 * What counts as "the same complaint or repair again" for a new case under its policy: the earlier cases
 * of the customer to look at (type, since) and which of them count; null when the policy does not
 * escalate repeats of this case type. Shared by {@link escalateRepeatedComplaint} and the batch
 * submission, which looks up the recent cases of a whole batch at once.
 */
export function repeatedCaseRule(
  deps: Pick<CoreDeps, 'policies' | 'timeZone'>,
  kase: Pick<CaseRecord, 'policyId' | 'type' | 'attributes' | 'occurredAt'>,
): { since: Date; threshold: number; isRepair: boolean; subject: string | null; counts(c: Pick<CaseRecord, 'attributes' | 'occurredAt'>): boolean } | null {
  const policy = deps.policies.byId(kase.policyId);
  const rules = escalationRules(policy);
  if (!rules.triggers.REPEATED_COMPLAINT) return null;
  const isRepair = rules.repeated.repairCaseTypes.includes(kase.type);
  const isComplaint = rules.repeated.complaintCaseTypes.includes(kase.type);
  if (!isRepair && !isComplaint) return null;
  const subjectOf = (c: Pick<CaseRecord, 'attributes'>) => {
    const v = c.attributes[rules.repeated.subjectAttribute];
    return typeof v === 'string' || typeof v === 'number' ? String(v).trim() : null;
  };
  const subject = subjectOf(kase);
  const since = applyOffset(kase.occurredAt, { ...rules.repeated.within, amount: -rules.repeated.within.amount, unit: rules.repeated.within.unit === 'working_days' || rules.repeated.within.unit === 'working_hours' ? 'days' : rules.repeated.within.unit }, deps.timeZone);
  return {
    since,
    threshold: isRepair ? rules.repeated.sameRepair : rules.repeated.sameSubject,
    isRepair,
    subject,
    counts: (c) => c.occurredAt.getTime() <= kase.occurredAt.getTime() && (subject === null ? isRepair : subjectOf(c) === subject),
  };
}

/**
 * A new complaint or repair from a customer who had the same one recently: the same subject
 * `sameSubject` times (complaints) or the same repair `sameRepair` times within the window escalates
 * at once, before any follow-up. One escalation per case (`repeat:<caseId>`).
 */
export async function escalateRepeatedComplaint(deps: CoreDeps, kase: CaseRecord, customer: CustomerRecord): Promise<{ escalated: boolean; count: number }> {
  const rule = repeatedCaseRule(deps, kase);
  if (!rule) return { escalated: false, count: 0 };
  const { since, threshold, isRepair, subject } = rule;
  const recent = await deps.cases.listRecentCasesOfCustomer(customer.id, [kase.type], since);
  const same = recent.filter(rule.counts);
  if (same.length < threshold) return { escalated: false, count: same.length };
  const org = await deps.org.loadOrgSnapshot();
  const now = deps.clock.now();
  const planned = await planEscalation(deps, org, now, {
    reason: 'REPEATED_COMPLAINT',
    sourceKey: `repeat:${kase.id}`,
    case: kase,
    customer,
    followUp: null,
    note: renderText(isRepair ? deps.templates.escalationNotice.repeatedRepairNote : deps.templates.escalationNotice.repeatedComplaintNote, { count: same.length, subject: subject ?? kase.type }),
    exclude: [],
    source: 'system',
  });
  // Nobody eligible in the chain: reported to the caller (the case submission audits it).
  if (planned.kind !== 'opened') return { escalated: false, count: same.length };
  const opened = await deps.escalations.openEscalations([{ escalation: planned.escalation, outbox: planned.outbox, audit: planned.audit }]);
  if (opened.length > 0) emitEscalationOpened(deps, planned.escalation, now);
  return { escalated: opened.length > 0, count: same.length };
}
