import type { OutboundMessage } from '../core/messages.js';
import type { SurveyFallback, SurveyFallbackStore, UnopenedSurvey } from '../core/ports/survey-fallbacks.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { parseJson, toCustomerRecord } from './rows.js';
import { applySurveyFallback, InviteBusyError, withReplyCodeRetry } from './reply-codes.js';

/** Survey channels whose invitation may stay unopened and be followed by the next channel of the chain. */
const UNOPENED_CHANNELS = ['wechat', 'wecom_contact'] as const;

/** `SurveyFallbackStore` over Prisma (the transaction itself: bot/db/reply-codes.ts). */
export class PrismaSurveyFallbackStore implements SurveyFallbackStore {
  constructor(private readonly db: StoreContext) {}

  /** See `SurveyFallbackStore.listUnopenedSurveys`. */
  async listUnopenedSurveys(input: { now: Date; sentBefore: Date; afterId: string | null; limit: number }): Promise<UnopenedSurvey[]> {
    // The (status, channel, sentAt) index narrows to open WeChat invitations sent before the cut-off; the
    // rest are row filters. `NOT (replyCode IS NOT NULL)` rather than `replyCode IS NULL`: SQLite would
    // otherwise drive the query from the unique replyCode index, whose NULLs are nearly every survey.
    const rows = await this.db.prisma.surveyInstance.findMany({
      where: {
        status: 'OPEN',
        channel: { in: [...UNOPENED_CHANNELS] },
        sentAt: { lte: input.sentBefore },
        expiresAt: { gt: input.now },
        openedAt: null,
        NOT: { replyCode: { not: null } },
        ...(input.afterId ? { id: { gt: input.afterId } } : {}),
      },
      orderBy: { id: 'asc' },
      take: input.limit,
      include: { customer: true, followUp: { select: { policyId: true, step: true } } },
    });
    if (rows.length === 0) return [];
    const followUpIds = rows.map((r) => r.followUpId).filter((id): id is string => id !== null);
    // The survey's invitation on its current channel: the first one, or one that replaced an invitation on
    // another channel (one per channel and survey: the outbox key `fu:<id>:<n>:<channel>`).
    const invites = await this.db.prisma.outboxMessage.findMany({
      where: { followUpId: { in: followUpIds }, kind: 'survey_invite', channel: { in: [...UNOPENED_CHANNELS] } },
      select: { id: true, idempotencyKey: true, status: true, channel: true, payload: true, deliveredAt: true },
    });
    const inviteOf = new Map<string, UnopenedSurvey['invite']>();
    for (const i of invites) {
      const message = parseJson<OutboundMessage | null>(i.payload, null);
      if (message?.kind === 'survey_invite') inviteOf.set(`${message.surveyId}:${i.channel}`, { id: i.id, idempotencyKey: i.idempotencyKey, status: i.status, channel: i.channel, message, deliveredAt: i.deliveredAt });
    }
    return rows.map((r) => ({
      surveyId: r.id,
      followUpId: r.followUpId,
      policyId: r.followUp?.policyId ?? null,
      step: r.followUp?.step ?? null,
      sentAt: r.sentAt ?? r.createdAt,
      customer: toCustomerRecord(r.customer),
      invite: inviteOf.get(`${r.id}:${r.channel}`) ?? null,
    }));
  }

  /** See `SurveyFallbackStore.findWechatInviteSurvey`. */
  async findWechatInviteSurvey(outboxId: string): Promise<UnopenedSurvey | null> {
    const invite = await this.db.prisma.outboxMessage.findUnique({ where: { id: outboxId }, select: { id: true, idempotencyKey: true, status: true, payload: true, channel: true, kind: true, deliveredAt: true } });
    if (!invite || (invite.channel !== 'wechat' && invite.channel !== 'wecom_contact') || invite.kind !== 'survey_invite') return null;
    const message = parseJson<OutboundMessage | null>(invite.payload, null);
    if (message?.kind !== 'survey_invite') return null;
    const survey = await this.db.prisma.surveyInstance.findUnique({
      where: { id: message.surveyId },
      include: { customer: true, followUp: { select: { policyId: true, step: true } } },
    });
    if (!survey || survey.status !== 'OPEN' || survey.openedAt !== null || survey.replyCode !== null || survey.channel !== invite.channel) return null;
    return {
      surveyId: survey.id,
      followUpId: survey.followUpId,
      policyId: survey.followUp?.policyId ?? null,
      step: survey.followUp?.step ?? null,
      sentAt: survey.sentAt ?? survey.createdAt,
      customer: toCustomerRecord(survey.customer),
      invite: { id: invite.id, idempotencyKey: invite.idempotencyKey, status: invite.status, channel: invite.channel, message, deliveredAt: invite.deliveredAt },
    };
  }

  /** See `SurveyFallbackStore.commitSurveyFallback`. */
  async commitSurveyFallback(fallback: SurveyFallback): Promise<'enqueued' | 'not_needed' | 'busy'> {
    try {
      const done = await withReplyCodeRetry(() => this.db.prisma.$transaction((tx) => applySurveyFallback(tx, this.db.ids, fallback), TX_OPTIONS));
      return done ? 'enqueued' : 'not_needed';
    } catch (err) {
      if (err instanceof InviteBusyError) return 'busy';
      throw err;
    }
  }
}
