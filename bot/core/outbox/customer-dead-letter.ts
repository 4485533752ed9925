import { INVALID_NUMBER } from '../errors.js';
import type { DeadLetterHook } from '../ports/outbox.js';

/**
 * A customer message that died because the provider refused the phone number for good marks the
 * number invalid: no further SMS goes to it until the customer's phone changes.
 */
export const customerMessageDeadLetter: DeadLetterHook = ({ errorCode }) => (errorCode === INVALID_NUMBER ? { invalidRecipientPhone: true } : {});
