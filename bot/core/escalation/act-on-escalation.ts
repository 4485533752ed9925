import { DomainError } from '../errors.js';
import { safeEmit } from '../events.js';
import type { CoreDeps } from '../deps.js';
import type { EscalationRecord, NewAuditEntry, NewOutboxMessage } from '../records.js';
import type { OrgSnapshot, StaffMember } from '../model.js';
import type { PlannedFollowUp } from '../policies/plan-follow-ups.js';
import { applyOffset, resolveRule, excludedStaffId } from '../policies/plan-follow-ups.js';
import { addWorkingHours } from '../policies/offsets.js';
import { contactRulesFor, dueWithinDeadline, keepMandatoryRules } from '../policies/contact-window.js';
import { formatLocalDateTime } from '../time.js';
import { chainOwners, escalationCard, escalationLink } from './open-escalation.js';
import { escalationRules, type EscalationReason } from './rules.js';
import { assertEscalationTransition } from './status.js';
import { staffOutbox } from '../outbox/staff-message.js';
import { renderText } from '../templates/render.js';
import { SECOND_FOLLOW_UP_STEP } from '../policies/find-step.js';

/** Step key of the second follow-up (二次回访) an escalation's resolution schedules. */
export const SECOND_FOLLOW_UP_PREFIX = 'esc2_';

export function secondFollowUpStep(escalationId: string): string {
  return `${SECOND_FOLLOW_UP_PREFIX}${escalationId}`;
}

export function isSecondFollowUpStep(step: string): boolean {
  return step.startsWith(SECOND_FOLLOW_UP_PREFIX);
}

/**
 * The update of the owner's card of the escalation's current level (`esc_<id>_<level>`, sent as
 * `esc:<id>:card:<level>`): with a tap's response_code, else the one WeCom returned with the card.
 */
export function cardUpdate(owner: StaffMember, e: Pick<EscalationRecord, 'id' | 'level' | 'followUpId'>, purpose: string, responseCode: string | null, replaceName: string, now: Date): NewOutboxMessage {
  return staffOutbox(
    owner,
    `esc:${e.id}:${e.level}:${purpose}`,
    { kind: 'card_update', taskId: `esc_${e.id}_${e.level}`, responseCode, replaceName, cardKey: `esc:${e.id}:card:${e.level}` },
    now,
    e.followUpId,
  );
}

/** Who may act on an escalation: its current owner, through a card or link of the current level. */
export interface EscalationActor {
  escalationId: string;
  /** The level the card or link was made for; an older level's card no longer acts. */
  level: number;
  /** The member acting (WeCom UserID from a card tap), or null when the signed link of the level identifies the owner. */
  wecomUserId: string | null;
  responseCode?: string | null;
  inboundEventId: string | null;
}

export type EscalationActionResult =
  | { status: 'acknowledged' | 'resolved'; escalationId: string; secondFollowUpId?: string }
  | { status: 'already_done'; escalationId: string; current: EscalationRecord['status'] };

/** Parses an escalation card button key `escack:<id>:<level>`; null for other keys. */
export function parseEscalationActionKey(key: string): { escalationId: string; level: number } | null {
  const m = /^escack:([0-9A-Za-z]+):(\d+)$/.exec(key);
  return m ? { escalationId: m[1]!, level: Number(m[2]) } : null;
}

async function loadForActor(deps: CoreDeps, actor: EscalationActor): Promise<{ e: EscalationRecord; owner: StaffMember; org: OrgSnapshot }> {
  const e = await deps.escalations.findEscalation(actor.escalationId);
  if (!e) throw new DomainError('UNKNOWN_ESCALATION', 'The card or link refers to no known escalation', { escalationId: actor.escalationId });
  if (actor.level < e.level) throw new DomainError('STALE_ESCALATION', 'This escalation has climbed to a higher level; the card or link of the earlier level no longer acts', { escalationId: e.id, level: e.level });
  const org = await deps.org.loadOrgSnapshot();
  const owner = org.staff.get(e.ownerId);
  if (!owner) throw new DomainError('UNKNOWN_STAFF', 'The escalation owner is unknown', {});
  if (actor.wecomUserId !== null && owner.wecomUserId !== actor.wecomUserId) {
    throw new DomainError('NOT_OWNER', 'Only the escalation owner can act on it', { escalationId: e.id });
  }
  return { e, owner, org };
}

