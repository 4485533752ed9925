import type { CoreDeps } from '../deps.js';
import type { CaseRecord, CustomerRecord, EscalationRecord, FollowUpRecord, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../records.js';
import type { OrgSnapshot, StaffMember } from '../model.js';
import type { TaskCard } from '../messages.js';
import { applyOffset, excludedStaffId, resolveRule } from '../policies/plan-follow-ups.js';
import { formatLocalDateTime } from '../time.js';
import { renderText } from '../templates/render.js';
import { findStep } from '../policies/find-step.js';
import { escalationRules, type EscalationReason, type EscalationRules, type Severity } from './rules.js';
import { staffOutbox } from '../outbox/staff-message.js';
import { safeEmit } from '../events.js';
import { incidentKey } from './incident.js';

/** What happened, and to whom, that may need a manager. */
export interface EscalationTrigger {
  reason: EscalationReason;
  /** One escalation per source (`dissatisfied:<followUpId>`, `overdue:<followUpId>:<n>` …): replays open nothing. */
  sourceKey: string;
  case: CaseRecord;
  customer: CustomerRecord;
  followUp: FollowUpRecord | null;
  /** The customer's words or the staff member's note. */
  note: string | null;
  /** Staff who must not own it: the person whose work is in question, the one who reported it. */
  exclude: readonly (string | null)[];
  /** Where the trigger came from, kept with its evidence: a staff member's card or form, the customer's SMS or survey page, or Huifang itself. */
  source: 'staff' | 'sms' | 'web' | 'system';
}

export type PlannedEscalation =
  | { kind: 'opened'; escalation: NewEscalation & { id: string }; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }
  | { kind: 'unassigned'; audit: NewAuditEntry[] };

/** Emits `escalation:opened` for an escalation the store has just opened (nothing for evidence added to an open one). */
export function emitEscalationOpened(deps: Pick<CoreDeps, 'events'>, escalation: NewEscalation & { id: string }, at: Date): void {
  if (escalation.addTo) return;
  safeEmit(deps.events, 'escalation:opened', {
    escalationId: escalation.id,
    caseId: escalation.caseId,
    reason: escalation.reason,
    level: escalation.level,
    ownerId: escalation.ownerId,
    deadlineAt: escalation.deadlineAt,
    at,
  });
}

/**
 * The people of an escalation chain, level by level: level n is the n-th distinct active person the
 * chain's rules resolve to, never the person complained about nor anyone excluded.
 */
export function chainOwners(rules: Pick<EscalationRules, 'chain'>, facts: CaseRecord, org: OrgSnapshot, exclude: readonly (string | null)[]): StaffMember[] {
  const excluded = [excludedStaffId(facts), ...exclude].filter((x): x is string => !!x);
  const owners: StaffMember[] = [];
  for (const rule of rules.chain) {
    const candidate = resolveRule(rule, facts, org, [...excluded, ...owners.map((o) => o.id)]);
    if (candidate) owners.push(candidate);
  }
  return owners;
}

/** The excluded staff of an escalation: from its source (audit details) as recorded when it opened. */
export function severityOf(rules: EscalationRules, reason: EscalationReason): Severity {
  return rules.severity[reason];
}

/** What planning an escalation reads. */
export type EscalationPlanDeps = Pick<CoreDeps, 'policies' | 'timeZone' | 'templates' | 'calendar' | 'ids' | 'links' | 'publicBaseUrl' | 'escalations'>;

/**
 * Plans an escalation: its owner at the level the severity starts at, its deadline, a WeCom card
 * for the owner (acknowledge button, link to the page where it is resolved with a note) and the
 * audit entries. When nobody in the chain is eligible the result says so, and the caller audits it
 * rather than let the event vanish. When an escalation of the same incident is open (see
 * bot/core/escalation/incident.ts) nothing is opened: the trigger becomes its evidence (`addTo`) and
 * its owner's card is updated. The store keeps one open escalation per incident (unique incident key):
 * of two triggers racing to open one, the second fails and is retried by the inbox, then added.
 */
export async function planEscalation(
  deps: EscalationPlanDeps,
  org: OrgSnapshot,
  now: Date,
  trigger: EscalationTrigger,
): Promise<PlannedEscalation> {
  const policy = deps.policies.byId(trigger.case.policyId);
  const rules = escalationRules(policy);
  const entity = trigger.followUp ? { entityType: 'FollowUp', entityId: trigger.followUp.id } : { entityType: 'Case', entityId: trigger.case.id };
  if (!rules.triggers[trigger.reason]) {
    return { kind: 'unassigned', audit: [] };
  }
  const incident = incidentKey(trigger.case.id, trigger.reason);
  const evidence = { sourceKey: trigger.sourceKey, reason: trigger.reason, followUpId: trigger.followUp?.id ?? null, source: trigger.source, note: trigger.note, at: now };
  const open = await deps.escalations.findOpenEscalationOfIncident(incident);
  if (open) {
    const known = await deps.escalations.listEscalationEvidence(open.id);
    const count = known.some((k) => k.sourceKey === trigger.sourceKey) ? known.length : known.length + 1;
    const owner = org.staff.get(open.ownerId);
    const graver = await raiseForGraverReport(deps, org, now, rules, open, trigger);
    return {
      kind: 'opened',
      escalation: {
        id: open.id,
        sourceKey: open.sourceKey,
        caseId: open.caseId,
        followUpId: open.followUpId,
        reason: open.reason,
        severity: graver?.raise.severity ?? open.severity,
        level: graver?.raise.level ?? open.level,
        ownerId: graver?.raise.ownerId ?? open.ownerId,
        summary: open.summary,
        deadlineAt: graver?.raise.deadlineAt ?? open.deadlineAt,
        incidentKey: incident,
        evidence,
        addTo: open.id,
        raise: graver?.raise ?? null,
      },
      // The owner's card, updated rather than repeated: its button says how many reports it now holds.
      // A graver report that raised the level also gives the new owner the card of that level.
      outbox: [
        ...(owner
          ? [
              staffOutbox(
                owner,
                `esc:${open.id}:evidence:${trigger.sourceKey}`,
                { kind: 'card_update', taskId: `esc_${open.id}_${open.level}`, responseCode: null, replaceName: renderText(deps.templates.escalationCard.evidenceAdded, { count }), cardKey: `esc:${open.id}:card:${open.level}` },
                now,
                trigger.followUp?.id ?? null,
              ),
            ]
          : []),
        ...(graver?.outbox ?? []),
      ],
      audit: [
        { at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.evidence_added', entityType: 'Escalation', entityId: open.id, details: { reason: trigger.reason, source: trigger.source, sourceKey: trigger.sourceKey, followUpId: trigger.followUp?.id ?? null, count } },
        { at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.evidence_added', ...entity, details: { escalationId: open.id, reason: trigger.reason } },
        ...(graver?.audit ?? []),
      ],
    };
  }
  const owners = chainOwners(rules, trigger.case, org, trigger.exclude);
  if (owners.length === 0) {
    return {
      kind: 'unassigned',
      audit: [{ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.unassigned', ...entity, details: { reason: trigger.reason, why: 'NO_ELIGIBLE_OWNER', sourceKey: trigger.sourceKey } }],
    };
  }
  const severity = severityOf(rules, trigger.reason);
  const level = Math.min(Math.max(1, rules.startLevel[severity]), owners.length);
  const owner = owners[level - 1]!;
  const deadlineAt = applyOffset(now, level === 1 ? rules.deadline : rules.climbAfter, { timeZone: deps.timeZone, calendar: deps.calendar });
  const id = deps.ids.next();
  const summary = escalationSummary(deps, org, trigger, deadlineAt);
  const escalation = {
    id,
    sourceKey: trigger.sourceKey,
    caseId: trigger.case.id,
    followUpId: trigger.followUp?.id ?? null,
    reason: trigger.reason,
    severity,
    level,
    ownerId: owner.id,
    summary,
    deadlineAt,
    incidentKey: incident,
    evidence,
    mergeCardText: deps.templates.escalationCard.evidenceAdded,
  };
  const card = await escalationCard(deps, { id, level, reason: trigger.reason, severity, summary, deadlineAt }, trigger.customer);
  return {
    kind: 'opened',
    escalation,
    outbox: [staffOutbox(owner, `esc:${id}:card:${level}`, { kind: 'task_card', card }, now, trigger.followUp?.id ?? null)],
    audit: [
      { at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.opened', entityType: 'Escalation', entityId: id, details: { reason: trigger.reason, severity, level, ownerId: owner.id, sourceKey: trigger.sourceKey, exclude: trigger.exclude.filter(Boolean), deadlineAt: deadlineAt.toISOString() } },
      { at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.opened', ...entity, details: { escalationId: id, reason: trigger.reason, ownerId: owner.id } },
    ],
  };
}

const SEVERITY_RANK: Readonly<Record<string, number>> = { normal: 0, high: 1, critical: 2 };

/**
 * A report graver than the escalation it joins (a 投诉 complaint after a 不满意): the escalation takes the
 * severity, and the level, that the ladder gives the graver report alone — never lower than it is. A
 * higher level means a new owner, who gets the card of that level, and a new deadline, and the previous
 * owner is told why (audited `escalation.climbed`, so subscribers hear of it); the same level only changes the severity
 * (`escalation.severity_raised`). Null when the report is not graver.
 */
async function raiseForGraverReport(
  deps: EscalationPlanDeps,
  org: OrgSnapshot,
  now: Date,
  rules: EscalationRules,
  open: EscalationRecord,
  trigger: EscalationTrigger,
): Promise<{ raise: NonNullable<NewEscalation['raise']>; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] } | null> {
  const severity = severityOf(rules, trigger.reason);
  if ((SEVERITY_RANK[severity] ?? 0) <= (SEVERITY_RANK[open.severity] ?? 0)) return null;
  const owners = chainOwners(rules, trigger.case, org, trigger.exclude);
  const wanted = Math.min(Math.max(1, rules.startLevel[severity]), owners.length);
  const next = wanted > open.level ? owners[wanted - 1] : undefined;
  if (!next || next.id === open.ownerId) {
    return {
      raise: { fromLevel: open.level, severity, level: open.level, ownerId: open.ownerId, deadlineAt: open.deadlineAt },
      outbox: [],
      audit: [{ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.severity_raised', entityType: 'Escalation', entityId: open.id, details: { from: open.severity, to: severity, reason: trigger.reason, sourceKey: trigger.sourceKey } }],
    };
  }
  const level = wanted;
  const deadlineAt = applyOffset(now, rules.climbAfter, { timeZone: deps.timeZone, calendar: deps.calendar });
  const previous = org.staff.get(open.ownerId);
  // The card of the level, as if opened there: nobody missed a deadline.
  const card = await escalationCard(deps, { id: open.id, level, reason: open.reason, severity, summary: open.summary, deadlineAt }, trigger.customer);
  const outbox = [staffOutbox(next, `esc:${open.id}:card:${level}`, { kind: 'task_card', card }, now, trigger.followUp?.id ?? null)];
  if (previous) {
    const text = renderText(deps.templates.escalationRaised.text, {
      reason: deps.templates.labels.escalationReasons[trigger.reason],
      customer: trigger.customer.name,
      level,
      owner: next.name,
    });
    outbox.push(staffOutbox(previous, `esc:${open.id}:climbed:${level}`, { kind: 'staff_text', text }, now, trigger.followUp?.id ?? null));
  }
  return {
    raise: { fromLevel: open.level, severity, level, ownerId: next.id, deadlineAt },
    outbox,
    audit: [
      {
        at: now,
        actorType: 'SYSTEM',
        actorId: null,
        action: 'escalation.climbed',
        entityType: 'Escalation',
        entityId: open.id,
        details: { fromLevel: open.level, toLevel: level, fromOwnerId: open.ownerId, toOwnerId: next.id, deadlineAt: deadlineAt.toISOString(), why: 'GRAVER_REPORT', reason: trigger.reason, fromSeverity: open.severity, severity },
      },
    ],
  };
}

function escalationSummary(deps: Pick<CoreDeps, 'policies' | 'timeZone' | 'templates'>, org: OrgSnapshot, trigger: EscalationTrigger, deadlineAt: Date): string {
  const step = trigger.followUp ? findStep(deps.policies.byId(trigger.followUp.policyId), trigger.followUp.step) : undefined;
  const assignee = trigger.followUp?.assigneeId ? org.staff.get(trigger.followUp.assigneeId) : undefined;
  const t = deps.templates.escalationNotice;
  return renderText(t.text, {
    reason: deps.templates.labels.escalationReasons[trigger.reason],
    customer: trigger.customer.name,
    phone: trigger.customer.phoneMasked ?? '—',
    step: step?.title ?? trigger.followUp?.step ?? trigger.case.type,
    staff: assignee?.name ?? (trigger.followUp?.action === 'CUSTOMER_SURVEY' ? t.surveyStaff : '—'),
    deadline: formatLocalDateTime(deadlineAt, deps.timeZone),
    note: trigger.note ? renderText(t.noteLine, { note: trigger.note }) : '',
  }).replace(/\n{2,}/g, '\n');
}

/**
 * The owner's WeCom card: what happened, by when, an acknowledge button and the page to resolve it.
 * After a climb (`climbed`) its description says that the previous owner let the deadline pass.
 */
export async function escalationCard(
  deps: Pick<CoreDeps, 'timeZone' | 'links' | 'publicBaseUrl' | 'templates'>,
  e: Pick<EscalationRecord, 'id' | 'level' | 'summary' | 'deadlineAt' | 'severity'> & { reason: string },
  customer: Pick<CustomerRecord, 'name' | 'phoneMasked'>,
  options: { climbed?: { previousOwner: string | null } } = {},
): Promise<TaskCard> {
  const t = deps.templates.escalationCard;
  const labels = deps.templates.labels;
  const vars = {
    reason: labels.escalationReasons[e.reason as EscalationReason] ?? e.reason,
    customer: customer.name,
    phone: customer.phoneMasked ?? '—',
    level: e.level,
    severity: labels.severities[e.severity as Severity] ?? e.severity,
    deadline: formatLocalDateTime(e.deadlineAt, deps.timeZone),
  };
  const climbed = options.climbed;
  return {
    taskId: `esc_${e.id}_${e.level}`,
    source: t.source,
    title: renderText(t.title, vars),
    description: climbed ? renderText(t.climbedDescription, { ...vars, previous: climbed.previousOwner ?? t.previousUnknown }) : renderText(t.description, vars),
    subtitle: e.summary,
    fields: [
      { label: t.fields.customer, value: customer.name },
      { label: t.fields.phone, value: vars.phone },
      { label: t.fields.level, value: renderText(t.levelField, vars) },
    ],
    buttons: [{ key: `escack:${e.id}:${e.level}`, text: t.acknowledge, style: 1 }],
    detailUrl: await escalationLink(deps, e.id, e.level),
  };
}

/** The signed link to an escalation's page, for its owner at `level` (a link of an earlier level stops working after a climb). */
export async function escalationLink(deps: Pick<CoreDeps, 'links' | 'publicBaseUrl'>, id: string, level: number): Promise<string> {
  return `${deps.publicBaseUrl}/e/${await deps.links.sign('escalation', `${id}_${level}`)}`;
}
