import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import type { InboundHandler } from '../core/inbox/process-inbound.js';
import { recordStaffOutcome } from '../core/follow-ups/record-staff-outcome.js';
import { fallBackFailedWechatInvite } from '../core/surveys/fall-back-unopened-surveys.js';
import { acknowledgeEscalation, parseEscalationActionKey, resolveEscalation } from '../core/escalation/act-on-escalation.js';
import { recordSmsReply } from '../core/surveys/record-sms-reply.js';
import { submitWebSurvey } from '../core/surveys/submit-web-survey.js';
import { recordStaffForm } from '../core/follow-ups/record-staff-form.js';
import { answerStaffMessage } from '../core/follow-ups/answer-staff-message.js';
import { recordDeliveryReport } from '../core/sms/record-delivery-report.js';

/**
 * Inbound event kinds and their payloads. Edges (WeCom callback, Tencent SMS callback, the sandbox)
 * parse their wire formats into these; each handler validates the payload and calls one use case.
 */
export const staffCardActionPayload = z.object({
  wecomUserId: z.string().min(1),
  taskId: z.string().min(1),
  actionKey: z.string().min(1),
  responseCode: z.string().nullable(),
});
export type StaffCardActionPayload = z.infer<typeof staffCardActionPayload>;

export const smsReplyPayload = z.object({
  phoneE164: z.string().regex(/^\+\d{6,15}$/),
  text: z.string().max(1000),
  receivedAt: z.string().datetime(),
  /** The SMS extend code the customer replied to (the survey's reply code), when the provider gives one. */
  replyCode: z.string().max(32).nullable().optional(),
  /** The reply came back on another signature of the provider account: not an answer to us. */
  foreignSignature: z.boolean().optional(),
});
export type SmsReplyPayload = z.infer<typeof smsReplyPayload>;

/** A delivery report for a sent SMS (Tencent status callback or pull). */
export const smsStatusPayload = z.object({
  providerMessageId: z.string().min(1).max(128),
  idempotencyKey: z.string().max(512).nullable(),
  phoneE164: z.string().max(20),
  status: z.enum(['DELIVERED', 'FAILED']),
  reportCode: z.string().max(200).nullable(),
  description: z.string().max(500).nullable(),
  userReceivedAt: z.string().datetime().nullable(),
  invalidNumber: z.boolean(),
});
export type SmsStatusPayload = z.infer<typeof smsStatusPayload>;

export const staffMessagePayload = z.object({ wecomUserId: z.string().min(1), text: z.string().max(2048), msgId: z.string().min(1) });

/** Form fields as submitted (`q_<question key>` → one value, or several for checkboxes). */
const formAnswers = z.record(z.union([z.string().max(4000), z.array(z.string().max(200)).max(50)]));

export const surveySubmitPayload = z.union([
  z.object({ token: z.string().min(16).max(64), answers: formAnswers, receivedAt: z.string().datetime() }),
  // Events recorded by the earlier 1–5-only page (satisfaction-5): the same answers, older shape.
  z.object({ token: z.string().min(16).max(64), score: z.number().int().min(1).max(5), comment: z.string().max(500).nullable(), receivedAt: z.string().datetime() }),
]);
export type SurveySubmitPayload = z.infer<typeof surveySubmitPayload>;

/** The staff 详情 form of activation n of a follow-up (dedupe key `staff_form:<followUpId>_<n>`). */
export const staffFormPayload = z.object({
  followUpId: z.string().min(1).max(64),
  activation: z.number().int().min(1),
  action: z.enum(['satisfied', 'dissatisfied', 'unreachable', 'reschedule']),
  rescheduleTo: z.string().datetime().nullable(),
  note: z.string().max(1000).nullable(),
  answers: formAnswers,
  receivedAt: z.string().datetime(),
  /** When the form's 拨打 revealed the number for this activation; absent or null without a call. */
  calledAt: z.string().datetime().nullable().optional(),
});
export type StaffFormPayload = z.infer<typeof staffFormPayload>;

function parsePayload<T>(schema: z.ZodType<T>, payload: unknown): T {
  const result = schema.safeParse(payload);
  if (!result.success) throw new DomainError('MALFORMED_EVENT', 'Inbound event payload is malformed', { issues: result.error.issues.length });
  return result.data;
}

/** The escalation page's form (`/e/:signed`): acknowledge, or resolve with a note. */
export const escalationActionPayload = z.object({
  escalationId: z.string().min(1).max(64),
  level: z.number().int().min(1).max(20),
  action: z.enum(['acknowledge', 'resolve']),
  note: z.string().max(1000).nullable(),
});

