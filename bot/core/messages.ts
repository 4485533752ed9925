import type { ContactRules } from './policies/types.js';
import type { ChannelName } from './model.js';

/**
 * Provider-neutral outbound messages. The outbox stores these as JSON; channel adapters translate them
 * into WeCom / Tencent SMS / WeChat / sandbox wire formats. Phone numbers in message text are masked.
 */

export interface StaffAddress {
  staffId: string;
  wecomUserId: string;
}

export interface CustomerAddress {
  customerId: string;
  /** E.164 phone for SMS; the adapter is the only place that sees it unmasked. */
  phoneE164?: string;
  /** WeChat Official Account openid. */
  openId?: string;
  /**
   * The customer as a WeCom external contact: their `external_userid` and the member (UserID) who
   * sends to them (docs/protocols/wecom.md §12).
   */
  wecomContact?: { externalUserId: string; followUserId: string };
}

/**
 * When a customer message may be sent, carried with it so that the dispatcher can check again at the
 * moment it leaves the outbox (bot/core/outbox/contact-hours.ts, docs/contact-rules.md).
 */
export interface ContactTerms {
  /** The policy's contact rules: windows by season, working days only, no public holidays. */
  rules?: ContactRules;
  /** ISO instant from which the message is pointless (the survey's expiry): it is then not sent at all. */
  notAfter?: string;
  /**
   * ISO instant from which a send of the message is no longer begun (a greeting's send window end). Unlike
   * `notAfter` it bounds only the start: a send already begun is still reconciled with the provider, and
   * what the provider does afterwards (a 客户联系 task the member confirms later) is not cut short.
   */
  startBy?: string;
}

export interface TaskCardButton {
  /** Machine-readable action, returned verbatim by the callback: `<action>:<followUpId>:<attempt>`. */
  key: string;
  text: string;
  /** 1 primary … 4 (WeCom button styles). */
  style: 1 | 2 | 3 | 4;
}

/** A staff follow-up task (WeCom `button_interaction` template card). No health details on its face. */
export interface TaskCard {
  /** Unique per app for ever (WeCom rule): `fu_<followUpId>_<attempt>`. */
  taskId: string;
  source: string;
  title: string;
  description: string;
  subtitle: string;
  fields: { label: string; value: string }[];
  buttons: TaskCardButton[];
  detailUrl: string | null;
}

/**
 * How a run of text is marked. Channels map marks to what they can show (WeCom markdown: `**…**` and
 * `<font color="info|comment|warning">`); `plain` runs are shown as they are.
 */
export type TextMark = 'plain' | 'strong' | 'info' | 'comment' | 'warning';

/** A piece of a line: text with one mark, or a link (`href`, an http(s) URL) showing `text`. */
export type TextRun = { text: string; mark: TextMark } | { text: string; href: string };

/**
 * Items a channel with a size limit may shorten (the channel knows its limit, the core does not). A
 * shortened list keeps its first items and ends with `more.before` + a count + `more.after`: the number
 * of items left out (`count: 'left_out'`) or of all items (`'all'`). When lists must shrink, the one
 * showing most items gives way first; on a tie, the later one (lists come in order of importance).
 */
export interface DocumentList {
  kind: 'list';
  /** `lines`: one item per line. `inline`: `lead`, then the items joined by `separator`, on one line. */
  layout: 'lines' | 'inline';
  items: TextRun[][];
  lead?: TextRun[];
  separator?: string;
  more: { before: string; after: string; count: 'left_out' | 'all' };
}

/** A line (or a list of lines) of a staff document. */
export type DocumentLine =
  | { kind: 'text'; runs: TextRun[] }
  /** Set apart under the title (WeCom: a `>` quote). */
  | { kind: 'quote'; runs: TextRun[] }
  /** A section heading. */
  | { kind: 'heading'; text: string }
  | { kind: 'blank' }
  | DocumentList;

/**
 * A provider-neutral formatted message for staff (weekly digests, monthly reports): a title, then lines
 * of marked runs and links. Each channel renders it (WeCom: markdown within its 2048-byte limit, lists
 * shortened; the sandbox: HTML). `footer` lines (detail and download links) are never shortened or cut.
 */
export interface StaffDocument {
  title: string;
  body: DocumentLine[];
  footer: DocumentLine[];
}

/**
 * One event delivered to a subscribed system (docs/webhooks.md): the JSON body is `event`, signed at send
 * time with the subscription's secret (looked up by `subscriptionId`, never stored in the message).
 * Phones in `event.data` are masked.
 */
export interface WebhookDelivery {
  kind: 'webhook';
  to: { subscriptionId: string; url: string };
  event: WebhookEventBody;
}

