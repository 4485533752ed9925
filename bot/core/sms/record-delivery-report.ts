import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';

/** A delivery report for one SMS, as the SMS edge (callback or pull) records it. */
export interface SmsDeliveryReport {
  /** The provider's message id (Tencent `sid` / `SerialNo`). */
  providerMessageId: string;
  /** The outbox idempotency key, when the provider echoes it. */
  idempotencyKey: string | null;
  status: 'DELIVERED' | 'FAILED';
  /** Carrier status code and description. */
  reportCode: string | null;
  description: string | null;
  /** When the customer received it, if the provider says. */
  userReceivedAt: Date | null;
  /** When the report reached us. */
  receivedAt: Date;
  /** The number does not exist (as the carrier reported it). */
  invalidNumber: boolean;
}

export interface SmsDeliveryReportResult {
  status: 'recorded';
  outboxId: string;
  deliveryStatus: 'DELIVERED' | 'FAILED';
  /** Whether this report marked the customer's phone invalid. */
  phoneMarkedInvalid: boolean;
}

/**
 * Records a delivery report on the outbox message it belongs to: `deliveryStatus`, the carrier's
 * error for a failure, `deliveredAt` for a delivery. A report saying the number does not exist marks the
 * customer's phone invalid (no further SMS until the number changes). Idempotent. A report for a
 * message we do not know is rejected with `UNKNOWN_MESSAGE` — the inbox keeps it with the reason.
 */
export async function recordDeliveryReport(deps: Pick<CoreDeps, 'outbox'>, report: SmsDeliveryReport): Promise<SmsDeliveryReportResult> {
  const error = report.status === 'FAILED' ? [report.reportCode, report.description].filter(Boolean).join(' ').slice(0, 500) || 'FAILED' : null;
  const result = await deps.outbox.recordDeliveryReport({
    providerMessageId: report.providerMessageId,
    idempotencyKey: report.idempotencyKey,
    status: report.status,
    error,
    at: report.userReceivedAt ?? report.receivedAt,
    invalidNumber: report.status === 'FAILED' && report.invalidNumber,
  });
  if (!result.found) {
    throw new DomainError('UNKNOWN_MESSAGE', 'Delivery report for a message this service did not send', { providerMessageId: report.providerMessageId });
  }
  return { status: 'recorded', outboxId: result.outboxId, deliveryStatus: report.status, phoneMarkedInvalid: result.phoneMarkedInvalid };
}
