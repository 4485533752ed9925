import type { IdGenerator } from '../core/clock.js';
import type { OutboundMessage } from '../core/messages.js';
import type { SurveyFallback, SurveyFallbackStore, UnopenedSurvey } from '../core/ports/survey-fallbacks.js';
import type { MemoryState, MemoryTx, SurveyRow } from './memory-state.js';
import { compareIds, parseJson, toCustomerRecord } from './rows.js';
import { applySurveyFallback, InviteBusyError } from './writes.js';

/** `SurveyFallbackStore` in memory (the change itself: `applySurveyFallback` in bot/memory/writes.ts). */
export class MemorySurveyFallbackStore implements SurveyFallbackStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async listUnopenedSurveys(input: { now: Date; sentBefore: Date; afterId: string | null; limit: number }): Promise<UnopenedSurvey[]> {
    return this.state.transact((tx) => {
      const rows = tx.survey
        .filter(
          (s) =>
            s.status === 'OPEN' &&
            (s.channel === 'wechat' || s.channel === 'wecom_contact') &&
            s.sentAt !== null &&
            s.sentAt <= input.sentBefore &&
            s.expiresAt > input.now &&
            s.openedAt === null &&
            s.replyCode === null &&
            (input.afterId === null || s.id > input.afterId),
        )
        .sort((a, b) => compareIds(a.id, b.id))
        .slice(0, input.limit);
      if (rows.length === 0) return [];
      const followUpIds = new Set(rows.map((r) => r.followUpId).filter((id): id is string => id !== null));
      const inviteOf = new Map<string, UnopenedSurvey['invite']>();
      for (const i of tx.outbox.filter((m) => m.followUpId !== null && followUpIds.has(m.followUpId) && m.kind === 'survey_invite' && (m.channel === 'wechat' || m.channel === 'wecom_contact'))) {
        const message = parseJson<OutboundMessage | null>(i.payload, null);
        if (message?.kind === 'survey_invite') {
          inviteOf.set(`${message.surveyId}:${i.channel}`, { id: i.id, idempotencyKey: i.idempotencyKey, status: i.status, channel: i.channel, message, deliveredAt: i.deliveredAt ? new Date(i.deliveredAt.getTime()) : null });
        }
      }
      return rows.map((r) => unopened(tx, r, inviteOf.get(`${r.id}:${r.channel}`) ?? null));
    });
  }

  async findWechatInviteSurvey(outboxId: string): Promise<UnopenedSurvey | null> {
    return this.state.transact((tx) => {
      const invite = tx.outbox.get(outboxId);
      if (!invite || (invite.channel !== 'wechat' && invite.channel !== 'wecom_contact') || invite.kind !== 'survey_invite') return null;
      const message = parseJson<OutboundMessage | null>(invite.payload, null);
      if (message?.kind !== 'survey_invite') return null;
      const survey = tx.survey.get(message.surveyId);
      if (!survey || survey.status !== 'OPEN' || survey.openedAt !== null || survey.replyCode !== null || survey.channel !== invite.channel) return null;
      return unopened(tx, survey, { id: invite.id, idempotencyKey: invite.idempotencyKey, status: invite.status, channel: invite.channel, message, deliveredAt: invite.deliveredAt ? new Date(invite.deliveredAt.getTime()) : null });
    });
  }

  async commitSurveyFallback(fallback: SurveyFallback): Promise<'enqueued' | 'not_needed' | 'busy'> {
    try {
      return this.state.transact((tx) => applySurveyFallback(tx, this.ids, fallback)) ? 'enqueued' : 'not_needed';
    } catch (err) {
      if (err instanceof InviteBusyError) return 'busy';
      throw err;
    }
  }
}

function unopened(tx: MemoryTx, survey: SurveyRow, invite: UnopenedSurvey['invite']): UnopenedSurvey {
  const followUp = survey.followUpId ? tx.followUp.get(survey.followUpId) : undefined;
  return {
    surveyId: survey.id,
    followUpId: survey.followUpId,
    policyId: followUp?.policyId ?? null,
    step: followUp?.step ?? null,
    sentAt: new Date((survey.sentAt ?? survey.createdAt).getTime()),
    customer: toCustomerRecord(tx.customer.get(survey.customerId)!),
    invite,
  };
}