/** The JSON body of a webhook delivery. `id` is the same for every subscription that receives the event. */
export interface WebhookEventBody {
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export type OutboundMessage =
  | WebhookDelivery
  | { kind: 'task_card'; to: StaffAddress; card: TaskCard }
  /**
   * Greys out the buttons of a card already sent, with `replaceName` as the one disabled button. The
   * update needs a response_code (docs/protocols/wecom.md §5.1): the tap's, or, for an update Huifang
   * decides itself (an escalation resolved on its page), the one WeCom returned when the card was sent —
   * taken at dispatch from the outbox row of the card whose idempotency key is `cardKey`.
   */
  | { kind: 'card_update'; to: StaffAddress; taskId: string; responseCode: string | null; replaceName: string; cardKey?: string | null }
  | { kind: 'staff_text'; to: StaffAddress; text: string }
  /** A formatted message (digests, reports), rendered by the channel. */
  | { kind: 'staff_document'; to: StaffAddress; document: StaffDocument }
  /**
   * WeCom markdown, as earlier versions stored digests and reports. Nothing creates it any more; rows
   * already in an outbox are still sent (WeCom) and shown (sandbox).
   */
  | { kind: 'staff_markdown'; to: StaffAddress; markdown: string }
  | {
      kind: 'survey_invite';
      to: CustomerAddress;
      /** Message template id in templates/messages (maps to an approved Tencent template). */
      templateKey: string;
      /** Ordered template parameters, as Tencent requires. */
      params: string[];
      /** The rendered text, as the customer will read it. */
      text: string;
      link: string;
      surveyId: string;
      /** Per-survey SMS extend code: a reply carrying it is matched to this survey exactly. */
      replyCode?: string | null;
      /**
       * Named values for channels whose templates are keyed (WeChat template messages: keyword →
       * value, as mapped in templates/messages `survey_invite.wechat.data`).
       */
      templateData?: Readonly<Record<string, string>>;
      /** When it may be sent (absent on messages queued by earlier versions: quiet hours still apply). */
      contact?: ContactTerms;
      /** The SMS text, when `text` is another channel's (客户联系, WeChat): an SMS fallback is built with it. */
      smsText?: string;
      /**
       * The text as read in WeChat (WeChat template message, 客户联系 message sent by the member): a
       * fallback onto one of those channels is built with it.
       */
      chatText?: string;
      /**
       * The step's channel chain when the invitation was planned (bot/core/surveys/channel-chain.ts): a
       * failed or unopened invitation falls back to the next channel of it the customer can receive.
       * Absent on invitations queued by earlier versions (they fall back to SMS).
       */
      chain?: readonly ('wechat' | 'sms' | 'wecom_contact')[];
    }
  | {
      /**
       * Any other templated customer message (greetings, notices). `purpose: 'marketing'` messages go
       * only to customers who consented and never opted out, and carry the opt-out wording.
       */
      kind: 'customer_notice';
      to: CustomerAddress;
      templateKey: string;
      params: string[];
      text: string;
      purpose: 'service' | 'marketing';
      /** When it may be sent (quiet hours apply to every customer message in any case). */
      contact?: ContactTerms;
      /**
       * The SMS text, when `text` is another channel's (a greeting worded for 客户联系, sent by the member):
       * an SMS fallback is built with it.
       */
      smsText?: string;
    };

/** A claimed outbox message handed to a channel. */
export interface SendRequest {
  messageId: string;
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  message: OutboundMessage;
}

export interface SendResult {
  /** Provider's id of the sent message (WeCom msgid, Tencent SerialNo …), when it gives one. */
  providerMessageId: string | null;
  /** For a card that can be updated, the code to update it once (WeCom response_code, docs/protocols/wecom.md §5.1). */
  responseCode?: string | null;
  /**
   * A delivery that is a row of our own database (the sandbox's): `send` does not write it; it is written with
   * the message's SENT outcome, in the same commit. So the message is delivered exactly when that outcome is
   * recorded: a send whose outcome is never recorded (a crash, a claim that passed to another dispatcher)
   * delivered nothing, and the message is sent again or by the claim's new holder.
   */
  recordedDelivery?: RecordedDelivery;
}

/** One message as a channel of our own database delivers it (the `SandboxDelivery` table). */
export interface RecordedDelivery {
  id: string;
  channel: ChannelName;
  /** The WeCom UserID, phone (E.164), openid or URL the message was addressed to. */
  address: string;
  outboxMessageId: string;
  kind: string;
  /** The message as JSON. */
  content: string;
  deliveredAt: Date;
}

/**
 * A delivery channel (port). `send` resolves when the provider accepted the message and throws
 * `ChannelError` otherwise; adapters classify provider codes (STYLE E2). Idempotency: the same
 * `idempotencyKey` may be sent again after a crash; adapters pass it to providers that dedupe.
 */
export interface MessageChannel {
  readonly name: string;
  /**
   * The provider drops a second send of the same outbox message (the sandbox records one delivery per
   * message), so no crash can make a message reach its recipient twice. The dispatcher then commits the
   * send-started mark alongside the call rather than before it (bot/core/outbox/dispatch-outbox.ts).
   * Absent (SMS, WeCom, WeChat): the mark is committed before the provider is called.
   */
  readonly dropsDuplicateSends?: boolean;
  send(request: SendRequest): Promise<SendResult>;
  /**
   * What became of an attempt that was handed to the provider at `startedAt` and never got an answer
   * (the dispatcher died mid-send). Asked before the message is sent again; without it the outbox
   * cannot tell, and holds the message as UNCERTAIN for a person.
   */
  checkInterruptedSend?(request: SendRequest, startedAt: Date, now: Date): Promise<InterruptedSendCheck>;
}

/**
 * A channel's verdict on an interrupted send: `sent` (the provider has it: recorded as SENT, never sent
 * again), `resend` (sending again cannot reach the recipient twice: the provider drops duplicates),
 * `wait` (the provider may still report it: ask again at `until`), `unknown` (a person must decide).
 */
export type InterruptedSendCheck =
  | { verdict: 'sent'; providerMessageId: string | null; evidence: string }
  | { verdict: 'resend'; evidence: string }
  | { verdict: 'wait'; until: Date; evidence: string }
  | { verdict: 'unknown'; evidence: string };
