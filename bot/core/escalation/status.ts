import { DomainError } from '../errors.js';
import type { EscalationStatus } from '../model.js';

/**
 * Escalation lifecycle:
 *
 *   OPEN ──acknowledge──► ACKNOWLEDGED ──resolve (note)──► RESOLVED ──second follow-up outcome──► CLOSED
 *     └──────────────────resolve (note)──────────────────────┘
 *
 * Climbing a level (deadline passed) keeps the state OPEN, or sets an ACKNOWLEDGED one back to OPEN
 * for its new owner. Closing needs the outcome of the second follow-up (二次回访).
 */
export const ESCALATION_TRANSITIONS: Readonly<Record<EscalationStatus, readonly EscalationStatus[]>> = {
  OPEN: ['ACKNOWLEDGED', 'RESOLVED', 'OPEN'],
  ACKNOWLEDGED: ['RESOLVED', 'OPEN'],
  RESOLVED: ['CLOSED'],
  CLOSED: [],
};

export function assertEscalationTransition(from: EscalationStatus, to: EscalationStatus): void {
  if (!ESCALATION_TRANSITIONS[from].includes(to)) {
    throw new DomainError('INVALID_ESCALATION_TRANSITION', `An escalation cannot go from ${from} to ${to}`, { from, to });
  }
}
