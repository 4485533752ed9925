import type { Clock, IdGenerator } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { MessageChannel, SendRequest, SendResult } from '../../core/messages.js';
import type { ChannelName } from '../../core/model.js';
import type { PrismaClient } from '../../db/client.js';
import { isUniqueViolation } from '../../db/prisma-store.js';

/**
 * Sandbox delivery: instead of WeCom / Tencent SMS / WeChat, messages land in the `SandboxDelivery`
 * table and are shown at /sandbox (staff WeCom inboxes and customer phones). Delivery is idempotent
 * per outbox message, like the real providers' dedupe.
 */
export class SandboxChannel implements MessageChannel {
  readonly name: string;
  constructor(
    private readonly channel: ChannelName,
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.name = `sandbox-${channel}`;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const m = request.message;
    let address: string;
    switch (m.kind) {
      case 'task_card':
      case 'card_update':
      case 'staff_text':
      case 'staff_markdown':
        address = m.to.wecomUserId;
        break;
      case 'survey_invite':
      case 'customer_notice':
        address = (this.channel === 'wechat' ? m.to.openId : m.to.phoneE164) ?? '';
        break;
    }
    if (!address) throw new ChannelError(this.name, 'permanent', 'NO_ADDRESS', 'The message has no address for this channel');
    const id = this.ids.next();
    try {
      await this.prisma.sandboxDelivery.create({
        data: { id, channel: this.channel, address, outboxMessageId: request.messageId, kind: m.kind, content: JSON.stringify(m), deliveredAt: this.clock.now() },
      });
      return { providerMessageId: `sandbox-${id}` };
    } catch (err) {
      if (isUniqueViolation(err)) {
        const existing = await this.prisma.sandboxDelivery.findUniqueOrThrow({ where: { outboxMessageId: request.messageId }, select: { id: true } });
        return { providerMessageId: `sandbox-${existing.id}` };
      }
      throw new ChannelError(this.name, 'retryable', 'SANDBOX_WRITE_FAILED', 'Could not record the sandbox delivery', { cause: err });
    }
  }
}
