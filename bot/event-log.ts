import type { Logger } from './logger.js';
import type { HuifangEvents } from './core/events.js';
import type { ClaimedOutboxMessage } from './core/ports/outbox.js';

/**
 * Logs the lifecycle events (STYLE L3, L5): `info` for what was delivered or handled, `warn` for what is
 * retried or refused, `error` where a person must act (a dead message, a provider configuration to fix,
 * an inbound event that failed). One line per event, where it is recorded.
 */
export function logLifecycleEvents(events: HuifangEvents, logger: Logger): void {
  const fields = (m: ClaimedOutboxMessage) => ({ outboxId: m.id, channel: m.channel, kind: m.message.kind, attempt: m.attempt });
  // One per message sent: its fields are not even gathered when `info` is not logged.
  events.on('outbox:sent', ({ message, providerMessageId }) => {
    if (logger.isLevelEnabled('info')) logger.info({ ...fields(message), providerMessageId }, 'outbox message sent');
  });
  events.on('outbox:cancelled', ({ message, reason }) =>
    logger.info({ ...fields(message), reason }, reason === 'PAST_DEADLINE' ? 'outbox message expired: it could not be sent before its deadline' : 'outbox message cancelled: consent no longer allows it'),
  );
  events.on('outbox:deferred', ({ message, reason, until }) => logger.info({ ...fields(message), reason, until }, 'customer message held back to the next allowed time'));
  events.on('outbox:retried', ({ message, error, nextAttemptAt, blocked }) => {
    // A person must act (credentials, 企业可信IP, permissions); the message waits meanwhile.
    if (blocked) logger.error({ ...fields(message), err: error, nextAttemptAt }, 'outbox message blocked: provider configuration must be fixed');
    else logger.warn({ ...fields(message), err: error, nextAttemptAt }, 'outbox message failed, will retry');
  });
  events.on('outbox:uncertain', ({ message, evidence }) =>
    logger.error({ ...fields(message), evidence }, 'outbox message uncertain: a crash interrupted its send; decide with huifang outbox resend|settle'),
  );
  events.on('outbox:dead', ({ message, error, replacementQueued }) => {
    if (replacementQueued) logger.warn({ ...fields(message), err: error }, 'outbox message dead: replaced by another message');
    else logger.error({ ...fields(message), err: error }, 'outbox message dead: gave up');
  });
  events.on('inbox:processed', ({ eventId, source, kind, status, result, reason }) => {
    const context = { inboundEventId: eventId, source, kind };
    if (status === 'REJECTED') logger.warn({ ...context, code: result?.code, reason }, 'inbound event rejected');
    else logger.info({ ...context, status }, 'inbound event processed');
  });
  events.on('inbox:failed', ({ eventId, source, kind, error, nextAttemptAt }) => {
    if (nextAttemptAt) logger.warn({ inboundEventId: eventId, source, kind, err: error, nextAttemptAt }, 'inbound event failed; the inbox job will retry');
    else logger.error({ inboundEventId: eventId, source, kind, err: error }, 'inbound event dead: attempts used up; replay with huifang inbox replay ID');
  });
  events.on('escalation:opened', (e) => logger.info({ escalationId: e.escalationId, caseId: e.caseId, reason: e.reason, level: e.level, ownerId: e.ownerId }, 'escalation opened'));
  events.on('escalation:climbed', (e) => logger.warn({ escalationId: e.escalationId, fromLevel: e.fromLevel, toLevel: e.toLevel, ownerId: e.ownerId }, 'escalation climbed past its deadline'));
  events.on('escalation:breached', (e) => logger.error({ escalationId: e.escalationId, level: e.level, ownerId: e.ownerId }, 'escalation breached: past the deadline at the top of its chain'));
  events.on('escalation:acknowledged', (e) => logger.info({ escalationId: e.escalationId, staffId: e.byStaffId }, 'escalation acknowledged'));
  events.on('escalation:resolved', (e) => logger.info({ escalationId: e.escalationId, staffId: e.byStaffId, secondFollowUpId: e.secondFollowUpId }, 'escalation resolved'));
}
