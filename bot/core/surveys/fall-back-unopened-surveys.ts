import type { CoreDeps } from '../deps.js';
import type { UnopenedSurvey } from '../ports/survey-fallbacks.js';
import type { Offset, PolicyDefinition } from '../policies/types.js';
import { applyOffset } from '../policies/offsets.js';
import { findStep } from '../policies/find-step.js';
import { surveyConsentBlock } from '../outbox/send-consent.js';
import { ALL_CUSTOMER_CHANNELS, DEFAULT_FALLBACK_AFTER, nextSurveyChannel, replyCodeCandidates, surveyDeliveryOf, surveyFallbackFor, type SurveyChannel, type SurveyDelivery } from './channel-chain.js';

export interface SurveyFallbackSummary {
  /** Unopened surveys invited by WeChat or 客户联系 looked at. */
  scanned: number;
  /** Invitations queued on the next channel of the chain (客户联系, SMS …). */
  enqueued: number;
  /** Their step's `fallbackAfter` has not passed yet, or the member has not sent their 客户联系 task yet. */
  waiting: number;
  /** No next channel: none left in the chain that the customer can receive, or consent withdrawn. */
  skipped: number;
  /** The WeChat invitation was being sent at that moment: looked at again on the next run. */
  busy: number;
  /** Another replica (or the page being opened) got there first. */
  notNeeded: number;
}

/**
 * The "not opened in time" fallback. A survey invited by WeChat whose page the customer has not
 * opened within its step's `fallbackAfter` (counted from the invitation) gets the same survey link on
 * the next channel of its chain the customer can receive — 客户联系 when the customer is their member's
 * external contact, else SMS with a reply code …; its WeChat invitation, if still unsent, is
 * cancelled, so nobody gets both. A 客户联系 invitation the member sent gets the same wait, counted
 * from the member's send (the delivery WeCom reported): until the member sends it, the results job
 * decides (bot/core/contacts/collect-contact-results.ts). Reconciles "everything due as of now": missed
 * or repeated runs are harmless, and two replicas running it at once queue one invitation per survey
 * (the store's conditional update on the survey's channel and the unique outbox key `fu:<id>:<n>:<channel>`).
 */
export async function fallBackUnopenedSurveys(deps: CoreDeps, options: { batchSize?: number; maxBatches?: number } = {}): Promise<SurveyFallbackSummary> {
  const batchSize = options.batchSize ?? 200;
  const maxBatches = options.maxBatches ?? 50;
  const summary: SurveyFallbackSummary = { scanned: 0, enqueued: 0, waiting: 0, skipped: 0, busy: 0, notNeeded: 0 };
  const now = deps.clock.now();
  const ctx = { timeZone: deps.timeZone, calendar: deps.calendar };
  const sentBefore = new Date(now.getTime() - shortestFallbackMs(deps.policies.all()));
  let afterId: string | null = null;
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await deps.surveyFallbacks.listUnopenedSurveys({ now, sentBefore, afterId, limit: batchSize });
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]!.surveyId;
    summary.scanned += rows.length;
    for (const row of rows) {
      const step = row.policyId && row.step ? findStep(deps.policies.byId(row.policyId), row.step) : undefined;
      const delivery = surveyDeliveryOf(step ?? { channel: 'wechat' });
      const since = unopenedSince(row);
      if (!since || applyOffset(since, delivery.fallbackAfter, ctx).getTime() > now.getTime()) {
        summary.waiting++;
        continue;
      }
      const result = await switchToNextChannel(deps, row, delivery, now, { reason: 'NOT_OPENED', waited: delivery.fallbackAfter });
      if (result === 'no_next') {
        summary.skipped++;
        continue;
      }
      if (result === 'enqueued') summary.enqueued++;
      else if (result === 'busy') summary.busy++;
      else summary.notNeeded++;
    }
    if (rows.length < batchSize) break;
  }
  return summary;
}

/**
 * From when the customer could open the invitation: a WeChat invitation's sending; a 客户联系 task's
 * send by the member (null while they have not sent it: not "unopened" yet, docs/protocols/wecom.md §12.5).
 */
function unopenedSince(row: UnopenedSurvey): Date | null {
  if (row.invite?.channel === 'wecom_contact') return row.invite.deliveredAt;
  return row.sentAt;
}

/**
 * A lower bound, in ms, of the shortest `fallbackAfter` of any survey step: the scan skips surveys
 * sent more recently than that, and checks each candidate's own step exactly.
 */
