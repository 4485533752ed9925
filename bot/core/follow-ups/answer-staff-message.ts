import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import { addLocalDays, atLocalTime, formatLocalDateTime } from '../time.js';
import { findStep } from '../policies/find-step.js';
import type { EscalationReason } from '../escalation/rules.js';
import { renderText } from '../templates/render.js';
import type { CaseRecord } from '../records.js';

export interface StaffMessage {
  wecomUserId: string;
  text: string;
  /** The provider's message id; the reply is sent once per message. */
  messageId: string;
}

const LIST_ALL = /^(我的任务|我的回访|任务|待办|list|tasks?)$/i;
const LIST_TODAY = /^(今日回访|今天|今日|today)$/i;

/**
 * Answers a staff member's message to the app: 我的任务 lists their open follow-ups (pushed,
 * overdue, and due within the next 7 days), 今日回访 those due by the end of today; anything else
 * gets a short help text. Open escalations the member owns are listed after the follow-ups. The reply goes through the outbox, keyed by the incoming message id.
 */
export async function answerStaffMessage(deps: CoreDeps, message: StaffMessage): Promise<{ status: 'replied'; listed: number }> {
  const staff = await deps.org.findStaffByWecomUserId(message.wecomUserId);
  if (!staff) throw new DomainError('UNKNOWN_STAFF', 'Message from an unknown member', {});
  const now = deps.clock.now();
  const command = message.text.trim();
  const t = deps.templates.taskListReply;
  let text: string;
  let listed = 0;
  if (LIST_ALL.test(command) || LIST_TODAY.test(command)) {
    const today = LIST_TODAY.test(command);
    const horizon = today ? addLocalDays(atLocalTime(now, '00:00', deps.timeZone), 1, deps.timeZone) : addLocalDays(now, 7, deps.timeZone);
    const items = await deps.followUps.listOpenForAssignee(staff.id, horizon, 20);
    listed = items.length;
    const title = today ? t.titleToday : t.titleAll;
    if (items.length === 0) text = renderText(t.empty, { title });
    else {
      const lines = items.map((ctx, i) => {
        const f = ctx.followUp;
        const step = findStep(deps.policies.byId(f.policyId), f.step);
        return renderText(t.item, {
          n: i + 1,
          state: f.status === 'OVERDUE' || f.status === 'SCHEDULED' ? t.itemStates[f.status] : t.itemStates.ACTIVE,
          step: step?.title ?? f.step,
          customer: ctx.customer.salutation ?? ctx.customer.name,
          phone: ctx.customer.phoneMasked ?? '—',
          deadline: formatLocalDateTime(f.deadlineAt, deps.timeZone),
        });
      });
      text = `${renderText(t.header, { title, count: items.length })}\n${lines.join('\n')}`;
    }
    // Escalations the member owns come first in their day: listed under the follow-ups.
    const escalations = await deps.escalations.listOpenEscalationsOfOwner(staff.id, 10);
    if (escalations.length > 0) {
      // Each line names its customer as the follow-up lines do (salutation or name, masked phone).
      const cases = new Map<string, CaseRecord | null>();
      for (const e of escalations) if (!cases.has(e.caseId)) cases.set(e.caseId, await deps.cases.findCaseById(e.caseId));
      const customers = await deps.customers.findCustomersByIds([...new Set([...cases.values()].flatMap((c) => (c ? [c.customerId] : [])))]);
      const lines = escalations.map((e, i) => {
        const kase = cases.get(e.caseId) ?? null;
        const customer = kase ? customers.get(kase.customerId) : undefined;
        return renderText(t.escalationItem, {
          n: i + 1,
          state: e.status === 'ACKNOWLEDGED' ? t.escalationStates.ACKNOWLEDGED : t.escalationStates.OPEN,
          reason: deps.templates.labels.escalationReasons[e.reason as EscalationReason] ?? e.reason,
          customer: customer ? (customer.salutation ?? customer.name) : (kase?.externalId ?? '—'),
          phone: customer?.phoneMasked ?? deps.templates.labels.noPhone,
          level: e.level,
          deadline: formatLocalDateTime(e.deadlineAt, deps.timeZone),
        });
      });
      text += `\n\n${renderText(t.escalationsHeader, { count: escalations.length })}\n${lines.join('\n')}`;
    }
  } else {
    text = t.help;
  }
  await deps.outbox.enqueue([
    {
      idempotencyKey: `reply:${message.messageId}`,
      channel: 'wecom',
      recipientType: 'staff',
      recipientId: staff.id,
      followUpId: null,
      nextAttemptAt: now,
      message: { kind: 'staff_text', to: { staffId: staff.id, wecomUserId: message.wecomUserId }, text },
    },
  ]);
  return { status: 'replied', listed };
}
