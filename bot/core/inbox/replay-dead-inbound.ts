import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import { INBOUND_MAX_ATTEMPTS } from './process-inbound.js';

/**
 * Puts a DEAD inbound event back in the inbox (RECEIVED, attempts reset) after an operator fixed its
 * cause; the inbox job processes it within a minute. Throws `INBOUND_NOT_DEAD` for an event that is not DEAD.
 */
export async function replayDeadInbound(deps: Pick<CoreDeps, 'inbox'>, eventId: string): Promise<void> {
  if (!(await deps.inbox.replayInbound(eventId, INBOUND_MAX_ATTEMPTS))) {
    throw new DomainError('INBOUND_NOT_DEAD', `Inbound event ${eventId} is not dead (see huifang inbox dead)`, { eventId });
  }
}
