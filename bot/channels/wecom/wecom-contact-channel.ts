import type { Clock } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { InterruptedSendCheck, MessageChannel, OutboundMessage, SendRequest, SendResult } from '../../core/messages.js';
import type { WecomConfig, WecomGroupMessageRule } from '../../config.js';
import type { Logger } from '../../logger.js';
import { groupMessageQuota } from './group-message-quota.js';
import { WecomClient } from './wecom-client.js';

const PROVIDER = 'wecom';

/** `text.content` of a group send is limited to 4000 bytes (docs/protocols/wecom.md §12.2). */
export const GROUP_MESSAGE_TEXT_MAX_BYTES = 4000;

/**
 * How far back a retried or interrupted send looks for the group send an earlier attempt created
 * (`get_groupmsg_list_v2`, at most a month per call): longer than the outbox's retries of one message take.
 */
export const EARLIER_SEND_LOOKBACK_MS = 3 * 86_400_000;

/** Pages (100 group sends each) of `get_groupmsg_list_v2` read at most by one look. */
export const EARLIER_SEND_MAX_PAGES = 20;

/**
 * Default of `WECOM_CONTACT_RECONCILE_WAIT_SECONDS`: how long an interrupted send keeps being looked up
 * before it is created again, since WeCom may list a new group send only after a while.
 */
export const WECOM_CONTACT_RECONCILE_WAIT_MS = 600_000;

/** Least time between two looks at an interrupted send during the wait (at most ten looks in all). */
export const WECOM_CONTACT_RECONCILE_RECHECK_MS = 60_000;

export interface WecomContactChannelOptions {
  client: WecomClient;
  clock: Clock;
  /** Business timezone, for the quota period. */
  timeZone: string;
  /** The corp's per-customer group-message rule (WECOM_GROUP_MESSAGE_RULE). */
  groupMessageRule: WecomGroupMessageRule;
  /** 客户联系 messages to the customer queued at or after `since` that did not fail (the outbox's count). */
  countSentSince(customerId: string, since: Date): Promise<number>;
  /**
   * How long after an interrupted attempt began (`WECOM_CONTACT_RECONCILE_WAIT_SECONDS`) a send WeCom
   * does not list yet is looked up again on later claims before it is created again
   * [{@link WECOM_CONTACT_RECONCILE_WAIT_MS}].
   */
  reconcileWaitMs?: number;
  logger?: Logger;
}

/**
 * Customer messages (survey invitations, greetings) through WeCom customer contact (客户联系), port
 * `MessageChannel`: `add_msg_template` with `chat_type` single creates a group send (企业群发) for
 * the member who has the customer as an external contact (docs/protocols/wecom.md §12.2). WeCom sends
 * nothing until that member confirms it in the WeCom client, so "sent" here means "queued for the
 * member": the group-send msgid is the provider message id, and the `collect-wecom-contact-results`
 * job later records whether the member sent it (or withdraws it after WECOM_CONTACT_CONFIRM_DAYS and
 * lets the next channel of the chain take over).
 *
 * Refusals are `permanent` (the message is DEAD and its dead-letter hook picks the next channel):
 * `NO_WECOM_CONTACT` (the message names no external contact), `GROUP_MESSAGE_LIMIT` (the customer
 * already had the corp's quota of group messages this period, counted from the outbox), `NOT_A_CONTACT`
 * (WeCom's `fail_list`: the customer is no longer the member's contact), and WeCom's errcodes (40096
 * unknown external_userid, 40003 the member is not valid …, errcodes.ts).
 *
 * Idempotency: WeCom has no idempotency key for group sends. So a retry (attempt 2 or later: the
 * answer to an earlier attempt may have been lost after WeCom created the send), and an interrupted
 * send the outbox reconciles (`checkInterruptedSend`), first look for the send an earlier attempt
 * created — same text, created by the API in the last {@link EARLIER_SEND_LOOKBACK_MS}, with this
 * member among its senders (`get_groupmsg_task`) and this customer among its recipients
 * (`get_groupmsg_send_result`) — and adopt its msgid instead of creating another (docs/protocols/wecom.md §12.2).
 * Should two lost answers have left two sends, the later ones are withdrawn.
 */
export class WecomContactChannel implements MessageChannel {
  readonly name = 'wecom_contact';
  readonly #o: WecomContactChannelOptions;
  /** Per customer, the send in progress: sends to one customer take turns, so two cannot both pass the quota. */
  readonly #turns = new Map<string, Promise<void>>();
  /** Per customer, what this process queued in the current period (the outbox shows it only once recorded). */
  readonly #queuedHere = new Map<string, { since: number; count: number }>();

