import type { CoreDeps, FollowUpContext, NewEscalation, NewOutboxMessage } from '../ports.js';
import type { OrgSnapshot } from '../model.js';
import { applyOffset, excludedStaffId, resolveRule } from '../policies/plan-follow-ups.js';
import { formatLocalDateTime } from '../time.js';
import { renderTemplate } from '../templates/render.js';
import { findStep } from '../policies/find-step.js';

/**
 * First escalation rule: a dissatisfied answer goes to the first resolvable person of the policy's
 * `escalation.dissatisfiedTo` chain (the responsible person's supervisor, then the department head …),
 * never to the person complained about nor to the staff member who recorded it. One escalation per
 * follow-up (`sourceKey`), so a replayed answer escalates once.
 */
export function planDissatisfiedEscalation(
  deps: Pick<CoreDeps, 'policies' | 'timeZone' | 'templates' | 'calendar'>,
  ctx: FollowUpContext,
  org: OrgSnapshot,
  now: Date,
  detail: { note: string | null; recordedByStaffId: string | null },
): { escalation: NewEscalation; outbox: NewOutboxMessage } | null {
  const policy = deps.policies.byId(ctx.followUp.policyId);
  if (!policy) return null;
  const facts = ctx.case;
  const excluded = excludedStaffId(facts);
  let owner = null;
  for (const rule of policy.escalation.dissatisfiedTo) {
    const candidate = resolveRule(rule, facts, org, excluded);
    if (candidate && candidate.id !== detail.recordedByStaffId) {
      owner = candidate;
      break;
    }
  }
  if (!owner) return null;
  const deadlineAt = applyOffset(now, policy.escalation.deadline, { timeZone: deps.timeZone, calendar: deps.calendar });
  const step = findStep(policy, ctx.followUp.step);
  const assignee = ctx.followUp.assigneeId ? org.staff.get(ctx.followUp.assigneeId) : undefined;
  const text = renderTemplate(deps.templates.escalationNotice.text, {
    reason: '客户不满意',
    customer: ctx.customer.name,
    phone: ctx.customer.phoneMasked ?? '—',
    step: step?.title ?? ctx.followUp.step,
    staff: assignee?.name ?? '客户自评',
    deadline: formatLocalDateTime(deadlineAt, deps.timeZone),
    note: detail.note ? `说明：${detail.note}` : '',
  });
  const sourceKey = `dissatisfied:${ctx.followUp.id}`;
  return {
    escalation: {
      sourceKey,
      caseId: ctx.case.id,
      followUpId: ctx.followUp.id,
      reason: 'DISSATISFIED',
      level: 1,
      ownerId: owner.id,
      summary: text,
      deadlineAt,
    },
    outbox: {
      idempotencyKey: `esc:${sourceKey}:1`,
      channel: 'wecom',
      recipientType: 'staff',
      recipientId: owner.id,
      followUpId: ctx.followUp.id,
      nextAttemptAt: now,
      message: { kind: 'staff_text', to: { staffId: owner.id, wecomUserId: owner.wecomUserId }, text },
    },
  };
}
