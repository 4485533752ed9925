/**
 * 拨打 on a staff task's 详情 form: the assignee taps it, the customer's full number is revealed through
 * the console's audited reveal (same allowance per staff member and day, same audit entry), and the
 * call is pending on that activation of the follow-up until the form is next submitted, which records
 * it as answered (已接通…) or not (未接通, one unreachable attempt, exactly as the card's button).
 * docs/staff-form.md describes the whole flow.
 */
import { DomainError } from '../errors.js';
import type { ConsoleActionDeps } from '../console/console-actions.js';
import { revealCustomerPhone } from '../console/console-actions.js';

type CallDeps = Pick<ConsoleActionDeps, 'clock' | 'timeZone' | 'audit' | 'consoleViews' | 'rateCounters' | 'revealsPerDay' | 'followUps'>;

/**
 * Reveals the number for a call on activation n of a follow-up, as its assignee (whose signed form
 * link this is). Refused for a follow-up no longer open on that activation (`STALE_CARD`), without an
 * assignee (`NOT_ASSIGNEE`), for a customer who opted out or died (`DO_NOT_CONTACT`), without a phone
 * (`UNKNOWN_CUSTOMER`), or over the daily limit (`REVEAL_LIMIT`).
 */
export async function startStaffCall(deps: CallDeps, input: { followUpId: string; activation: number }): Promise<{ phone: string; remainingToday: number }> {
  const ctx = await deps.followUps.findFollowUpContext(input.followUpId);
  if (!ctx) throw new DomainError('UNKNOWN_TASK', 'The form refers to no known follow-up', { followUpId: input.followUpId });
  const fu = ctx.followUp;
  if (input.activation !== fu.activations || (fu.status !== 'ACTIVE' && fu.status !== 'OVERDUE')) {
    throw new DomainError('STALE_CARD', 'This form is not the open activation of the follow-up', { followUpId: fu.id });
  }
  if (!fu.assigneeId) throw new DomainError('NOT_ASSIGNEE', 'The follow-up has no assignee', { followUpId: fu.id });
  // Never contact an opted-out customer (nor a deceased one), even by a call from the form.
  if (ctx.customer.optedOutAt || ctx.customer.deceasedAt) throw new DomainError('DO_NOT_CONTACT', 'The customer may not be contacted', { followUpId: fu.id });
  return revealCustomerPhone(
    deps,
    { actor: { actorType: 'STAFF', actorId: fu.assigneeId }, scope: { kind: 'own', staffId: fu.assigneeId }, staffId: fu.assigneeId, accountId: null, via: 'staff_form' },
    { customerId: ctx.customer.id, purpose: 'call', followUp: { id: fu.id, activation: input.activation } },
  );
}

/**
 * When the number was last revealed for a call from this activation's form (the pending call the next
 * submission records), or null when no call was started from the form.
 */
export async function pendingStaffCall(deps: Pick<ConsoleActionDeps, 'consoleViews'>, input: { followUpId: string; activation: number; customerId: string }): Promise<Date | null> {
  const rows = await deps.consoleViews.listAudit({ action: 'customer.phone_revealed', entityType: 'Customer', entityId: input.customerId, page: 1, pageSize: 100 });
  const call = rows.items.find((r) => r.details.via === 'staff_form' && r.details.followUpId === input.followUpId && r.details.activation === input.activation);
  return call?.at ?? null;
}
