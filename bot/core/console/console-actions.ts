/**
 * What people do in the console, as use cases: reassign follow-ups (one by one, in bulk, or a whole
 * leave handover), reassign an escalation, record an opt-out or an opt-in, reveal a customer's phone
 * number (not auditors). Each checks the person's role and scope first, acts through the ports, and is audited with
 * who acted (`actorId`: the staff member, or the console account without one).
 */
import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import type { NewAuditEntry } from '../records.js';
import type { ConsoleViews } from '../ports/console-views.js';
import type { RateCounters } from '../ports/console-auth.js';
import { staffInScope, type ConsoleAccess, type ConsoleScope } from './access.js';
import { formatLocalDateTime, startOfLocalDay } from '../time.js';
import { staffOutbox } from '../outbox/staff-message.js';
import { escalationLink } from '../escalation/open-escalation.js';
import { renderText } from '../templates/render.js';

export interface ConsoleActionDeps extends Pick<CoreDeps, 'clock' | 'ids' | 'timeZone' | 'templates' | 'org' | 'followUps' | 'escalations' | 'customers' | 'audit' | 'optOutScope' | 'links' | 'publicBaseUrl'> {
  consoleViews: ConsoleViews;
  rateCounters: RateCounters;
  /** Full numbers one person may reveal a day. */
  revealsPerDay: number;
}

/** The audit actor of a console action. */
function actor(access: ConsoleAccess): Pick<NewAuditEntry, 'actorType' | 'actorId'> {
  return access.staffId ? { actorType: 'STAFF', actorId: access.staffId } : { actorType: 'CONSOLE', actorId: access.account.id };
}

function requireWrite(access: ConsoleAccess): void {
  if (!access.canWrite) throw new DomainError('READ_ONLY', 'This account may look but not change anything', {});
}

function requireManager(access: ConsoleAccess): void {
  requireWrite(access);
  if (access.role !== 'admin' && access.role !== 'manager') throw new DomainError('FORBIDDEN', 'Only a department head, a manager or an administrator may reassign work', {});
}

/**
 * Gives open follow-ups to another staff member: those listed (`followUpIds`), or every open one of
 * `fromStaffId` (a leave handover). Only follow-ups and people inside the person's scope. A task whose
 * card was already pushed gets a new card for the new assignee (the old one is refused as stale).
 * The audit entry names the new responsible person, the previous one, and who acted.
 */
export async function reassignFollowUps(
  deps: ConsoleActionDeps,
  access: ConsoleAccess,
  input: { followUpIds?: readonly string[]; fromStaffId?: string; toStaffId: string; reason: 'reassign' | 'handover'; note?: string | null },
): Promise<{ moved: number; skipped: number }> {
  requireManager(access);
  const org = await deps.org.loadOrgSnapshot();
  const to = org.staff.get(input.toStaffId);
  if (!to || !to.active || !staffInScope(access.scope, org, to.id)) throw new DomainError('UNKNOWN_STAFF', 'The new assignee is not an active staff member of your departments', {});
  if (input.fromStaffId && !staffInScope(access.scope, org, input.fromStaffId)) throw new DomainError('UNKNOWN_STAFF', 'That staff member is not in your departments', {});
  const rows = input.followUpIds
    ? await deps.consoleViews.openFollowUpsByIds(access.scope, input.followUpIds)
    : input.fromStaffId
      ? await deps.consoleViews.openFollowUpsOfAssignee(access.scope, input.fromStaffId)
      : [];
  const now = deps.clock.now();
  const items = rows
    .filter((r) => r.assigneeId !== to.id)
    .map((r) => ({
      followUpId: r.id,
      version: r.version,
      assigneeId: to.id,
      reactivate: r.action === 'STAFF_TASK' && r.status !== 'SCHEDULED',
      audit: {
        at: now,
        ...actor(access),
        action: input.reason === 'handover' ? 'follow_up.handed_over' : 'follow_up.reassigned',
        entityType: 'FollowUp',
        entityId: r.id,
        details: { from: r.assigneeId, to: to.id, responsibleId: to.id, actedBy: access.account.id, note: input.note ?? null },
      } satisfies NewAuditEntry,
    }));
  const moved = await deps.followUps.reassignFollowUps(items, now);
  const requested = input.followUpIds?.length ?? rows.length;
  return { moved: moved.length, skipped: requested - moved.length };
}

