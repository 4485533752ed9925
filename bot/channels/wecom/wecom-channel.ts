import type { Clock } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult, StaffAddress } from '../../core/messages.js';
import type { WecomConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { ERRCODE_TASK_ID_USED } from './errcodes.js';
import type { AppDailyQuota } from './app-daily-quota.js';
import { MemberRateLimiter } from './member-rate-limiter.js';
import { DUPLICATE_CHECK_INTERVAL_SECONDS, recordedNoticeText, renderCardUpdate, renderStaffDocument, renderStaffMarkdown, renderStaffText, renderTaskCard } from './render-message.js';
import { WecomClient, type WecomSendBody } from './wecom-client.js';
import { FrequencyBlock } from './frequency-block.js';
import type { SharedWindows } from '../../core/ports/shared-windows.js';

/** WeCom's frequency-limit errcode (docs/protocols/wecom.md §2-§3). */
const ERRCODE_FREQUENCY_LIMIT = 45009;

export interface WecomChannelOptions {
  client: WecomClient;
  /** Clock for per-member pacing. */
  clock: Clock;
  logger?: Logger;
  /** Per-member pacing in this process; its windows are also the caps counted across replicas [WeCom's 30/min and 1 000/hour]. */
  memberLimiter?: MemberRateLimiter;
  /** The application's daily quota [none]. */
  dailyQuota?: AppDailyQuota;
  /** Business timezone, for the end of a day-long 45009 block [Asia/Shanghai]. */
  timeZone?: string;
  /** Where the application's 45009 block is kept, shared by every replica (the store's `windows`). */
  windows: SharedWindows;
  /**
   * The application in `windows` keys: its 45009 block is `wecom-45009:<applicationKey>`, a member's sends
   * `wecom-member:<applicationKey>:<userid>` [the agent id].
   */
  applicationKey?: string;
}

const PROVIDER = 'wecom';

/** Taken off WeCom's duplicate-check window when deciding whether a resend is still dropped (clock drift, send latency). */
const DUPLICATE_CHECK_MARGIN_MS = 5 * 60_000;

/**
 * Staff messages through a WeCom self-built application (port `MessageChannel`):
 * - `task_card` → a `button_interaction` template card (docs/protocols/wecom.md §4.4);
 * - `card_update` → `update_template_card` with the tap's `response_code` (§5.1);
 * - `staff_text` → a `text` message (§4.3);
 * - `staff_document` → a `markdown` message within WeCom's 2048 bytes (§4.3), and `staff_markdown` (as
 *   earlier versions stored digests) as it is.
 *
 * `send` resolves with WeCom's `msgid` (null for card updates) and throws `ChannelError` otherwise.
 * Idempotency: WeCom's duplicate check drops an identical request within 30 min, and a card's
 * `task_id` is unique for ever, so a retried card is never shown twice. A recipient is never sent
 * more than WeCom's per-member caps, counted over every replica's sends (docs/protocols/wecom.md §3): a
 * send over one fails `rate_limited` (`MEMBER_RATE_LIMIT`) with the wait, for the outbox to reschedule.
 */
export class WecomChannel implements MessageChannel {
  readonly name = 'wecom';
  readonly #client: WecomClient;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #limiter: MemberRateLimiter;
  readonly #dailyQuota: AppDailyQuota | null;
  readonly #frequencyBlock: FrequencyBlock;
  readonly #windows: SharedWindows;
  readonly #memberKeyPrefix: string;

  constructor(options: WecomChannelOptions) {
    const application = options.applicationKey ?? String(options.client.agentId);
    this.#frequencyBlock = new FrequencyBlock(options.windows, `wecom-45009:${application}`, options.timeZone ?? 'Asia/Shanghai');
    this.#windows = options.windows;
    this.#memberKeyPrefix = `wecom-member:${application}:`;
    this.#client = options.client;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#limiter = options.memberLimiter ?? new MemberRateLimiter();
    this.#dailyQuota = options.dailyQuota ?? null;
  }

  /**
   * A task card keeps its `task_id` for ever, and WeCom refuses a second card with it (42014, treated
   * as delivered), so a card is always safe to send again; so is a card update (it sets the same state).
   * Text, markdown and documents are dropped as duplicates only within WeCom's duplicate-check window
   * (§4.1): inside it (less a margin for clock drift) they are sent again, after it a person decides.
   */
  async checkInterruptedSend(request: SendRequest, startedAt: Date, now: Date): Promise<InterruptedSendCheck> {
    const kind = request.message.kind;
    if (kind === 'task_card') return { verdict: 'resend', evidence: 'a card keeps its task_id: WeCom refuses it twice' };
    if (kind === 'card_update') return { verdict: 'resend', evidence: 'updating a card again leaves it as it is' };
    const windowMs = DUPLICATE_CHECK_INTERVAL_SECONDS * 1000 - DUPLICATE_CHECK_MARGIN_MS;
    if (now.getTime() - startedAt.getTime() < windowMs) return { verdict: 'resend', evidence: `within WeCom's ${DUPLICATE_CHECK_INTERVAL_SECONDS / 60}-minute duplicate check` };
    return { verdict: 'unknown', evidence: `WeCom's ${DUPLICATE_CHECK_INTERVAL_SECONDS / 60}-minute duplicate check has passed since the interrupted attempt` };
  }

  async send(request: SendRequest): Promise<SendResult> {
    const m = request.message;
    const agentId = this.#client.agentId;
    switch (m.kind) {
      case 'task_card': {
        const body = renderTaskCard(agentId, m.to, m.card);
        try {
          return await this.#sendMessage(m.to, body);
        } catch (error) {
          // task_id is unique for ever (§4.5): a retry refused with 42014 means an earlier attempt whose
          // answer we lost already delivered this very card. Sending it under a new id would show it twice.
          if (request.attempt > 1 && error instanceof ChannelError && error.providerCode === String(ERRCODE_TASK_ID_USED)) {
            this.#log?.warn({ outboxId: request.messageId, attempt: request.attempt, taskId: m.card.taskId }, 'wecom task card id already used on a retry; treating the card as delivered');
            return { providerMessageId: null };
          }
          throw error;
        }
      }
      case 'card_update': {
        if (m.responseCode === null) {
          // Only a tap's (or the send's) response_code can update a card (§5.1). Without one (a tap that
          // came through the sandbox, or a code already spent) the member is told by text instead.
          return this.#sendMessage(m.to, renderStaffText(agentId, m.to, recordedNoticeText(m.replaceName)));
        }
        await this.#client.updateTemplateCard(renderCardUpdate(agentId, m.to, m.responseCode, m.replaceName));
        return { providerMessageId: null };
      }
      case 'staff_text':
        return this.#sendMessage(m.to, renderStaffText(agentId, m.to, m.text));
      case 'staff_document':
        return this.#sendMessage(m.to, renderStaffDocument(agentId, m.to, m.document));
      case 'staff_markdown':
        return this.#sendMessage(m.to, renderStaffMarkdown(agentId, m.to, m.markdown));
      case 'survey_invite':
      case 'customer_notice':
        // App messages reach members only, never customers (§4.1, §10).
        throw new ChannelError(PROVIDER, 'permanent', 'UNSUPPORTED_MESSAGE', 'WeCom app messages cannot reach customers; customer messages go by SMS or WeChat');
      case 'webhook':
        throw new ChannelError(PROVIDER, 'permanent', 'UNSUPPORTED_MESSAGE', 'Webhook events go by the webhook channel');
    }
  }

  /** message/send to one member, paced per member; a recipient WeCom refuses is a permanent failure. */
  async #sendMessage(to: StaffAddress, body: WecomSendBody): Promise<SendResult> {
    // A block any replica ran into holds here too (one read by primary key per send).
    const block = await this.#frequencyBlock.check(this.#clock.now());
    if (block.remainingMs > 0) {
      throw new ChannelError(
        PROVIDER,
        'rate_limited',
        String(ERRCODE_FREQUENCY_LIMIT),
        `WeCom answered 45009 (frequency limit): the application is blocked for its ${block.window} window and is not called until then (docs/protocols/wecom.md §3)`,
        { retryAfterMs: block.remainingMs },
      );
    }
    const quota = this.#dailyQuota ? await this.#dailyQuota.tryAcquire(this.#clock.now()) : null;
    if (quota && !quota.ok) {
      throw new ChannelError(
        PROVIDER,
        'rate_limited',
        'APP_DAILY_QUOTA',
        "The application's daily quota of app messages (WECOM_DAILY_MESSAGE_LIMIT, the enterprise's seat limit × 200) is used up; this message waits for tomorrow (docs/protocols/wecom.md §3)",
        { retryAfterMs: quota.retryAfterMs },
      );
    }
    try {
      const result = await this.#sendPaced(to, body);
      // Sent: failing to clear the strikes must not turn this send into a failure (it would be sent again).
      if (block.strikes > 0) await this.#frequencyBlock.clear().catch((err: unknown) => this.#log?.warn({ err }, 'wecom 45009 strikes not cleared after a successful send'));
      return result;
    } catch (error) {
      if (error instanceof ChannelError && error.providerCode === String(ERRCODE_FREQUENCY_LIMIT)) {
        if (quota?.ok) quota.release();
        const { waitMs, window } = await this.#frequencyBlock.hit(this.#clock.now());
        throw new ChannelError(
          PROVIDER,
          'rate_limited',
          error.providerCode,
          `${error.message}; blocked for the ${window} window (${Math.round(waitMs / 60_000)} min) before WeCom is called again (docs/protocols/wecom.md §3)`,
          { cause: error, retryAfterMs: waitMs },
        );
      }
      if (quota?.ok && error instanceof ChannelError && (error.kind !== 'retryable' || /^-?\d+$/.test(error.providerCode))) quota.release();
      throw error;
    }
  }

  async #sendPaced(to: StaffAddress, body: WecomSendBody): Promise<SendResult> {
    const acquired = this.#limiter.tryAcquire(body.touser, this.#clock.now().getTime());
    if (!acquired.ok) {
      throw new ChannelError(
        PROVIDER,
        'rate_limited',
        'MEMBER_RATE_LIMIT',
        'WeCom delivers at most 30 messages a minute and 1000 an hour to one member and drops the rest silently; this message waits (docs/protocols/wecom.md §3)',
        { retryAfterMs: acquired.retryAfterMs },
      );
    }
    // Both caps across replicas and restarts: every process's sends to the member, counted in sliding
    // windows in the database (docs/protocols/wecom.md §3). The send counts at the latest instant it can
    // reach WeCom until its answer says it has; the in-process limiter above saves the statement when this
    // process alone has filled a window.
    const now = this.#clock.now();
    const memberKey = `${this.#memberKeyPrefix}${body.touser.toLowerCase()}`;
    const latest = new Date(now.getTime() + this.#client.longestCallMs);
    const admission = await this.#windows.admit(memberKey, now, this.#limiter.windows, latest).catch((error: unknown) => {
      acquired.slot.release();
      throw error;
    });
    if (!admission.admitted) {
      acquired.slot.release();
      throw new ChannelError(
        PROVIDER,
        'rate_limited',
        'MEMBER_RATE_LIMIT',
        'WeCom delivers at most 30 messages a minute and 1000 an hour to one member and drops the rest silently; the sends of every process together reached it, this message waits (docs/protocols/wecom.md §3)',
        { retryAfterMs: Math.max(1, admission.retryAt.getTime() - now.getTime()) },
      );
    }
    const release = async () => {
      acquired.slot.release();
      await this.#windows.withdraw(memberKey, admission.seq);
    };
    let result;
    try {
      result = await this.#client.sendMessage(body);
    } catch (error) {
      // WeCom answered with an errcode: nothing was delivered, so the slot is free again. Transport
      // failures keep it (the message may have gone through).
      if (error instanceof ChannelError && /^-?\d+$/.test(error.providerCode)) await release();
      throw error;
    }
    const refused = [result.invaliduser, result.unlicenseduser].flatMap((list) => (list ? list.split('|') : [])).map((u) => u.toLowerCase());
    if (refused.includes(body.touser.toLowerCase())) {
      await release();
      throw new ChannelError(
        PROVIDER,
        'permanent',
        'INVALID_USER',
        "WeCom refused the recipient: the member does not exist, left, has no licence, or is outside the application's visible range (可见范围) (docs/protocols/wecom.md §4.1-§4.2)",
      );
    }
    // Answered: WeCom counted it by now. Left at `latest` if this fails, which only counts it longer.
    await this.#windows.settle(memberKey, admission.seq, this.#clock.now()).catch((err: unknown) => this.#log?.warn({ err }, 'wecom member send count not settled; it counts until its latest instant'));
    this.#log?.debug({ staffId: to.staffId, msgtype: body.msgtype }, 'wecom message accepted');
    // A button card's send answer carries a response_code: kept, it lets Huifang grey the card out later
    // (an escalation resolved on its page, docs/protocols/wecom.md §5.1).
    return { providerMessageId: result.msgid ?? null, responseCode: result.response_code ?? null };
  }
}