/** A WeChat template-message delivery result (TEMPLATESENDJOBFINISH). */
export const wechatTemplateStatusPayload = z.object({
  msgId: z.string().regex(/^\d{1,20}$/),
  status: z.string().min(1).max(200),
  createTime: z.string().regex(/^\d{1,12}$/).nullable(),
});

export const inboundHandlers: Readonly<Record<string, InboundHandler>> = {
  staff_card_action: async (deps, event) => {
    const p = parsePayload(staffCardActionPayload, event.payload);
    const escalationAction = parseEscalationActionKey(p.actionKey);
    if (escalationAction) {
      return acknowledgeEscalation(deps, { ...escalationAction, wecomUserId: p.wecomUserId, responseCode: p.responseCode, inboundEventId: event.id });
    }
    return recordStaffOutcome(deps, { wecomUserId: p.wecomUserId, actionKey: p.actionKey, responseCode: p.responseCode, inboundEventId: event.id });
  },
  staff_message: async (deps, event) => {
    const p = parsePayload(staffMessagePayload, event.payload);
    return answerStaffMessage(deps, { wecomUserId: p.wecomUserId, text: p.text, messageId: p.msgId });
  },
  survey_submit: async (deps, event) => {
    const p = parsePayload(surveySubmitPayload, event.payload);
    const answers = 'answers' in p ? p.answers : { q_overall: String(p.score), ...(p.comment ? { q_comment: p.comment } : {}) };
    return submitWebSurvey(deps, { token: p.token, answers, receivedAt: new Date(p.receivedAt), inboundEventId: event.id });
  },
  staff_form_submit: async (deps, event) => {
    const p = parsePayload(staffFormPayload, event.payload);
    return recordStaffForm(deps, {
      followUpId: p.followUpId,
      activation: p.activation,
      action: p.action,
      rescheduleTo: p.rescheduleTo ? new Date(p.rescheduleTo) : null,
      note: p.note,
      answers: p.answers,
      receivedAt: new Date(p.receivedAt),
      inboundEventId: event.id,
      calledAt: p.calledAt ? new Date(p.calledAt) : null,
    });
  },
  sms_reply: async (deps, event) => {
    const p = parsePayload(smsReplyPayload, event.payload);
    return recordSmsReply(deps, { phoneE164: p.phoneE164, text: p.text, receivedAt: new Date(p.receivedAt), inboundEventId: event.id, replyCode: p.replyCode ?? null, foreignSignature: p.foreignSignature ?? false });
  },
  sms_status: async (deps, event) => {
    const p = parsePayload(smsStatusPayload, event.payload);
    return { ...(await recordDeliveryReport(deps, {
      providerMessageId: p.providerMessageId,
      idempotencyKey: p.idempotencyKey,
      status: p.status,
      reportCode: p.reportCode,
      description: p.description,
      userReceivedAt: p.userReceivedAt ? new Date(p.userReceivedAt) : null,
      receivedAt: event.receivedAt,
      invalidNumber: p.invalidNumber,
    })) };
  },
  escalation_action: async (deps, event) => {
    const p = parsePayload(escalationActionPayload, event.payload);
    const actor = { escalationId: p.escalationId, level: p.level, wecomUserId: null, inboundEventId: event.id };
    return p.action === 'acknowledge' ? acknowledgeEscalation(deps, actor) : resolveEscalation(deps, { ...actor, note: p.note ?? '' });
  },
  wechat_template_status: async (deps, event) => {
    const p = parsePayload(wechatTemplateStatusPayload, event.payload);
    // 'success' is delivered; any other status ("failed:user block", "failed: system failed") is a failure.
    const delivered = p.status === 'success';
    const result = await deps.outbox.recordDeliveryReport({
      providerMessageId: p.msgId,
      idempotencyKey: null,
      status: delivered ? 'DELIVERED' : 'FAILED',
      error: delivered ? null : p.status.slice(0, 200),
      at: p.createTime ? new Date(Number(p.createTime) * 1000) : event.receivedAt,
      invalidNumber: false,
    });
    if (!result.found) throw new DomainError('UNKNOWN_MESSAGE', 'Delivery result for a WeChat message this service did not send', { msgId: p.msgId });
    // An undelivered survey invitation goes on the next channel of its chain at once (not after the step's wait).
    const fallback = delivered ? null : await fallBackFailedWechatInvite(deps, result.outboxId, p.status);
    return { status: 'recorded', outboxId: result.outboxId, deliveryStatus: delivered ? 'DELIVERED' : 'FAILED', ...(fallback ? { smsFallback: fallback } : {}) };
  },
};