  constructor(options: WecomContactChannelOptions) {
    this.#o = options;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const m = request.message;
    if (m.kind !== 'survey_invite' && m.kind !== 'customer_notice') {
      throw new ChannelError(PROVIDER, 'permanent', 'UNSUPPORTED_MESSAGE', `WeCom customer contact carries customer messages only, not ${m.kind}`);
    }
    const contact = m.to.wecomContact;
    if (!contact) throw new ChannelError(PROVIDER, 'permanent', 'NO_WECOM_CONTACT', 'the customer is not matched to a WeCom external contact (huifang wecom-contacts match)');
    const text = groupMessageTextOf(m);
    if (Buffer.byteLength(text, 'utf8') > GROUP_MESSAGE_TEXT_MAX_BYTES) {
      throw new ChannelError(PROVIDER, 'permanent', 'CONTENT_TOO_LARGE', `a group message text is limited to ${GROUP_MESSAGE_TEXT_MAX_BYTES} bytes (docs/protocols/wecom.md §12.2)`);
    }
    const customerId = m.to.customerId;
    const previous = this.#turns.get(customerId) ?? Promise.resolve();
    let done!: () => void;
    const turn = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.#turns.set(customerId, turn);
    await previous;
    try {
      return await this.#sendInTurn(request, customerId, contact, text);
    } finally {
      done();
      if (this.#turns.get(customerId) === turn) this.#turns.delete(customerId);
    }
  }

  /**
   * An interrupted send (the dispatcher died after handing it to WeCom, or WeCom's answer was lost):
   * `sent` with the msgid when WeCom lists the group send (found as for a retry). Not listed: WeCom may
   * list a new send only after a while, so `wait` — looked up again on later claims — until
   * `reconcileWaitMs` after the attempt began; only then `resend`, as WeCom never created it
   * (docs/protocols/wecom.md §12.2).
   */
  async checkInterruptedSend(request: SendRequest, startedAt: Date, now: Date): Promise<InterruptedSendCheck> {
    const m = request.message;
    const contact = (m.kind === 'survey_invite' || m.kind === 'customer_notice') && m.to.wecomContact;
    if (!contact) return { verdict: 'resend', evidence: 'not a customer-contact message: the send refuses it without calling WeCom' };
    const earlier = await this.#findEarlierSend(contact, groupMessageTextOf(m));
    if (earlier) return { verdict: 'sent', providerMessageId: earlier, evidence: 'WeCom lists the group send for this member and customer with this text (get_groupmsg_list_v2)' };
    const waitMs = this.#o.reconcileWaitMs ?? WECOM_CONTACT_RECONCILE_WAIT_MS;
    const waitEnd = startedAt.getTime() + waitMs;
    if (now.getTime() < waitEnd) {
      const recheckMs = Math.max(WECOM_CONTACT_RECONCILE_RECHECK_MS, Math.ceil(waitMs / 10));
      return {
        verdict: 'wait',
        until: new Date(Math.min(now.getTime() + recheckMs, waitEnd)),
        evidence: `WeCom lists no group send for this member and customer with this text yet (get_groupmsg_list_v2); looked up again until ${new Date(waitEnd).toISOString()}`,
      };
    }
    return { verdict: 'resend', evidence: `WeCom lists no group send for this member and customer with this text in the last ${EARLIER_SEND_LOOKBACK_MS / 86_400_000} days (get_groupmsg_list_v2), ${Math.round((now.getTime() - startedAt.getTime()) / 1000)} s after the interrupted attempt` };
  }

  /**
   * The msgid of a group send already created for this member, customer and text (an earlier attempt
   * whose answer was lost), or null. With several, the first is kept and the others are withdrawn.
   */
  async #findEarlierSend(contact: { externalUserId: string; followUserId: string }, text: string): Promise<string | null> {
    const now = this.#o.clock.now().getTime();
    const sender = contact.followUserId.toLowerCase();
    const found: { msgid: string; createTime: number }[] = [];
    let cursor = '';
    for (let page = 0; page < EARLIER_SEND_MAX_PAGES; page++) {
      // 企业发表 only: sends created through the API (the member's own 个人群发 are not ours). A minute
      // past now for clock skew; the range stays within WeCom's one month.
      const list = await this.#o.client.listGroupMsgs({ startTime: new Date(now - EARLIER_SEND_LOOKBACK_MS), endTime: new Date(now + 60_000), filterType: 0, cursor });
      for (const send of list.sends) {
        if (send.text !== text) continue;
        // `creator` is not relied on (WeCom's pages do not say what it holds for API-created sends):
        // the member's task and the customer's row decide.
        const tasks = await this.#o.client.getGroupMsgTasks(send.msgid);
        if (!tasks.some((t) => t.userid.toLowerCase() === sender)) continue;
        const results = await this.#o.client.getGroupMsgSendResults(send.msgid, contact.followUserId);
        if (results.some((r) => r.externalUserid === contact.externalUserId)) found.push({ msgid: send.msgid, createTime: send.createTime });
      }
      cursor = list.nextCursor;
      if (cursor === '') break;
    }
    if (found.length === 0) return null;
    found.sort((a, b) => a.createTime - b.createTime);
    for (const extra of found.slice(1)) {
      // Withdrawn so the member sees one task; a failure here leaves a duplicate task, not a lost message.
      await this.#o.client.cancelGroupMsgSend(extra.msgid).catch((err: unknown) => this.#o.logger?.warn({ err, msgid: extra.msgid }, 'wecom duplicate group send could not be withdrawn'));
    }
    return found[0]!.msgid;
  }

