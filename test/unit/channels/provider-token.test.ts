// The access-token cache shared by the WeCom and WeChat clients, driven by a fake clock and a scripted
// token endpoint (the provider's side, not one of our modules).
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { ProviderTokenCache, ProviderTokenStore, type FetchedToken, type ProviderTokenCacheOptions } from '../../../bot/channels/provider-token.js';

const LIFETIME_S = 7200;
const MARGIN_MS = 5 * 60_000;

/** A token endpoint: issues `t1`, `t2` … valid for two hours, or answers with what the test queued. */
class TokenEndpoint {
  readonly requests: { force: boolean }[] = [];
  readonly #answers: (ChannelError | 'same' | Promise<void>)[] = [];
  #issued = 0;

  /** The next request fails with `error`, answers with the current token again (`same`), or waits for `gate`. */
  queue(answer: ChannelError | 'same' | Promise<void>): void {
    this.#answers.push(answer);
  }

  readonly fetchToken = async (force: boolean): Promise<FetchedToken> => {
    this.requests.push({ force });
    const next = this.#answers.shift();
    if (next instanceof ChannelError) throw next;
    if (next instanceof Promise) await next;
    if (next !== 'same') this.#issued++;
    return { token: `t${this.#issued}`, expiresInSeconds: LIFETIME_S };
  };
}

const badSecret = () => new ChannelError('wecom', 'auth', '40001', 'WeCom /cgi-bin/gettoken failed with errcode 40001 INVALID_SECRET');
const unreachable = () => new ChannelError('wecom', 'retryable', 'NETWORK', 'WeCom /cgi-bin/gettoken could not be reached (ECONNREFUSED)');

function setup(options: Partial<ProviderTokenCacheOptions> = {}) {
  const clock = new FakeClock('2026-11-02T01:30:00.000Z');
  const endpoint = new TokenEndpoint();
  const cache = new ProviderTokenCache({ provider: 'wecom', fetchToken: endpoint.fetchToken, clock, refreshMarginMs: MARGIN_MS, ...options });
  return { clock, endpoint, cache };
}