/** Options of {@link createWecomChannel} besides the WeCom configuration. */
export interface CreateWecomChannelOptions {
  clock: Clock;
  /** The per-application daily quota, when WECOM_DAILY_MESSAGE_LIMIT is set. */
  dailyQuota?: AppDailyQuota;
  logger?: Logger;
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout in ms [10 000]. */
  timeoutMs?: number;
  /** Business timezone (HUIFANG_TIMEZONE), for day-long blocks. */
  timeZone?: string;
  /** Where the application's 45009 block is kept, shared by every replica. */
  windows: SharedWindows;
}

/** The WeCom staff channel for the configured application (composition root helper). */
export function createWecomChannel(config: WecomConfig, options: CreateWecomChannelOptions): WecomChannel {
  const logger = options.logger?.child({ provider: PROVIDER });
  const client = new WecomClient({
    corpId: config.corpId,
    agentId: config.agentId,
    secret: config.secret,
    apiBase: config.apiBase,
    clock: options.clock,
    ...(logger ? { logger } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return new WecomChannel({
    client,
    clock: options.clock,
    windows: options.windows,
    applicationKey: `${config.corpId}:${config.agentId}`,
    ...(logger ? { logger } : {}),
    ...(options.dailyQuota ? { dailyQuota: options.dailyQuota } : {}),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  });
}