export function shortestFallbackMs(policies: readonly PolicyDefinition[]): number {
  const waits = policies.flatMap((p) => p.steps.filter((s) => s.action === 'CUSTOMER_SURVEY').map((s) => s.fallbackAfter ?? DEFAULT_FALLBACK_AFTER));
  return Math.min(lowerBoundMs(DEFAULT_FALLBACK_AFTER), ...waits.map(lowerBoundMs));
}

function lowerBoundMs(offset: Offset): number {
  const hour = 3_600_000;
  switch (offset.unit) {
    case 'hours':
    case 'working_hours':
      return offset.amount * hour;
    case 'days':
    case 'working_days':
      // A day can be 23 hours where the zone has daylight saving; working days are never shorter.
      return Math.max(0, offset.amount * 24 * hour - hour);
    case 'months':
      return offset.amount * 28 * 24 * hour - hour;
    case 'years':
      return offset.amount * 365 * 24 * hour - hour;
  }
}

/**
 * WeChat reported that an invitation it accepted was not delivered (TEMPLATESENDJOBFINISH with a
 * failure status: the customer blocked the account …): the survey goes on the next channel of its
 * chain now rather than after its `fallbackAfter`. The same conditions and the same conditional store
 * change as the scheduled fallback, so a later run of the job (or a replica) adds nothing.
 */
export async function fallBackFailedWechatInvite(deps: CoreDeps, outboxId: string, status: string): Promise<'enqueued' | 'not_needed' | 'busy' | 'no_next'> {
  const row = await deps.surveyFallbacks.findWechatInviteSurvey(outboxId);
  if (!row) return 'not_needed';
  const step = row.policyId && row.step ? findStep(deps.policies.byId(row.policyId), row.step) : undefined;
  return switchToNextChannel(deps, row, surveyDeliveryOf(step ?? { channel: 'wechat' }), deps.clock.now(), { reason: 'WECHAT_NOT_DELIVERED', wechatStatus: status.slice(0, 100) });
}

/**
 * A WeCom customer-contact (客户联系) invitation that did not reach the customer — the member did not
 * send it in time (it was withdrawn), the customer is no longer their contact, or already had their
 * quota of group messages: the survey goes on the next channel of its chain the customer can receive
 * (WeChat, SMS …), under the same conditions and conditional store change as the WeChat fallbacks.
 */
export async function fallBackFailedContactInvite(deps: CoreDeps, outboxId: string, reason: string): Promise<'enqueued' | 'not_needed' | 'busy' | 'no_next'> {
  const row = await deps.surveyFallbacks.findWechatInviteSurvey(outboxId);
  if (!row) return 'not_needed';
  const step = row.policyId && row.step ? findStep(deps.policies.byId(row.policyId), row.step) : undefined;
  return switchToNextChannel(deps, row, surveyDeliveryOf(step ?? { channel: 'sms' }), deps.clock.now(), { reason: 'WECOM_CONTACT_NOT_DELIVERED', wecomContact: reason });
}

/**
 * Queues the invitation on the next channel of the chain that replaces the survey's current one (the
 * store's conditional change: one per survey and hop, the unsent current invitation cancelled), or
 * `no_next` when no channel is left that the customer can receive, or they withdrew consent. The chain
 * is the one planned with the invitation; invitations of earlier versions use the step's.
 */
async function switchToNextChannel(
  deps: CoreDeps,
  row: UnopenedSurvey,
  delivery: SurveyDelivery,
  now: Date,
  why: Record<string, unknown>,
): Promise<'enqueued' | 'not_needed' | 'busy' | 'no_next'> {
  const invite = row.invite;
  if (!invite || invite.message.kind !== 'survey_invite' || surveyConsentBlock(row.customer, deps.optOutScope ?? 'all')) return 'no_next';
  const from = invite.channel as SurveyChannel;
  const available = deps.customerChannels ?? ALL_CUSTOMER_CHANNELS;
  const next = nextSurveyChannel(invite.message.chain ?? delivery.channels, from, row.customer, available);
  const message = next ? surveyFallbackFor(next, { ...invite, followUpId: row.followUpId }, row.customer, available, now) : null;
  if (!next || !message) return 'no_next';
  return deps.surveyFallbacks.commitSurveyFallback({
    surveyId: row.surveyId,
    from,
    replyCodes: next === 'sms' ? replyCodeCandidates(deps.tokens) : [],
    message,
    cancelPendingId: invite.id,
    audit: {
      at: now,
      actorType: 'SYSTEM',
      actorId: null,
      action: 'survey.fallback',
      entityType: 'SurveyInstance',
      entityId: row.surveyId,
      details: { ...why, from, to: next, outboxId: invite.id },
    },
  });
}
