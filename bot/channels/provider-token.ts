import type { Clock } from '../core/clock.js';
import { ChannelError } from '../core/errors.js';
import type { Logger } from '../logger.js';

/** An access token and the instant it expires, in ms since the epoch. */
export interface ProviderToken {
  token: string;
  expiresAtMs: number;
}

/** What a token request returned: the token and its lifetime in seconds (`expires_in`). */
export interface FetchedToken {
  token: string;
  expiresInSeconds: number;
}

/**
 * Access tokens by key (e.g. `corpid:agentid`), each fetched by one request however many callers need
 * it at once (single flight). Share one store between clients of the same application so that they
 * share its token; with several replicas each process holds its own (WeCom and WeChat's stable token
 * allow that, only the token APIs themselves are rate limited).
 */
export class ProviderTokenStore {
  readonly #tokens = new Map<string, ProviderToken>();
  readonly #inFlight = new Map<string, Promise<ProviderToken>>();

  get(key: string): ProviderToken | undefined {
    return this.#tokens.get(key);
  }

  /** Runs `fetchToken` unless a fetch for `key` is already running, whose result is shared. */
  refresh(key: string, fetchToken: () => Promise<ProviderToken>): Promise<ProviderToken> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const promise = fetchToken()
      .then((entry) => {
        this.#tokens.set(key, entry);
        return entry;
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return promise;
  }

  /** Forgets `token` if it is still the cached one (a concurrent caller may have replaced it already). */
  drop(key: string, token: string): void {
    if (this.#tokens.get(key)?.token === token) this.#tokens.delete(key);
  }
}

/** Options of {@link ProviderTokenCache}. Durations are in ms. */
export interface ProviderTokenCacheOptions {
  /** The provider's name (`wecom`, `wechat`): `ChannelError.provider` of held errors and the prefix of log messages. */
  provider: string;
  /**
   * Asks the provider for a token; `force` asks for a new one even while the current one is valid
   * (WeChat's stable token). Throws a classified `ChannelError`; one of kind `auth` starts the hold-off.
   */
  fetchToken: (force: boolean) => Promise<FetchedToken>;
  /** Clock for expiry, early refresh and the hold-off [the system clock]. */
  clock?: Clock | undefined;
  /** Refresh the token when less than this remains. */
  refreshMarginMs: number;
  /**
   * After a token request fails with a configuration error (`auth`: bad secret, corp id, IP …), calls
   * needing a token fail at once with that error, without reaching the provider, for this long [60 000]:
   * a wrong secret retried in a loop can get the server's IP blocked.
   */
  authFailureHoldMs?: number | undefined;
  /**
   * When the provider hands back the very token it has just rejected, force one refresh, at most once
   * per this interval. Unset: never force (the fresh token is used whatever it is).
   */
  forceRefreshIntervalMs?: number | undefined;
  /** Where the token lives; pass one store to clients of the same application [a new one]. */
  store?: ProviderTokenStore | undefined;
  /** The token's key in `store` [`default`]. */
  key?: string | undefined;
  logger?: Logger | undefined;
}

const DEFAULT_AUTH_FAILURE_HOLD_MS = 60_000;
const wallClock: Clock = { now: () => new Date() };

/**
 * The access token of one provider application, as the provider's clients need it (STYLE A7):
 *
 * - reused while more than `refreshMarginMs` remain, then fetched again, once however many callers
 *   ask at the same time (single flight, through {@link ProviderTokenStore});
 * - a token merely close to its expiry is still used while the provider cannot be reached;
 * - after a token request fails with a configuration error, no token request is made for
 *   `authFailureHoldMs`: callers get that error at once;
 * - {@link withToken} runs a call with the token and, when the provider rejects the token as stale,
 *   drops it, gets a fresh one and runs the call once more.
 *
 * Tokens never appear in a log line or an error message (STYLE C5).
 */
export class ProviderTokenCache {
  readonly #provider: string;
  readonly #fetchToken: (force: boolean) => Promise<FetchedToken>;
  readonly #clock: Clock;
  readonly #refreshMarginMs: number;
  readonly #authFailureHoldMs: number;
  readonly #forceRefreshIntervalMs: number | undefined;
  readonly #store: ProviderTokenStore;
  readonly #key: string;
  readonly #log: Logger | undefined;
  #authFailure: { error: ChannelError; untilMs: number } | null = null;
  #lastForceRefreshMs = Number.NEGATIVE_INFINITY;

  constructor(options: ProviderTokenCacheOptions) {
    this.#provider = options.provider;
    this.#fetchToken = options.fetchToken;
    this.#clock = options.clock ?? wallClock;
    this.#refreshMarginMs = options.refreshMarginMs;
    this.#authFailureHoldMs = options.authFailureHoldMs ?? DEFAULT_AUTH_FAILURE_HOLD_MS;
    this.#forceRefreshIntervalMs = options.forceRefreshIntervalMs;
    this.#store = options.store ?? new ProviderTokenStore();
    this.#key = options.key ?? 'default';
    this.#log = options.logger;
  }

  /** The cached token, if any, whatever its age (to scrub it from texts the provider sends back). */
  current(): string | undefined {
    return this.#store.get(this.#key)?.token;
  }

  /** A token with more than `refreshMarginMs` left, or one still valid when the provider cannot be reached. */
  async token(): Promise<string> {
    const nowMs = this.#clock.now().getTime();
    const cached = this.#store.get(this.#key);
    if (cached && cached.expiresAtMs - nowMs > this.#refreshMarginMs) return cached.token;
    const held = this.#authFailure;
    if (held && nowMs < held.untilMs) {
      const { error } = held;
      throw new ChannelError(error.provider, error.kind, error.providerCode, `${error.message} (not retried until ${new Date(held.untilMs).toISOString()})`);
    }
    try {
      return (await this.#refresh(false)).token;
    } catch (error) {
      // A token merely close to its expiry is still good: keep using it while the provider is unreachable.
      if (cached && cached.expiresAtMs > nowMs && error instanceof ChannelError && error.retryable) {
        this.#log?.warn({ err: error }, `${this.#provider} token refresh failed; using the cached token until it expires`);
        return cached.token;
      }
      throw error;
    }
  }

  /**
   * Runs `attempt` with a token. When `rejectedWith` finds in its result that the provider refused the
   * token as stale (it returns the provider's code, `undefined` otherwise), the token is dropped, a
   * fresh one obtained and `attempt` run once more; its result is returned whatever it is. `api` names
   * the call in the log. `tokensUsed` lists the tokens sent, to scrub them from the provider's texts.
   */
  async withToken<T>(api: string, attempt: (token: string) => Promise<T>, rejectedWith: (result: T) => number | undefined): Promise<{ result: T; tokensUsed: string[] }> {
    const token = await this.token();
    const result = await attempt(token);
    const code = rejectedWith(result);
    if (code === undefined) return { result, tokensUsed: [token] };
    // Providers may invalidate a token before its expiry (another process fetched a new one, the secret
    // was reset …): fetch a new one and retry once; repeating it would not help.
    this.#log?.warn({ api, errcode: code }, `${this.#provider} access token rejected; refreshing it and retrying once`);
    const fresh = await this.#freshToken(token);
    return { result: await attempt(fresh), tokensUsed: [token, fresh] };
  }

  /** A token other than `rejected`: a normal refresh first, then, if allowed, one forced refresh. */
  async #freshToken(rejected: string): Promise<string> {
    this.#store.drop(this.#key, rejected);
    const again = await this.token();
    if (again !== rejected || this.#forceRefreshIntervalMs === undefined) return again;
    const nowMs = this.#clock.now().getTime();
    if (nowMs - this.#lastForceRefreshMs < this.#forceRefreshIntervalMs) return again;
    this.#lastForceRefreshMs = nowMs;
    this.#store.drop(this.#key, again);
    return (await this.#refresh(true)).token;
  }

  #refresh(force: boolean): Promise<ProviderToken> {
    return this.#store.refresh(this.#key, () => this.#fetch(force));
  }

  async #fetch(force: boolean): Promise<ProviderToken> {
    let fetched: FetchedToken;
    try {
      fetched = await this.#fetchToken(force);
    } catch (error) {
      // Hold configuration errors: every queued message would otherwise ask again with the same bad secret.
      if (error instanceof ChannelError && error.kind === 'auth') this.#authFailure = { error, untilMs: this.#clock.now().getTime() + this.#authFailureHoldMs };
      throw error;
    }
    this.#authFailure = null;
    this.#log?.info({ expiresInSeconds: fetched.expiresInSeconds, forced: force }, `${this.#provider} access token fetched`);
    return { token: fetched.token, expiresAtMs: this.#clock.now().getTime() + fetched.expiresInSeconds * 1000 };
  }
}