/** The owner confirms they have taken it on (卡片「确认受理」 or the page). Once; later taps change nothing. */
export async function acknowledgeEscalation(deps: CoreDeps, actor: EscalationActor): Promise<EscalationActionResult> {
  const { e, owner } = await loadForActor(deps, actor);
  if (e.status !== 'OPEN') return { status: 'already_done', escalationId: e.id, current: e.status };
  assertEscalationTransition(e.status, 'ACKNOWLEDGED');
  const now = deps.clock.now();
  // The card follows, whether acknowledged on it (the tap's code) or on the page (the card's own code).
  const outbox: NewOutboxMessage[] = [cardUpdate(owner, e, 'ack-update', actor.responseCode ?? null, renderText(deps.templates.escalationCard.acknowledged, { owner: owner.name }), now)];
  const applied = await deps.escalations.updateEscalation({
    id: e.id,
    version: e.version,
    set: { status: 'ACKNOWLEDGED', acknowledgedAt: now, acknowledgedById: owner.id },
    outbox,
    audit: [{ at: now, actorType: 'STAFF', actorId: owner.id, action: 'escalation.acknowledged', entityType: 'Escalation', entityId: e.id, details: { level: e.level, via: actor.wecomUserId ? 'card' : 'page', inboundEventId: actor.inboundEventId } }],
  });
  if (!applied) return { status: 'already_done', escalationId: e.id, current: (await deps.escalations.findEscalation(e.id))?.status ?? e.status };
  safeEmit(deps.events, 'escalation:acknowledged', { escalationId: e.id, byStaffId: owner.id, at: now });
  return { status: 'acknowledged', escalationId: e.id };
}

/**
 * The owner records how it was handled (a note is required). Resolution schedules the second
 * follow-up (二次回访) to the customer; that follow-up's outcome closes the escalation.
 */
