import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { MessageChannel, SendRequest, SendResult } from '../../core/messages.js';
import type { WechatConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { WechatClient, type WechatTemplateSendBody } from './wechat-client.js';
import { fitKeywordValue, keywordValueProblem } from '../../core/templates/wechat-keywords.js';

export interface WechatChannelOptions {
  client: WechatClient;
  /** Template of survey invitations (`WECHAT_MP_SURVEY_TEMPLATE_ID`). */
  surveyTemplateId: string;
  logger?: Logger;
}

const PROVIDER = 'wechat';

/**
 * Customer messages through a WeChat Official Account (服务号) template message (port `MessageChannel`,
 * docs/protocols/wechat.md §2):
 * - `survey_invite` → the survey template, its keywords filled from `templateData` (mapped in
 *   templates/messages), tapping it opens the survey link (`url`);
 * - `customer_notice` → refused: template messages are for service notices tied to the customer's own
 *   transaction, and marketing is not allowed at all (§2.3); notices go by SMS.
 *
 * A message without `to.openId` fails permanently. Idempotency: `client_msg_id` is derived from the
 * outbox key, so WeChat drops a repeat of the same message to the same openid within 10 minutes.
 */
export class WechatChannel implements MessageChannel {
  readonly name = 'wechat';
  readonly #client: WechatClient;
  readonly #surveyTemplateId: string;
  readonly #log: Logger | undefined;

  constructor(options: WechatChannelOptions) {
    this.#client = options.client;
    this.#surveyTemplateId = options.surveyTemplateId;
    this.#log = options.logger;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const m = request.message;
    if (m.kind === 'customer_notice') {
      throw new ChannelError(
        PROVIDER,
        'permanent',
        'UNSUPPORTED_MESSAGE',
        m.purpose === 'marketing'
          ? 'WeChat template messages may not carry marketing (docs/protocols/wechat.md §2.3); marketing goes by SMS to consenting customers'
          : 'Customer notices have no WeChat template; they go by SMS',
      );
    }
    if (m.kind !== 'survey_invite') {
      throw new ChannelError(PROVIDER, 'permanent', 'UNSUPPORTED_MESSAGE', 'The WeChat Official Account channel carries customer surveys only');
    }
    if (!m.to.openId) throw new ChannelError(PROVIDER, 'permanent', 'NO_OPENID', 'The customer has no WeChat openid for this account');
    const body: WechatTemplateSendBody = {
      touser: m.to.openId,
      template_id: this.#surveyTemplateId,
      url: m.link,
      data: Object.fromEntries(Object.entries(m.templateData ?? {}).map(([key, value]) => [key, { value: fitted(key, value) }])),
      client_msg_id: clientMsgId(request.idempotencyKey),
    };
    const { msgid } = await this.#client.sendTemplateMessage(body);
    this.#log?.debug({ outboxId: request.messageId, customerId: m.to.customerId }, 'wechat template message accepted');
    return { providerMessageId: msgid };
  }
}

/** Builds the channel from the configuration. */
export function createWechatChannel(config: WechatConfig, options: { clock: Clock; logger?: Logger; fetch?: typeof globalThis.fetch }): WechatChannel {
  const client = new WechatClient({
    appId: config.appId,
    appSecret: config.appSecret,
    apiBase: config.apiBase,
    clock: options.clock,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return new WechatChannel({ client, surveyTemplateId: config.surveyTemplateId, ...(options.logger ? { logger: options.logger } : {}) });
}

/**
 * The value fitted to its keyword type (docs/protocols/wechat.md §2.2), or a permanent failure when it
 * cannot fit without becoming false (a phrase of six characters, a time without a time): WeChat would
 * refuse it with 47003, and the survey's SMS fallback takes over at once instead.
 */
function fitted(key: string, value: string): string {
  const out = fitKeywordValue(key, value);
  if (out === null) {
    throw new ChannelError(PROVIDER, 'permanent', 'KEYWORD_VALUE_INVALID', `The value of ${key} does not fit its WeChat keyword type: ${keywordValueProblem(key, value.replace(/[\r\n]+/g, ' '))} (templates/messages survey_invite.wechat.data)`);
  }
  return out;
}

/** A short, stable anti-replay id for the outbox key (WeChat does not document a length; keep it short). */
function clientMsgId(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
}
