import { ChannelError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult } from '../../core/messages.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

export interface WebhookChannelOptions {
  /** The secret of an active subscription, or null once it was removed. */
  secretOf: (subscriptionId: string) => Promise<string | null>;
  clock: Clock;
  /** HTTP function [globalThis.fetch]. */
  fetch?: typeof globalThis.fetch;
  /** Per-delivery timeout in ms, covering connect, answer and body [10 000]. */
  timeoutMs?: number;
  /** The `User-Agent` sent. */
  userAgent?: string;
}

/** Longest wait a `Retry-After` may ask for before the next attempt (1 hour). */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Delivers webhook events (docs/webhooks.md): a JSON POST signed with the subscription's secret
 * (`Huifang-Signature: t=…,v1=…`), never following a redirect. 2xx is delivered; 408, 429, 5xx and
 * network failures are retried (429 after its `Retry-After`); any other answer is permanent.
 */
export class WebhookChannel implements MessageChannel {
  readonly name = 'webhook';
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;

  constructor(private readonly options: WebhookChannelOptions) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * Webhook delivery is at-least-once by contract (docs/webhooks.md): a receiver drops a repeated
   * `Huifang-Event-Id`, so an interrupted delivery is simply made again.
   */
  async checkInterruptedSend(): Promise<InterruptedSendCheck> {
    return { verdict: 'resend', evidence: 'webhook receivers deduplicate by Huifang-Event-Id' };
  }

  async send(request: SendRequest): Promise<SendResult> {
    const message = request.message;
    if (message.kind !== 'webhook') throw new ChannelError('webhook', 'permanent', 'UNSUPPORTED_KIND', `The webhook channel cannot send "${message.kind}"`);
    const secret = await this.options.secretOf(message.to.subscriptionId);
    if (secret === null) throw new ChannelError('webhook', 'permanent', 'SUBSCRIPTION_REMOVED', `Webhook subscription ${message.to.subscriptionId} was removed`);
    const body = JSON.stringify(message.event);
    const timestamp = Math.floor(this.options.clock.now().getTime() / 1000);
    let response: Response;
    try {
      response = await this.#fetch(message.to.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': this.options.userAgent ?? 'Huifang-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, body),
          [EVENT_ID_HEADER]: message.event.id,
          'Huifang-Event-Type': message.event.type,
        },
        body,
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new ChannelError('webhook', 'retryable', timedOut ? 'TIMEOUT' : 'NETWORK', `Webhook delivery to ${hostOf(message.to.url)} failed: ${timedOut ? 'no answer in time' : (err as Error).message}`, { cause: err });
    }
    // The body is not read beyond what closes the connection: receivers answer as they like.
    await response.body?.cancel().catch(() => {});
    const status = response.status;
    if (status >= 200 && status < 300) return { providerMessageId: null };
    const where = `Webhook delivery to ${hostOf(message.to.url)} answered HTTP ${status}`;
    if (status === 429) throw new ChannelError('webhook', 'rate_limited', 'HTTP_429', where, { retryAfterMs: retryAfterMs(response.headers.get('retry-after'), this.options.clock.now()) ?? 60_000 });
    if (status === 408 || status >= 500) throw new ChannelError('webhook', 'retryable', `HTTP_${status}`, where);
    if (status >= 300 && status < 400) throw new ChannelError('webhook', 'permanent', `HTTP_${status}`, `${where} (a redirect; redirects are not followed: subscribe the final URL)`);
    throw new ChannelError('webhook', 'permanent', `HTTP_${status}`, where);
  }
}

/** A `Retry-After` header (seconds or an HTTP date) in ms, capped; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now.getTime();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Only the host in errors and logs: a URL's path or query may carry a receiver's token. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}