  async #sendInTurn(request: SendRequest, customerId: string, contact: { externalUserId: string; followUserId: string }, text: string): Promise<SendResult> {
    if (request.attempt > 1) {
      // The earlier attempt's answer may have been lost after WeCom created the send: adopt it.
      const earlier = await this.#findEarlierSend(contact, text);
      if (earlier) {
        this.#o.logger?.info({ outboxId: request.messageId, attempt: request.attempt }, 'wecom group send of an earlier attempt adopted');
        return { providerMessageId: earlier };
      }
    }
    const { since, quota } = groupMessageQuota(this.#o.clock.now(), this.#o.groupMessageRule, this.#o.timeZone);
    const here = this.#queuedHere.get(customerId);
    const counted = await this.#o.countSentSince(customerId, since);
    // Sends of this process not recorded yet are not in the count: keep the larger figure.
    const used = here && here.since === since.getTime() ? Math.max(counted, here.count) : counted;
    if (used >= quota) {
      throw new ChannelError(
        PROVIDER,
        'permanent',
        'GROUP_MESSAGE_LIMIT',
        `the customer already received ${used} group messages since ${since.toISOString()}; WeCom allows ${quota} (WECOM_GROUP_MESSAGE_RULE=${this.#o.groupMessageRule}, docs/protocols/wecom.md §12.3)`,
      );
    }
    let created: { msgid: string; failList: string[] };
    try {
      created = await this.#o.client.addMsgTemplate({ sender: contact.followUserId, externalUserids: [contact.externalUserId], text });
    } catch (err) {
      throw mayHaveBeenCreated(err);
    }
    const { msgid, failList } = created;
    if (failList.includes(contact.externalUserId)) {
      throw new ChannelError(PROVIDER, 'permanent', 'NOT_A_CONTACT', "WeCom will not send to the customer: they are no longer the member's external contact (add_msg_template fail_list)");
    }
    if (this.#queuedHere.size >= 10_000) for (const [id, q] of this.#queuedHere) if (q.since !== since.getTime()) this.#queuedHere.delete(id);
    this.#queuedHere.set(customerId, { since: since.getTime(), count: used + 1 });
    this.#o.logger?.debug({ outboxId: request.messageId, kind: request.message.kind }, 'wecom group send queued for the member');
    return { providerMessageId: msgid };
  }
}

/**
 * A failure of `add_msg_template` that WeCom may have carried out (no answer in time, a connection cut
 * after the request went out, a 5xx or unreadable answer) becomes `outcomeUnknown`: the outbox keeps the
 * attempt marked and reconciles it (`checkInterruptedSend`) instead of creating the send again at once.
 * Answers WeCom gave (errcodes) are kept as they are.
 */
function mayHaveBeenCreated(err: unknown): unknown {
  if (!(err instanceof ChannelError) || err.outcomeUnknown || err.kind !== 'retryable') return err;
  if (err.providerCode !== 'NETWORK' && err.providerCode !== 'BAD_RESPONSE' && !/^HTTP_5\d\d$/.test(err.providerCode)) return err;
  return new ChannelError(PROVIDER, 'retryable', err.providerCode, `${err.message}; WeCom may have created the group send`, { cause: err, outcomeUnknown: true });
}

/** The text of a group send: the message's, with the survey link when the text does not carry it. */
function groupMessageTextOf(m: Extract<OutboundMessage, { kind: 'survey_invite' | 'customer_notice' }>): string {
  return m.kind === 'survey_invite' && !m.text.includes(m.link) ? `${m.text}\n${m.link}` : m.text;
}

/** The customer-contact channel of the configured application (composition root helper). */
export function createWecomContactChannel(
  config: WecomConfig,
  options: { clock: Clock; timeZone: string; countSentSince: WecomContactChannelOptions['countSentSince']; logger?: Logger; fetch?: typeof globalThis.fetch },
): { channel: WecomContactChannel; client: WecomClient } {
  const logger = options.logger?.child({ provider: PROVIDER });
  const client = new WecomClient({
    corpId: config.corpId,
    agentId: config.agentId,
    secret: config.secret,
    apiBase: config.apiBase,
    clock: options.clock,
    ...(logger ? { logger } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const channel = new WecomContactChannel({
    client,
    clock: options.clock,
    timeZone: options.timeZone,
    groupMessageRule: config.customerContact.groupMessageRule,
    reconcileWaitMs: config.customerContact.reconcileWaitMs,
    countSentSince: options.countSentSince,
    ...(logger ? { logger } : {}),
  });
  return { channel, client };
}
