import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import type { InboundHandler } from '../core/inbox/process-inbound.js';
import { recordStaffOutcome } from '../core/follow-ups/record-staff-outcome.js';
import { recordSmsReply } from '../core/surveys/record-sms-reply.js';
import { submitWebSurvey } from '../core/surveys/submit-web-survey.js';
import { answerStaffMessage } from '../core/follow-ups/answer-staff-message.js';

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
});
export type SmsReplyPayload = z.infer<typeof smsReplyPayload>;

export const staffMessagePayload = z.object({ wecomUserId: z.string().min(1), text: z.string().max(2048), msgId: z.string().min(1) });

export const surveySubmitPayload = z.object({
  token: z.string().min(16).max(64),
  score: z.number().int().min(1).max(5),
  comment: z.string().max(500).nullable(),
  receivedAt: z.string().datetime(),
});
export type SurveySubmitPayload = z.infer<typeof surveySubmitPayload>;

function parsePayload<T>(schema: z.ZodType<T>, payload: unknown): T {
  const result = schema.safeParse(payload);
  if (!result.success) throw new DomainError('MALFORMED_EVENT', 'Inbound event payload is malformed', { issues: result.error.issues.length });
  return result.data;
}

export const inboundHandlers: Readonly<Record<string, InboundHandler>> = {
  staff_card_action: async (deps, event) => {
    const p = parsePayload(staffCardActionPayload, event.payload);
    return recordStaffOutcome(deps, { wecomUserId: p.wecomUserId, actionKey: p.actionKey, responseCode: p.responseCode, inboundEventId: event.id });
  },
  staff_message: async (deps, event) => {
    const p = parsePayload(staffMessagePayload, event.payload);
    return answerStaffMessage(deps, { wecomUserId: p.wecomUserId, text: p.text, messageId: p.msgId });
  },
  survey_submit: async (deps, event) => {
    const p = parsePayload(surveySubmitPayload, event.payload);
    return submitWebSurvey(deps, { token: p.token, score: p.score, comment: p.comment, receivedAt: new Date(p.receivedAt), inboundEventId: event.id });
  },
  sms_reply: async (deps, event) => {
    const p = parsePayload(smsReplyPayload, event.payload);
    return recordSmsReply(deps, { phoneE164: p.phoneE164, text: p.text, receivedAt: new Date(p.receivedAt), inboundEventId: event.id });
  },
};
