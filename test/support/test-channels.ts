// Small MessageChannel implementations for injecting provider behaviour (STYLE T3: fake only the
// process boundary). Each records what it was asked to send.
import { ChannelError, type ChannelErrorKind } from '../../bot/core/errors.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult } from '../../bot/core/messages.js';

/** Accepts everything and counts sends per outbox message id. */
export class CountingChannel implements MessageChannel {
  readonly name = 'test-counting';
  readonly sends: SendRequest[] = [];
  async send(request: SendRequest): Promise<SendResult> {
    // Yield so that concurrent dispatchers really interleave.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sends.push(request);
    return { providerMessageId: `test-${this.sends.length}` };
  }
  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.sends) counts.set(s.messageId, (counts.get(s.messageId) ?? 0) + 1);
    return counts;
  }
}

/** A counting channel of a provider that drops duplicates: after a crash mid-send it is safe to send again. */
export class DedupingChannel extends CountingChannel {
  async checkInterruptedSend(): Promise<InterruptedSendCheck> {
    return { verdict: 'resend', evidence: 'the test provider drops duplicates' };
  }
}

/**
 * A counting channel whose sends wait until `gate` opens: a replica given this channel holds its first
 * claim until the other replica has sent something, so both provably take part.
 */
export class GatedChannel extends CountingChannel {
  constructor(private readonly gate: Promise<void>) {
    super();
  }
  override async send(request: SendRequest): Promise<SendResult> {
    await this.gate;
    return super.send(request);
  }
}

/** Throws `ChannelError('test', kind, code, …)` for the first `failures` sends of each message, then accepts. */
export class FailingChannel implements MessageChannel {
  readonly name = 'test-failing';
  readonly sends: SendRequest[] = [];
  readonly #failuresById = new Map<string, number>();
  constructor(
    private readonly failures: number,
    private readonly kind: ChannelErrorKind,
    private readonly code = 'X',
    /** The wait the error names (a rate limit's retry-after), if any. */
    private readonly retryAfterMs?: number,
  ) {}
  async send(request: SendRequest): Promise<SendResult> {
    this.sends.push(request);
    const failed = this.#failuresById.get(request.messageId) ?? 0;
    if (failed < this.failures) {
      this.#failuresById.set(request.messageId, failed + 1);
      throw new ChannelError('test', this.kind, this.code, `injected ${this.kind} failure ${failed + 1}`, this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs });
    }
    return { providerMessageId: `ok-${request.messageId}-${request.attempt}` };
  }
}

/**
 * A channel whose sends hang until released: simulates a dispatcher stuck (or dead) mid-send.
 * `started` resolves once the first send has begun.
 */
export class HangingChannel implements MessageChannel {
  readonly name = 'test-hanging';
  readonly sends: SendRequest[] = [];
  readonly started: Promise<void>;
  #markStarted!: () => void;
  #release!: () => void;
  readonly #released: Promise<void>;
  constructor() {
    this.started = new Promise<void>((resolve) => (this.#markStarted = resolve));
    this.#released = new Promise<void>((resolve) => (this.#release = resolve));
  }
  async send(request: SendRequest): Promise<SendResult> {
    this.sends.push(request);
    this.#markStarted();
    await this.#released;
    return { providerMessageId: `late-${request.messageId}` };
  }
  release(): void {
    this.#release();
  }
}
