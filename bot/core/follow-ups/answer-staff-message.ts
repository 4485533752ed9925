import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import { addLocalDays, atLocalTime, formatLocalDateTime } from '../time.js';
import { findStep } from '../policies/find-step.js';
import { REASON_LABELS, type EscalationReason } from '../escalation/rules.js';

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
  let text: string;
  let listed = 0;
  if (LIST_ALL.test(command) || LIST_TODAY.test(command)) {
    const today = LIST_TODAY.test(command);
    const horizon = today ? addLocalDays(atLocalTime(now, '00:00', deps.timeZone), 1, deps.timeZone) : addLocalDays(now, 7, deps.timeZone);
    const items = await deps.followUps.listOpenForAssignee(staff.id, horizon, 20);
    listed = items.length;
    const title = today ? '今日回访' : '我的回访任务';
    if (items.length === 0) text = `${title}：暂无待办回访。`;
    else {
      const lines = items.map((ctx, i) => {
        const f = ctx.followUp;
        const step = findStep(deps.policies.byId(f.policyId), f.step);
        const state = f.status === 'OVERDUE' ? '【已逾期】' : f.status === 'SCHEDULED' ? '【待推送】' : '';
        return `${i + 1}. ${state}${step?.title ?? f.step}｜${ctx.customer.salutation ?? ctx.customer.name}｜${ctx.customer.phoneMasked ?? '—'}｜截止 ${formatLocalDateTime(f.deadlineAt, deps.timeZone)}`;
      });
      text = `${title}（${items.length}项）：\n${lines.join('\n')}`;
    }
    // Escalations the member owns come first in their day: listed under the follow-ups.
    const escalations = await deps.escalations.listOpenEscalationsOfOwner(staff.id, 10);
    if (escalations.length > 0) {
      const lines = escalations.map(
        (e, i) => `${i + 1}. ${e.status === 'ACKNOWLEDGED' ? '【已受理】' : '【待受理】'}${REASON_LABELS[e.reason as EscalationReason] ?? e.reason}｜第${e.level}级｜截止 ${formatLocalDateTime(e.deadlineAt, deps.timeZone)}`,
      );
      text += `\n\n待处理的升级事项（${escalations.length}项，请在升级卡片的详情中处理）：\n${lines.join('\n')}`;
    }
  } else {
    text = '可发送：我的任务（查看待办回访）、今日回访（今天到期的回访）。回访结果请在任务卡片上点击记录。';
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
