import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';

/** Who decided (the command line acts as the service itself, with actor id `cli`). */
export interface UncertainResolver {
  actorType: 'SYSTEM' | 'STAFF';
  actorId: string | null;
}

/**
 * A person's decision on a message held as UNCERTAIN (a send a crash interrupted and the provider could
 * not confirm): `resend` queues it again at once (one more attempt allowed), `settle` records it as sent
 * (the provider's console shows it arrived). Audited as `outbox.resend` / `outbox.settle` with the
 * note. Throws `OUTBOX_NOT_UNCERTAIN` for a message that is not (or no longer) UNCERTAIN.
 */
export async function resolveUncertainMessage(
  deps: Pick<CoreDeps, 'clock' | 'outbox'>,
  messageId: string,
  decision: 'resend' | 'settle',
  by: UncertainResolver,
  note: string | null = null,
): Promise<void> {
  const at = deps.clock.now();
  const ok = await deps.outbox.resolveUncertain(messageId, decision, {
    at,
    actorType: by.actorType,
    actorId: by.actorId,
    action: `outbox.${decision}`,
    entityType: 'OutboxMessage',
    entityId: messageId,
    details: note ? { note } : {},
  });
  if (!ok) throw new DomainError('OUTBOX_NOT_UNCERTAIN', `Outbox message ${messageId} is not held as uncertain (see huifang outbox uncertain)`, { messageId });
}