export async function resolveEscalation(deps: CoreDeps, actor: EscalationActor & { note: string }): Promise<EscalationActionResult> {
  const note = actor.note.trim();
  if (note.length < 2) throw new DomainError('NOTE_REQUIRED', 'A resolution needs a note saying what was done', {});
  if (note.length > 1000) throw new DomainError('NOTE_TOO_LONG', 'The note is limited to 1000 characters', {});
  const { e, owner, org } = await loadForActor(deps, actor);
  if (e.status !== 'OPEN' && e.status !== 'ACKNOWLEDGED') return { status: 'already_done', escalationId: e.id, current: e.status };
  const now = deps.clock.now();
  const kase = await deps.cases.findCaseById(e.caseId);
  if (!kase) throw new DomainError('UNKNOWN_CASE', 'The escalation refers to no known case', {});
  const policy = deps.policies.byId(kase.policyId);
  const rules = escalationRules(policy);
  const time = { timeZone: deps.timeZone, calendar: deps.calendar };
  // From office hours on a working day (the resolution may be recorded late at night); the deadline counts
  // from there, a deadline in days ending that day at 23:59, like the packs' steps. The call is due in the
  // policy's contact windows — unless none is left before the deadline: the deadline wins, as for the
  // packs' steps (mandatory rules move both, templates/policies/README.md "联系时段").
  const earliestAt = addWorkingHours(applyOffset(now, rules.secondFollowUp.after, time), 0, time);
  const deadlineUnit = rules.secondFollowUp.deadline.unit;
  const contact = contactRulesFor(policy, secondFollowUpStep(e.id));
  let deadlineAt = applyOffset(earliestAt, rules.secondFollowUp.deadline, time, deadlineUnit === 'hours' || deadlineUnit === 'working_hours' ? undefined : '23:59');
  let dueAt = dueWithinDeadline(earliestAt, deadlineAt, contact, time);
  if (contact?.mandatory) ({ dueAt, deadlineAt } = keepMandatoryRules(earliestAt, deadlineAt, contact, time));
  const excluded = [excludedStaffId(kase)].filter((x): x is string => !!x);
  let assignee: StaffMember | null = null;
  let assigneeRule: string | null = null;
  for (const rule of rules.secondFollowUp.assignee) {
    assignee = resolveRule(rule, kase, org, excluded);
    if (assignee) {
      assigneeRule = rule;
      break;
    }
  }
  // Nobody else can call the customer back: the owner who resolved it does.
  if (!assignee) {
    assignee = owner;
    assigneeRule = 'escalation_owner';
  }
  const secondId = deps.ids.next();
  const planned: PlannedFollowUp = {
    step: secondFollowUpStep(e.id),
    sequence: 1000,
    title: SECOND_FOLLOW_UP_STEP.title,
    action: 'STAFF_TASK',
    channel: 'wecom',
    earliestAt,
    dueAt,
    deadlineAt,
    assigneeId: assignee.id,
    assigneeRule,
    maxAttempts: 3,
    instructions: SECOND_FOLLOW_UP_STEP.instructions,
    surveyKey: null,
    sampling: { kept: true, reason: 'second follow-up after an escalation', rate: 1 },
  };
  const applied = await deps.escalations.updateEscalation({
    id: e.id,
    version: e.version,
    set: {
      status: 'RESOLVED',
      // The incident is over: a later trigger of its family opens a new escalation.
      incidentKey: null,
      resolvedAt: now,
      resolvedById: owner.id,
      note,
      secondFollowUpId: secondId,
      ...(e.acknowledgedAt ? {} : { acknowledgedAt: now, acknowledgedById: owner.id }),
    },
    secondFollowUp: { ...planned, id: secondId, caseId: kase.id, customerId: kase.customerId, policyId: kase.policyId },
    // Resolved on its page or in the console: its card keeps no live 确认受理 button.
    outbox: [cardUpdate(owner, e, 'resolved-update', null, renderText(deps.templates.escalationCard.resolved, { owner: owner.name }), now)],
    audit: [
      { at: now, actorType: 'STAFF', actorId: owner.id, action: 'escalation.resolved', entityType: 'Escalation', entityId: e.id, details: { level: e.level, note, secondFollowUpId: secondId, secondFollowUpDueAt: dueAt.toISOString(), inboundEventId: actor.inboundEventId } },
    ],
  });
  if (!applied) return { status: 'already_done', escalationId: e.id, current: (await deps.escalations.findEscalation(e.id))?.status ?? e.status };
  safeEmit(deps.events, 'escalation:resolved', { escalationId: e.id, byStaffId: owner.id, secondFollowUpId: secondId, at: now });
  return { status: 'resolved', escalationId: e.id, secondFollowUpId: secondId };
}

export interface ClimbSummary {
  due: number;
  climbed: number;
  breached: number;
  skipped: number;
}

/**
 * Escalations past their deadline climb one level: the next person of the chain becomes the owner
 * with a new deadline and a card, and the previous owner is told. At the top of the chain the
 * escalation is marked breached and its owner told once. Reconciles "everything due as of now", so
 * missed or repeated ticks are harmless; two replicas climb each escalation once (compare-and-set).
 */
export async function climbEscalations(deps: CoreDeps, options: { batchSize?: number; maxBatches?: number } = {}): Promise<ClimbSummary> {
  const batchSize = options.batchSize ?? 200;
  const summary: ClimbSummary = { due: 0, climbed: 0, breached: 0, skipped: 0 };
  const org = await deps.org.loadOrgSnapshot();
  for (let batch = 0; batch < (options.maxBatches ?? 50); batch++) {
    const now = deps.clock.now();
    const due = await deps.escalations.listDueEscalations(now, batchSize);
    if (due.length === 0) break;
    summary.due += due.length;
    let progressed = 0;
    for (const e of due) {
      const result = await climbOne(deps, org, e, now);
      summary[result]++;
      if (result !== 'skipped') progressed++;
    }
    if (due.length < batchSize || progressed === 0) break;
  }
  return summary;
}