/**
 * Gives an escalation to another person of the scope (or to oneself); the new owner gets a WeCom
 * message with the escalation's link, and acts on it there or in the console.
 */
export async function reassignEscalation(deps: ConsoleActionDeps, access: ConsoleAccess, input: { escalationId: string; toStaffId: string; note: string | null }): Promise<'reassigned' | 'unchanged'> {
  requireManager(access);
  const row = await deps.consoleViews.escalation(access.scope, input.escalationId);
  if (!row) throw new DomainError('UNKNOWN_ESCALATION', 'No such escalation in your departments', {});
  if (row.status !== 'OPEN' && row.status !== 'ACKNOWLEDGED') throw new DomainError('ESCALATION_CLOSED', 'This escalation has been handled already', {});
  const org = await deps.org.loadOrgSnapshot();
  const to = org.staff.get(input.toStaffId);
  if (!to || !to.active || !staffInScope(access.scope, org, to.id)) throw new DomainError('UNKNOWN_STAFF', 'The new owner is not an active staff member of your departments', {});
  if (to.id === row.ownerId) return 'unchanged';
  const now = deps.clock.now();
  const link = await escalationLink(deps, row.id, row.level);
  const text = renderText(deps.templates.escalationHandover.text, {
    customer: row.customerName,
    phone: row.customerPhone ?? deps.templates.labels.noPhone,
    deadline: formatLocalDateTime(row.deadlineAt, deps.timeZone),
    link,
  });
  const applied = await deps.escalations.updateEscalation({
    id: row.id,
    version: row.version,
    set: { ownerId: to.id, status: 'OPEN', acknowledgedAt: null, acknowledgedById: null },
    outbox: [staffOutbox(to, `esc:${row.id}:${row.level}:handover:${to.id}:${now.getTime()}`, { kind: 'staff_text', text }, now, row.followUpId)],
    audit: [
      {
        at: now,
        ...actor(access),
        action: 'escalation.reassigned',
        entityType: 'Escalation',
        entityId: row.id,
        details: { fromOwnerId: row.ownerId, toOwnerId: to.id, actedBy: access.account.id, note: input.note },
      },
    ],
  });
  if (!applied) throw new DomainError('STALE_ESCALATION', 'The escalation changed meanwhile; reload and try again', {});
  return 'reassigned';
}

/** Records a customer's opt-out or opt-in taken down by staff, with its reason (required). */
export async function recordConsent(
  deps: ConsoleActionDeps,
  access: ConsoleAccess,
  input: { customerId: string; change: 'opt_out' | 'opt_in'; reason: string; consentMarketing?: boolean },
): Promise<void> {
  requireWrite(access);
  const reason = input.reason.trim();
  if (reason.length < 2) throw new DomainError('REASON_REQUIRED', 'Say why (who asked, how)', {});
  if (reason.length > 500) throw new DomainError('REASON_TOO_LONG', 'The reason is limited to 500 characters', {});
  const customer = await deps.consoleViews.customer(access.scope, input.customerId);
  if (!customer) throw new DomainError('UNKNOWN_CUSTOMER', 'No such customer in your departments', {});
  const now = deps.clock.now();
  const audit: NewAuditEntry = {
    at: now,
    ...actor(access),
    action: input.change === 'opt_out' ? 'customer.opted_out' : 'customer.opted_in',
    entityType: 'Customer',
    entityId: customer.id,
    details: { reason, source: 'console', actedBy: access.account.id, ...(input.consentMarketing === undefined ? {} : { consentMarketing: input.consentMarketing }) },
  };
  if (input.change === 'opt_out') await deps.customers.optOutCustomer(customer.id, now, 'console', audit, deps.optOutScope ?? 'all');
  else await deps.customers.optInCustomer(customer.id, { survey: true, ...(input.consentMarketing === undefined ? {} : { marketing: input.consentMarketing }) }, audit);
}

/**
 * The customer's full phone number, for a person who must call them (查看号码 / 拨打 in the console):
 * the shared audited reveal (`revealCustomerPhone`) with the console account as actor and its scope.
 * Auditors are refused.
 */
