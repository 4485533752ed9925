import type { CoreDeps } from '../deps.js';
import type { FollowUpContext, NewAuditEntry, NewOutboxMessage } from '../records.js';
import type { Offset } from '../policies/types.js';
import { atLocalTime, formatLocalDateTime, toLocal, addLocalDays } from '../time.js';
import { findStep } from '../policies/find-step.js';
import { staffOutbox } from '../outbox/staff-message.js';
import { renderText } from '../templates/render.js';

/** Staff are reminded between 08:00 and 21:00 local time only. */
const DAYTIME = { from: 8, to: 21 } as const;
/** No reminder when the task was pushed less than this before its reminder time would be. */
const MIN_GAP_MS = 30 * 60_000;

/**
 * When an unanswered task card gets its reminder: `before` the deadline when the policy says so,
 * otherwise a quarter of the time between the push and the deadline before it (at least two hours),
 * moved earlier into daytime (08:00–21:00 local) so nobody is woken. Null when there is no sensible
 * time: the card was pushed too close to its deadline, or the policy turns reminders off.
 */
export function planReminderAt(
  activatedAt: Date,
  deadlineAt: Date,
  rule: { before?: Offset; enabled?: boolean } | undefined,
  timeZone: string,
): Date | null {
  if (rule?.enabled === false) return null;
  const window = deadlineAt.getTime() - activatedAt.getTime();
  if (window <= 0) return null;
  let leadMs: number;
  if (rule?.before) {
    const unitMs = rule.before.unit === 'hours' ? 3_600_000 : 86_400_000;
    leadMs = rule.before.amount * unitMs;
  } else {
    leadMs = Math.max(2 * 3_600_000, window / 4);
  }
  let at = new Date(deadlineAt.getTime() - leadMs);
  const local = toLocal(at, timeZone);
  if (local.hour < DAYTIME.from) at = atLocalTime(addLocalDays(at, -1, timeZone), `${DAYTIME.to - 1}:00`, timeZone);
  else if (local.hour >= DAYTIME.to) at = atLocalTime(at, `${DAYTIME.to - 1}:00`, timeZone);
  if (at.getTime() < activatedAt.getTime() + MIN_GAP_MS) return null;
  return at;
}

export interface ReminderSummary {
  due: number;
  sent: number;
}

/**
 * Sends the reminders that are due: a WeCom text to the assignee of each task card still unanswered
 * at its reminder time. Clearing the reminder time and enqueueing the text commit together (outbox
 * key `remind:<followUpId>:<n>`), so repeated ticks and two replicas remind once per card.
 */
export async function sendDueReminders(deps: CoreDeps, options: { batchSize?: number; maxBatches?: number } = {}): Promise<ReminderSummary> {
  const batchSize = options.batchSize ?? 200;
  const summary: ReminderSummary = { due: 0, sent: 0 };
  const org = await deps.org.loadOrgSnapshot();
  for (let batch = 0; batch < (options.maxBatches ?? 50); batch++) {
    const now = deps.clock.now();
    const due = await deps.staffTasks.listDueReminders(now, batchSize);
    if (due.length === 0) break;
    summary.due += due.length;
    const items: { followUpId: string; outbox: NewOutboxMessage[]; audit: NewAuditEntry }[] = [];
    for (const ctx of due) {
      const assignee = ctx.followUp.assigneeId ? org.staff.get(ctx.followUp.assigneeId) : undefined;
      const audit: NewAuditEntry = { at: now, actorType: 'SYSTEM', actorId: null, action: 'follow_up.reminded', entityType: 'FollowUp', entityId: ctx.followUp.id, details: { assigneeId: assignee?.id ?? null, activation: ctx.followUp.activations } };
      items.push({ followUpId: ctx.followUp.id, outbox: assignee?.active ? [reminderMessage(deps, ctx, assignee, now)] : [], audit });
    }
    const sent = await deps.staffTasks.commitReminders(items);
    summary.sent += sent;
    if (due.length < batchSize || sent === 0) break;
  }
  return summary;
}

function reminderMessage(deps: Pick<CoreDeps, 'policies' | 'timeZone' | 'templates'>, ctx: FollowUpContext, assignee: { id: string; wecomUserId: string }, now: Date): NewOutboxMessage {
  const step = findStep(deps.policies.byId(ctx.followUp.policyId), ctx.followUp.step);
  const text = renderText(deps.templates.reminder.text, {
    step: step?.title ?? ctx.followUp.step,
    customer: ctx.customer.salutation ?? ctx.customer.name,
    phone: ctx.customer.phoneMasked ?? deps.templates.labels.noPhone,
    deadline: formatLocalDateTime(ctx.followUp.deadlineAt, deps.timeZone),
  });
  return staffOutbox(assignee, `remind:${ctx.followUp.id}:${ctx.followUp.activations}`, { kind: 'staff_text', text }, now, ctx.followUp.id);
}