async function climbOne(deps: CoreDeps, org: OrgSnapshot, e: EscalationRecord, now: Date): Promise<'climbed' | 'breached' | 'skipped'> {
  const kase = await deps.cases.findCaseById(e.caseId);
  if (!kase) return 'skipped';
  const ctx = e.followUpId ? await deps.followUps.findFollowUpContext(e.followUpId) : null;
  const customer = ctx?.customer ?? null;
  const rules = escalationRules(deps.policies.byId(kase.policyId));
  const owners = chainOwners(rules, kase, org, [ctx?.followUp.assigneeId ?? null]);
  const next = owners.slice(e.level).find((o) => o.id !== e.ownerId) ?? null;
  const previous = org.staff.get(e.ownerId);
  const reason = deps.templates.labels.escalationReasons[e.reason as EscalationReason] ?? e.reason;
  const time = { timeZone: deps.timeZone, calendar: deps.calendar };
  const outbox: NewOutboxMessage[] = [];
  const audit: NewAuditEntry[] = [];
  if (!next) {
    if (previous) {
      const text = renderText(deps.templates.escalationBreached.text, {
        reason,
        customer: customer?.name ?? kase.externalId,
        deadline: formatLocalDateTime(e.deadlineAt, deps.timeZone),
        link: await escalationLink(deps, e.id, e.level),
      });
      outbox.push(staffOutbox(previous, `esc:${e.id}:breached`, { kind: 'staff_text', text }, now, e.followUpId));
    }
    audit.push({ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.breached', entityType: 'Escalation', entityId: e.id, details: { level: e.level, ownerId: e.ownerId, deadlineAt: e.deadlineAt.toISOString() } });
    const applied = await deps.escalations.updateEscalation({ id: e.id, version: e.version, set: { breachedAt: now }, outbox, audit });
    if (!applied) return 'skipped';
    safeEmit(deps.events, 'escalation:breached', { escalationId: e.id, level: e.level, ownerId: e.ownerId, at: now });
    return 'breached';
  }
  const level = e.level + 1;
  const deadlineAt = applyOffset(now, rules.climbAfter, time);
  const card = await escalationCard(deps, { id: e.id, level, reason: e.reason, severity: e.severity, summary: e.summary, deadlineAt }, customer ?? { name: kase.externalId, phoneMasked: null }, {
    climbed: { previousOwner: previous?.name ?? null },
  });
  outbox.push(staffOutbox(next, `esc:${e.id}:card:${level}`, { kind: 'task_card', card }, now, e.followUpId));
  if (previous) {
    const text = renderText(deps.templates.escalationClimbed.text, {
      reason,
      customer: customer?.name ?? kase.externalId,
      deadline: formatLocalDateTime(e.deadlineAt, deps.timeZone),
      level,
      owner: next.name,
    });
    outbox.push(staffOutbox(previous, `esc:${e.id}:climbed:${level}`, { kind: 'staff_text', text }, now, e.followUpId));
  }
  audit.push({ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.climbed', entityType: 'Escalation', entityId: e.id, details: { fromLevel: e.level, toLevel: level, fromOwnerId: e.ownerId, toOwnerId: next.id, deadlineAt: deadlineAt.toISOString() } });
  const applied = await deps.escalations.updateEscalation({
    id: e.id,
    version: e.version,
    // A new owner has to take it on: an acknowledged escalation is open again at the new level.
    set: { level, ownerId: next.id, deadlineAt, status: 'OPEN' },
    outbox,
    audit,
  });
  if (!applied) return 'skipped';
  safeEmit(deps.events, 'escalation:climbed', { escalationId: e.id, fromLevel: e.level, toLevel: level, ownerId: next.id, deadlineAt, at: now });
  return 'climbed';
}
