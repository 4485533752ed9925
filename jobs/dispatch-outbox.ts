import type { Huifang } from '../bot/huifang.js';
import { dispatchOutbox } from '../bot/core/outbox/dispatch-outbox.js';
import { ChannelError } from '../bot/core/errors.js';

/** Every 10 seconds: send what the outbox holds (off WeCom's congested :00/:30 marks). */
export const schedule = '3,13,23,33,43,53 * * * * *';

export async function run(app: Huifang) {
  return dispatchOutbox(app.deps, {
    channels: app.channels,
    jitter: app.jitter,
    onAttempt: ({ message, outcome, error, providerMessageId, reason, fallbackQueued }) => {
      const fields = { outboxId: message.id, channel: message.channel, kind: message.message.kind, attempt: message.attempt, providerMessageId };
      if (outcome === 'SENT') app.logger.info(fields, 'outbox message sent');
      else if (outcome === 'CANCELLED') app.logger.info({ ...fields, reason }, 'outbox message cancelled: consent no longer allows it');
      else if (outcome === 'DEAD' && fallbackQueued) app.logger.warn({ ...fields, err: error }, 'outbox message dead: survey invitation falls back to SMS');
      else if (outcome === 'RETRY' && error instanceof ChannelError && error.kind === 'auth') {
        // A person must act (credentials, 企业可信IP, permissions); the message waits meanwhile.
        app.logger.error({ ...fields, err: error }, 'outbox message blocked: provider configuration must be fixed');
      } else if (outcome === 'RETRY') app.logger.warn({ ...fields, err: error }, 'outbox message failed, will retry');
      else app.logger.error({ ...fields, err: error }, 'outbox message dead: gave up');
    },
  });
}