/** What `promise` rejected with; the assertion fails if it resolved or threw anything but a ChannelError. */
async function channelError(promise: Promise<unknown>): Promise<ChannelError> {
  const error: unknown = await promise.then(() => 'resolved', (e: unknown) => e);
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

/** A call that the provider answers with `rejected` for the tokens in `stale`, and with `ok` otherwise. */
function providerCall(stale: Set<string>) {
  const sent: string[] = [];
  const attempt = async (token: string) => {
    sent.push(token);
    return stale.has(token) ? { errcode: 42001 } : { errcode: 0 };
  };
  const rejectedWith = (result: { errcode: number }) => (result.errcode === 42001 ? result.errcode : undefined);
  return { sent, attempt, rejectedWith };
}

describe('ProviderTokenCache', () => {
  it('reuses a token while more than the margin remains', async () => {
    const { clock, endpoint, cache } = setup();
    expect(await cache.token()).toBe('t1');
    clock.advance(LIFETIME_S * 1000 - MARGIN_MS - 1_000);
    expect(await cache.token()).toBe('t1');
    expect(cache.current()).toBe('t1');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('refreshes early, once less than the margin remains', async () => {
    const { clock, endpoint, cache } = setup();
    await cache.token();
    clock.advance(LIFETIME_S * 1000 - MARGIN_MS);
    expect(await cache.token()).toBe('t2');
    expect(endpoint.requests).toEqual([{ force: false }, { force: false }]);
  });

  it('fetches one token for many concurrent callers (single flight)', async () => {
    const { endpoint, cache } = setup();
    let open!: () => void;
    endpoint.queue(new Promise<void>((resolve) => (open = resolve)));
    const callers = Array.from({ length: 8 }, () => cache.token());
    open();
    expect(await Promise.all(callers)).toEqual(Array(8).fill('t1'));
    expect(endpoint.requests).toHaveLength(1);
  });

  it('shares a token between caches of one store and key', async () => {
    const store = new ProviderTokenStore();
    const { clock, endpoint, cache } = setup({ store, key: 'ww1:1000002' });
    const other = new ProviderTokenCache({ provider: 'wecom', fetchToken: endpoint.fetchToken, clock, refreshMarginMs: MARGIN_MS, store, key: 'ww1:1000002' });
    const elsewhere = new ProviderTokenCache({ provider: 'wecom', fetchToken: endpoint.fetchToken, clock, refreshMarginMs: MARGIN_MS, store, key: 'ww1:1000003' });
    expect(await Promise.all([cache.token(), other.token()])).toEqual(['t1', 't1']);
    expect(await elsewhere.token()).toBe('t2');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('after a configuration error, fails at once without asking the provider until the hold has passed', async () => {
    const { clock, endpoint, cache } = setup({ authFailureHoldMs: 60_000 });
    endpoint.queue(badSecret());
    expect(await channelError(cache.token())).toMatchObject({ kind: 'auth', providerCode: '40001' });
    const held = await channelError(cache.token());
    expect(held).toMatchObject({ provider: 'wecom', kind: 'auth', providerCode: '40001' });
    expect(held.message).toContain('not retried until 2026-11-02T01:31:00.000Z');
    clock.advance(59_999);
    await channelError(cache.token());
    expect(endpoint.requests).toHaveLength(1);
    clock.advance(1);
    expect(await cache.token()).toBe('t1');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('does not hold after a transport failure', async () => {
    const { endpoint, cache } = setup();
    endpoint.queue(unreachable());
    expect(await channelError(cache.token())).toMatchObject({ kind: 'retryable', providerCode: 'NETWORK' });
    expect(await cache.token()).toBe('t1');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('keeps using a token close to its expiry while the provider cannot be reached, and not after it expired', async () => {
    const { clock, endpoint, cache } = setup();
    await cache.token();
    clock.advance(LIFETIME_S * 1000 - 60_000);
    endpoint.queue(unreachable());
    expect(await cache.token()).toBe('t1');
    clock.advance(60_000);
    endpoint.queue(unreachable());
    expect(await channelError(cache.token())).toMatchObject({ providerCode: 'NETWORK' });
  });

  it('on a rejected token drops it, fetches a fresh one and retries once', async () => {
    const { endpoint, cache } = setup();
    const call = providerCall(new Set(['t1']));
    expect(await cache.withToken('/cgi-bin/message/send', call.attempt, call.rejectedWith)).toEqual({ result: { errcode: 0 }, tokensUsed: ['t1', 't2'] });
    expect(call.sent).toEqual(['t1', 't2']);
    expect(endpoint.requests).toHaveLength(2);
    // The fresh token is kept for the next call.
    expect(await cache.withToken('/cgi-bin/message/send', call.attempt, call.rejectedWith)).toEqual({ result: { errcode: 0 }, tokensUsed: ['t2'] });
  });

  it('retries a rejected token only once and hands back the second answer', async () => {
    const { endpoint, cache } = setup();
    const call = providerCall(new Set(['t1', 't2', 't3']));
    expect(await cache.withToken('/cgi-bin/message/send', call.attempt, call.rejectedWith)).toEqual({ result: { errcode: 42001 }, tokensUsed: ['t1', 't2'] });
    expect(call.sent).toEqual(['t1', 't2']);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('does not refresh for other answers', async () => {
    const { endpoint, cache } = setup();
    const call = providerCall(new Set());
    expect(await cache.withToken('/cgi-bin/message/send', call.attempt, call.rejectedWith)).toEqual({ result: { errcode: 0 }, tokensUsed: ['t1'] });
    expect(endpoint.requests).toHaveLength(1);
  });

  it('forces one refresh when the provider hands back the token it rejected, at most once per interval', async () => {
    const { clock, endpoint, cache } = setup({ forceRefreshIntervalMs: 60_000 });
    const stale = new Set(['t1']);
    const call = providerCall(stale);
    await cache.token();
    endpoint.queue('same');
    expect(await cache.withToken('/cgi-bin/message/template/send', call.attempt, call.rejectedWith)).toMatchObject({ result: { errcode: 0 }, tokensUsed: ['t1', 't2'] });
    expect(endpoint.requests).toEqual([{ force: false }, { force: false }, { force: true }]);

    // Within the interval the token handed back is used as it is.
    stale.add('t2');
    clock.advance(30_000);
    endpoint.queue('same');
    expect(await cache.withToken('/cgi-bin/message/template/send', call.attempt, call.rejectedWith)).toMatchObject({ result: { errcode: 42001 }, tokensUsed: ['t2', 't2'] });
    expect(endpoint.requests).toHaveLength(4);
  });

  it('never forces a refresh without an interval', async () => {
    const { endpoint, cache } = setup();
    const call = providerCall(new Set(['t1']));
    await cache.token();
    endpoint.queue('same');
    expect(await cache.withToken('/cgi-bin/message/send', call.attempt, call.rejectedWith)).toMatchObject({ result: { errcode: 42001 }, tokensUsed: ['t1', 't1'] });
    expect(endpoint.requests).toEqual([{ force: false }, { force: false }]);
  });
});