export async function revealPhone(deps: ConsoleActionDeps, access: ConsoleAccess, input: { customerId: string; purpose: 'view' | 'call' }): Promise<{ phone: string; remainingToday: number }> {
  // Auditors review what others did; they never call customers, so they see masked numbers only.
  if (access.role === 'auditor') throw new DomainError('FORBIDDEN', 'Auditors see masked numbers only', {});
  return revealCustomerPhone(deps, { actor: actor(access), scope: access.scope, staffId: access.staffId, accountId: access.account.id, via: 'console' }, input);
}

/** Who asks for a full number, and where. */
export interface PhoneRevealer {
  actor: Pick<NewAuditEntry, 'actorType' | 'actorId'>;
  /** The customer must be inside this scope (a console person's scope; the assignee's own tasks on a 详情 form). */
  scope: ConsoleScope;
  /** The staff member behind the request: the daily limit is theirs, in the console and on 详情 forms alike. */
  staffId: string | null;
  /** The console account, for an account without a staff member (its own allowance). */
  accountId: string | null;
  via: 'console' | 'staff_form';
}

/** The key of a person's daily reveal counter: one per staff member wherever they ask, else per console account. */
export function revealCounterKey(who: Pick<PhoneRevealer, 'staffId' | 'accountId'>): string {
  return who.staffId ? `reveal:staff:${who.staffId}` : `reveal:${who.accountId ?? 'unknown'}`;
}

/**
 * The one audited number reveal behind the console's 查看号码 / 拨打 and the 详情 form's 拨打: the
 * customer must be in the revealer's scope; each reveal counts against one daily allowance per staff
 * member (`HUIFANG_CONSOLE_REVEALS_PER_DAY`, local day) and is audited (`customer.phone_revealed`:
 * who, whose number, when, why, where; a reveal for a task's call also names the follow-up and its
 * activation — the pending call the form records next). Over the limit: `REVEAL_LIMIT`, audited as
 * refused. The number itself is never written to the audit log.
 */
export async function revealCustomerPhone(
  deps: Pick<ConsoleActionDeps, 'clock' | 'timeZone' | 'audit' | 'consoleViews' | 'rateCounters' | 'revealsPerDay'>,
  who: PhoneRevealer,
  input: { customerId: string; purpose: 'view' | 'call'; followUp?: { id: string; activation: number } },
): Promise<{ phone: string; remainingToday: number }> {
  const phone = await deps.consoleViews.customerPhone(who.scope, input.customerId);
  if (!phone) throw new DomainError('UNKNOWN_CUSTOMER', 'No such customer with a phone number in your departments', {});
  const now = deps.clock.now();
  const used = await deps.rateCounters.hit(revealCounterKey(who), startOfLocalDay(now, deps.timeZone));
  const base = { at: now, ...who.actor, entityType: 'Customer', entityId: input.customerId } as const;
  const where = { via: who.via, ...(input.followUp ? { followUpId: input.followUp.id, activation: input.followUp.activation } : {}) };
  if (used > deps.revealsPerDay) {
    await deps.audit.record({ ...base, action: 'customer.phone_reveal_refused', details: { purpose: input.purpose, limit: deps.revealsPerDay, ...where } });
    throw new DomainError('REVEAL_LIMIT', `The daily limit of ${deps.revealsPerDay} number reveals is reached`, { limit: deps.revealsPerDay });
  }
  await deps.audit.record({ ...base, action: 'customer.phone_revealed', details: { purpose: input.purpose, ...(who.accountId ? { actedBy: who.accountId } : {}), ...where } });
  return { phone, remainingToday: deps.revealsPerDay - used };
}

/** Audits that a person opened a page showing a customer (every console view of a customer is recorded). */
export async function recordCustomerView(deps: Pick<ConsoleActionDeps, 'clock' | 'audit'>, access: ConsoleAccess, customerId: string, page: string): Promise<void> {
  await deps.audit.record({ at: deps.clock.now(), ...actor(access), action: 'customer.viewed', entityType: 'Customer', entityId: customerId, details: { page, actedBy: access.account.id } });
}
