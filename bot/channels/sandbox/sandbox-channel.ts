import type { Clock, IdGenerator } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult } from '../../core/messages.js';
import type { ChannelName } from '../../core/model.js';

/**
 * Sandbox delivery: instead of WeCom / Tencent SMS / WeChat, messages land in the `SandboxDelivery`
 * table and are shown at /sandbox (staff WeCom inboxes and customer phones). The delivery is written with
 * the message's SENT outcome, in the same commit (`SendResult.recordedDelivery`): one per outbox message
 * (its unique key), and none for a send whose outcome was never recorded.
 */
export class SandboxChannel implements MessageChannel {
  readonly name: string;
  /** One delivery per outbox message (the `SandboxDelivery.outboxMessageId` unique key). */
  readonly dropsDuplicateSends = true;
  constructor(
    private readonly channel: ChannelName,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {
    this.name = `sandbox-${channel}`;
  }

  /** A delivery is recorded only with the message's SENT outcome, so an interrupted send delivered nothing. */
  async checkInterruptedSend(): Promise<InterruptedSendCheck> {
    return { verdict: 'resend', evidence: 'the sandbox records a delivery only with its SENT outcome' };
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
    const id = this.ids.next();
    const recordedDelivery = { id, channel: this.channel, address, outboxMessageId: request.messageId, kind: m.kind, content: JSON.stringify(m), deliveredAt: this.clock.now() };
    return { providerMessageId: `sandbox-${id}`, recordedDelivery };
  }
}
