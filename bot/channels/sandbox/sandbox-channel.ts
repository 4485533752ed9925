import type { Clock } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult } from '../../core/messages.js';
import type { ChannelName } from '../../core/model.js';

/** One message as the sandbox delivered it. */
export interface SandboxDelivery {
  channel: ChannelName;
  /** The WeCom UserID, phone (E.164) or openid the message was addressed to. */
  address: string;
  outboxMessageId: string;
  kind: string;
  /** The message as JSON. */
  content: string;
  deliveredAt: Date;
}

/** Where sandbox deliveries are kept (the `SandboxDelivery` table, bot/db/sandbox-store.ts). */
export interface SandboxDeliveryLog {
  /** Records the delivery unless its outbox message was delivered before; returns the delivery's id. */
  recordDelivery(delivery: SandboxDelivery): Promise<string>;
}

/**
 * Sandbox delivery: instead of WeCom / Tencent SMS / WeChat, messages land in the `SandboxDelivery`
 * table and are shown at /sandbox (staff WeCom inboxes and customer phones). Delivery is idempotent
 * per outbox message, like the real providers' dedupe.
 */
export class SandboxChannel implements MessageChannel {
  readonly name: string;
  /** One delivery per outbox message (the `SandboxDelivery.outboxMessageId` unique key). */
  readonly dropsDuplicateSends = true;
  constructor(
    private readonly channel: ChannelName,
    private readonly deliveries: SandboxDeliveryLog,
    private readonly clock: Clock,
  ) {
    this.name = `sandbox-${channel}`;
  }

  /** A delivery is recorded once per outbox message, so sending again after a crash cannot show it twice. */
  async checkInterruptedSend(): Promise<InterruptedSendCheck> {
    return { verdict: 'resend', evidence: 'the sandbox records one delivery per outbox message' };
  }

  async send(request: SendRequest): Promise<SendResult> {
    const m = request.message;
    let address: string;
    switch (m.kind) {
      case 'task_card':
      case 'card_update':
      case 'staff_text':
      case 'staff_document':
      case 'staff_markdown':
        address = m.to.wecomUserId;
        break;
      case 'survey_invite':
      case 'customer_notice':
        address = (this.channel === 'wechat' ? m.to.openId : m.to.phoneE164) ?? '';
        break;
      case 'webhook':
        address = m.to.url;
        break;
    }
    if (!address) throw new ChannelError(this.name, 'permanent', 'NO_ADDRESS', 'The message has no address for this channel');
    try {
      const id = await this.deliveries.recordDelivery({
        channel: this.channel,
        address,
        outboxMessageId: request.messageId,
        kind: m.kind,
        content: JSON.stringify(m),
        deliveredAt: this.clock.now(),
      });
      return { providerMessageId: `sandbox-${id}` };
    } catch (err) {
      throw new ChannelError(this.name, 'retryable', 'SANDBOX_WRITE_FAILED', 'Could not record the sandbox delivery', { cause: err });
    }
  }
}
