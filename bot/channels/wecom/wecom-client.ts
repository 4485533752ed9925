import type { Clock } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { Logger } from '../../logger.js';
import { classifyErrcode } from './errcodes.js';

/**
 * A typed client for the WeCom server API of one self-built application (docs/protocols/wecom.md §1–§5).
 *
 * - Base URL, `fetch` and timeout are injected (STYLE A5): tests point `apiBase` at the simulator.
 * - The access token is cached per (corpid, agentid), refreshed when less than `refreshMarginMs`
 *   remain, and fetched by one request however many callers need it at once (single flight).
 * - A call rejected for a stale token (40014, 42001, and 40001 once) drops the token, fetches a new
 *   one and is retried once (STYLE A7, docs/protocols/wecom.md §1).
 * - Every errcode is classified through `errcodes.ts`; failures are thrown as `ChannelError` with the
 *   errcode as `providerCode`. Unreachable API, timeouts and 5xx answers are `retryable` with
 *   `NETWORK` / `HTTP_<status>`.
 * - The secret and the access token never appear in a log line or an error message (STYLE C5).
 */
export interface WecomClientOptions {
  /** The corp id (`ww…`). */
  corpId: string;
  /** The application's AgentId. */
  agentId: number;
  /** The application secret. Secret. */
  secret: string;
  /** API root without trailing slash, e.g. `https://qyapi.weixin.qq.com`. */
  apiBase: string;
  /** HTTP function [globalThis.fetch]. */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout in ms, covering connect, answer and body [10 000]. */
  timeoutMs?: number;
  /** Clock for token expiry and the auth-failure hold [the system clock]. */
  clock?: Clock;
  logger?: Logger;
  /** Token cache; share one between clients of the same application [a new one]. */
  tokenCache?: WecomTokenCache;
  /** Refresh the token when less than this remains, in ms [300 000 = 5 min]. */
  refreshMarginMs?: number;
  /**
   * After `gettoken` fails with a configuration error (bad secret or corp id …), calls needing a token
   * fail at once, without reaching WeCom, for this long, in ms [60 000]: a wrong secret retried in a
   * loop can get the server's IP blocked for an hour (docs/protocols/wecom.md §1).
   */
  authFailureHoldMs?: number;
}

/** Fields of every WeCom answer. */
export interface WecomApiResult {
  errcode: number;
  errmsg: string;
}

/** Answer of `message/send` (docs/protocols/wecom.md §4.2). Ids are strings. */
export interface WecomSendResult extends WecomApiResult {
  invaliduser?: string;
  invalidparty?: string;
  invalidtag?: string;
  unlicenseduser?: string;
  msgid?: string;
  /** Single-use code for `update_template_card`, for interactive cards. */
  response_code?: string;
}

/** A `button_interaction` template card (docs/protocols/wecom.md §4.4). */
export interface WecomButtonInteractionCard {
  card_type: 'button_interaction';
  source?: { icon_url?: string; desc?: string; desc_color?: 0 | 1 | 2 | 3 };
  main_title: { title?: string; desc?: string };
  sub_title_text?: string;
  horizontal_content_list?: { keyname: string; value: string; type?: 0 }[];
  task_id: string;
  button_list: ({ type: 0; text: string; style: 1 | 2 | 3 | 4; key: string } | { type: 1; text: string; style: 1 | 2 | 3 | 4; url: string })[];
}

interface WecomSendCommon {
  /** Member UserIDs joined by `|`. */
  touser: string;
  agentid: number;
  safe?: 0 | 1;
  enable_duplicate_check?: 0 | 1;
  /** Seconds [1800], at most 4 h. */
  duplicate_check_interval?: number;
}

/** Body of `POST /cgi-bin/message/send` for the message types Huifang sends (docs/protocols/wecom.md §4.1, §4.3). */
export type WecomSendBody =
  | (WecomSendCommon & { msgtype: 'text'; text: { content: string } })
  | (WecomSendCommon & { msgtype: 'markdown'; markdown: { content: string } })
  | (WecomSendCommon & { msgtype: 'template_card'; template_card: WecomButtonInteractionCard });

/** Body of `POST /cgi-bin/message/update_template_card`, form 1 "grey the buttons out" (docs/protocols/wecom.md §5.1). */
export interface WecomUpdateTemplateCardBody {
  userids: string[];
  agentid: number;
  /** Single use, valid 72 h (24 h by older documents). */
  response_code: string;
  button: { replace_name: string };
}

/** A department as `department/list` describes it. */
export interface WecomDepartment {
  id: number;
  name: string;
  /** 0 for the top department (id 1, the corp itself). */
  parentId: number;
  /** `department_leader`: UserIDs of the department's heads (负责人), in the visible range. */
  leaders: string[];
  /** `order`: larger first among siblings. */
  order: number;
}

/** A member as `user/list` / `user/get` describe them (only the fields Huifang uses). */
export interface WecomMember {
  userid: string;
  name: string;
  /** Department ids the application may see. */
  departments: number[];
  /** `main_department`, when given. */
  mainDepartment: number | null;
  /** `is_leader_in_dept`, aligned with `departments`. */
  leaderIn: number[];
  /** `direct_leader`: the member's direct supervisors (at most five). */
  directLeaders: string[];
  /** `status`: 1 active, 2 disabled, 4 not yet activated, 5 left the corp. */
  status: number;
}

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

/**
 * In-process access-token cache keyed by (corpid, agentid), with single-flight refresh. With several
 * replicas each process fetches its own token; WeCom allows that (tokens overlap), only `gettoken`
 * itself is rate limited.
 */
export class WecomTokenCache {
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inFlight = new Map<string, Promise<CachedToken>>();

  get(key: string): CachedToken | undefined {
    return this.#tokens.get(key);
  }

  /** Runs `fetchToken` unless a fetch for `key` is already running, whose result is shared. */
  refresh(key: string, fetchToken: () => Promise<CachedToken>): Promise<CachedToken> {
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

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
const DEFAULT_AUTH_FAILURE_HOLD_MS = 60_000;
const PROVIDER = 'wecom';

const wallClock: Clock = { now: () => new Date() };

export class WecomClient {
  readonly agentId: number;
  readonly #corpId: string;
  readonly #secret: string;
  readonly #apiBase: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #cache: WecomTokenCache;
  readonly #cacheKey: string;
  readonly #refreshMarginMs: number;
  readonly #authFailureHoldMs: number;
  #authFailure: { error: ChannelError; untilMs: number } | null = null;

  constructor(options: WecomClientOptions) {
    this.agentId = options.agentId;
    this.#corpId = options.corpId;
    this.#secret = options.secret;
    this.#apiBase = options.apiBase.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#clock = options.clock ?? wallClock;
    this.#log = options.logger;
    this.#cache = options.tokenCache ?? new WecomTokenCache();
    this.#cacheKey = `${options.corpId}:${options.agentId}`;
    this.#refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    this.#authFailureHoldMs = options.authFailureHoldMs ?? DEFAULT_AUTH_FAILURE_HOLD_MS;
  }

  /** `POST /cgi-bin/message/send` (docs/protocols/wecom.md §4). Resolves only with errcode 0; recipients WeCom refused are in `invaliduser`. */
  async sendMessage(body: WecomSendBody): Promise<WecomSendResult> {
    const result = await this.#call('/cgi-bin/message/send', body);
    return {
      ...result,
      ...stringField(result, 'msgid'),
      ...stringField(result, 'response_code'),
      ...stringField(result, 'invaliduser'),
      ...stringField(result, 'invalidparty'),
      ...stringField(result, 'invalidtag'),
      ...stringField(result, 'unlicenseduser'),
    };
  }

  /** `POST /cgi-bin/message/update_template_card` (docs/protocols/wecom.md §5.1). Consumes the response_code. */
  async updateTemplateCard(body: WecomUpdateTemplateCardBody): Promise<WecomApiResult> {
    return this.#call('/cgi-bin/message/update_template_card', body);
  }

  // ------------------------------------------------------------------ contacts (通讯录, read only)

  /**
   * `GET /cgi-bin/department/list` (WeCom 通讯录管理 → 获取部门列表): the departments in the
   * application's visible range (可见范围), `id` and everything below it, or all of them. Without
   * visibility WeCom answers 60011, thrown as a `ChannelError` of kind `auth`.
   */
  async listDepartments(id?: number): Promise<WecomDepartment[]> {
    const result = await this.#call('/cgi-bin/department/list', undefined, id === undefined ? {} : { id: String(id) });
    return (Array.isArray(result.department) ? result.department : []).map(toDepartment).filter((d): d is WecomDepartment => d !== null);
  }

  /**
   * `GET /cgi-bin/user/list?department_id=` (获取部门成员详情): the members directly in one
   * department (not its sub-departments), for departments the application can see.
   */
  async listDepartmentMembers(departmentId: number): Promise<WecomMember[]> {
    const result = await this.#call('/cgi-bin/user/list', undefined, { department_id: String(departmentId) });
    return (Array.isArray(result.userlist) ? result.userlist : []).map(toMember).filter((m): m is WecomMember => m !== null);
  }

  /**
   * `POST /cgi-bin/user/list_id` (获取成员ID列表): one page of (userid, department) pairs; a member
   * in several departments appears once per department. `nextCursor` is empty on the last page.
   * WeCom documents it for the contact-sync secret (通讯录同步), other secrets may get 48002.
   */
  async listMemberIds(cursor?: string, limit = 10_000): Promise<{ members: { userid: string; department: number }[]; nextCursor: string }> {
    const result = await this.#call('/cgi-bin/user/list_id', { ...(cursor ? { cursor } : {}), limit });
    const pairs = Array.isArray(result.dept_user) ? (result.dept_user as Record<string, unknown>[]) : [];
    return {
      members: pairs.filter((p) => typeof p.userid === 'string').map((p) => ({ userid: String(p.userid), department: Number(p.department) })),
      nextCursor: typeof result.next_cursor === 'string' ? result.next_cursor : '',
    };
  }

  /** `GET /cgi-bin/user/get?userid=` (读取成员): one member in the application's visible range. */
  async getMember(userid: string): Promise<WecomMember> {
    const result = await this.#call('/cgi-bin/user/get', undefined, { userid });
    const member = toMember(result);
    if (!member) throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', 'WeCom /cgi-bin/user/get answered without a userid');
    return member;
  }

  /** A POST with a JSON body, or a GET with `query` when `body` is undefined. */
  async #call(path: string, body: unknown, query: Record<string, string> = {}): Promise<WecomApiResult & Record<string, unknown>> {
    const method = body === undefined ? 'GET' : 'POST';
    const token = await this.#accessToken();
    let result = await this.#request(method, path, { ...query, access_token: token }, body);
    if (result.errcode !== 0 && classifyErrcode(result.errcode).refreshToken) {
      // WeCom may invalidate a token before its expiry (docs/protocols/wecom.md §1): fetch a new one and retry once.
      this.#cache.drop(this.#cacheKey, token);
      this.#log?.warn({ api: path, errcode: result.errcode }, 'wecom access token rejected; refreshing it and retrying once');
      const fresh = await this.#accessToken();
      result = await this.#request(method, path, { ...query, access_token: fresh }, body);
      if (result.errcode !== 0) throw this.#apiError(path, result, [token, fresh]);
    }
    if (result.errcode !== 0) throw this.#apiError(path, result, [token]);
    return result;
  }

  async #accessToken(): Promise<string> {
    const nowMs = this.#clock.now().getTime();
    const cached = this.#cache.get(this.#cacheKey);
    if (cached && cached.expiresAtMs - nowMs > this.#refreshMarginMs) return cached.token;
    const held = this.#authFailure;
    if (held && nowMs < held.untilMs) {
      throw new ChannelError(PROVIDER, held.error.kind, held.error.providerCode, `${held.error.message} (not retried until ${new Date(held.untilMs).toISOString()})`);
    }
    try {
      return (await this.#cache.refresh(this.#cacheKey, () => this.#fetchToken())).token;
    } catch (error) {
      // A token that is merely close to its expiry is still good: keep using it if WeCom is unreachable.
      if (cached && cached.expiresAtMs > nowMs && error instanceof ChannelError && error.retryable) {
        this.#log?.warn({ err: error }, 'wecom token refresh failed; using the cached token until it expires');
        return cached.token;
      }
      throw error;
    }
  }

  async #fetchToken(): Promise<CachedToken> {
    const path = '/cgi-bin/gettoken';
    const result = await this.#request('GET', path, { corpid: this.#corpId, corpsecret: this.#secret }, undefined);
    if (result.errcode !== 0) {
      const error = this.#apiError(path, result);
      // Hold configuration errors: every queued message would otherwise ask for a token with the same bad secret.
      if (error.kind === 'auth') this.#authFailure = { error, untilMs: this.#clock.now().getTime() + this.#authFailureHoldMs };
      throw error;
    }
    const token = result.access_token;
    const expiresIn = result.expires_in;
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', `WeCom ${path} answered without access_token/expires_in`);
    }
    this.#authFailure = null;
    this.#log?.info({ expiresInSeconds: expiresIn }, 'wecom access token fetched');
    return { token, expiresAtMs: this.#clock.now().getTime() + expiresIn * 1000 };
  }

  /** One HTTP exchange. Resolves with the JSON answer (whatever its errcode); throws for transport failures. */
  async #request(method: 'GET' | 'POST', path: string, query: Record<string, string>, body: unknown): Promise<WecomApiResult & Record<string, unknown>> {
    const url = `${this.#apiBase}${path}?${new URLSearchParams(query).toString()}`;
    const started = performance.now();
    let status: number;
    let text: string;
    try {
      const response = await this.#fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (thrown) {
      const timedOut = isTimeout(thrown);
      this.#log?.debug({ api: path, url: this.#maskUrl(url), ms: Math.round(performance.now() - started), timedOut }, 'wecom api call failed');
      throw new ChannelError(
        PROVIDER,
        'retryable',
        'NETWORK',
        timedOut ? `WeCom ${path} did not answer within ${this.#timeoutMs} ms` : `WeCom ${path} could not be reached (${this.#describeNetworkError(thrown)})`,
        { cause: this.#scrubError(thrown) },
      );
    }
    this.#log?.debug({ api: path, url: this.#maskUrl(url), status, ms: Math.round(performance.now() - started) }, 'wecom api call');
    if (status >= 500) throw new ChannelError(PROVIDER, 'retryable', `HTTP_${status}`, `WeCom ${path} answered HTTP ${status}`);
    if (status < 200 || status >= 300) throw new ChannelError(PROVIDER, 'permanent', `HTTP_${status}`, `WeCom ${path} answered HTTP ${status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', `WeCom ${path} answered with something that is not JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { errcode?: unknown }).errcode !== 'number') {
      throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', `WeCom ${path} answered without a numeric errcode`);
    }
    const result = parsed as Record<string, unknown> & { errcode: number };
    return { ...result, errmsg: typeof result.errmsg === 'string' ? result.errmsg : '' };
  }

  #apiError(path: string, result: WecomApiResult, tokensUsed: string[] = []): ChannelError {
    const rule = classifyErrcode(result.errcode);
    const errmsg = this.#scrub(result.errmsg, tokensUsed).slice(0, 200);
    const error = new ChannelError(
      PROVIDER,
      rule.kind,
      String(result.errcode),
      `WeCom ${path} failed with errcode ${result.errcode} ${rule.name}: ${rule.meaning} [${rule.ref}] (errmsg: ${errmsg})`,
      rule.retryAfterMs === undefined ? {} : { retryAfterMs: rule.retryAfterMs },
    );
    return error;
  }

  /** The URL as it may be logged: the access token and the secret replaced by `***`. */
  #maskUrl(url: string): string {
    return url.replace(/([?&](?:access_token|corpsecret)=)[^&]*/g, '$1***');
  }

  /** `text` with the secret and any cached token replaced (errmsg and error texts are not ours). */
  #scrub(text: string, tokensUsed: string[] = []): string {
    let out = this.#maskUrl(text);
    const token = this.#cache.get(this.#cacheKey)?.token;
    for (const secret of [this.#secret, token, ...tokensUsed]) {
      if (secret && secret.length >= 6) out = out.split(secret).join('***');
    }
    return out;
  }

  /** A copy of a transport error that keeps its name, code and (scrubbed) message, but not the URL it may quote. */
  #scrubError(thrown: unknown): Error {
    const original = thrown instanceof Error ? thrown : new Error(String(thrown));
    const copy = new Error(this.#scrub(original.message));
    copy.name = original.name;
    const code = networkCode(thrown);
    if (code) (copy as Error & { code?: string }).code = code;
    return copy;
  }

  #describeNetworkError(thrown: unknown): string {
    return networkCode(thrown) ?? this.#scrub(thrown instanceof Error ? thrown.message : String(thrown)).slice(0, 120);
  }
}

function isTimeout(thrown: unknown): boolean {
  return thrown instanceof Error && (thrown.name === 'TimeoutError' || thrown.name === 'AbortError');
}

/** `ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET` … from undici's `TypeError: fetch failed` or its cause. */
function networkCode(thrown: unknown): string | undefined {
  let current: unknown = thrown;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}

/** `{[name]: value}` as a string when the answer has it (WeCom documents these ids as strings; never trust it). */
function stringField(result: Record<string, unknown>, name: string): Record<string, string> {
  const value = result[name];
  if (value === undefined || value === null) return {};
  return { [name]: String(value) };
}

function toDepartment(raw: unknown): WecomDepartment | null {
  if (raw === null || typeof raw !== 'object') return null;
  const d = raw as Record<string, unknown>;
  const id = Number(d.id);
  if (!Number.isSafeInteger(id)) return null;
  return {
    id,
    name: typeof d.name === 'string' && d.name !== '' ? d.name : String(id),
    parentId: Number(d.parentid ?? 0) || 0,
    leaders: Array.isArray(d.department_leader) ? d.department_leader.map(String) : [],
    order: Number(d.order ?? 0) || 0,
  };
}

function toMember(raw: unknown): WecomMember | null {
  if (raw === null || typeof raw !== 'object') return null;
  const m = raw as Record<string, unknown>;
  if (typeof m.userid !== 'string' || m.userid === '') return null;
  const numbers = (value: unknown) => (Array.isArray(value) ? value.map(Number).filter(Number.isSafeInteger) : []);
  return {
    userid: m.userid,
    name: typeof m.name === 'string' && m.name !== '' ? m.name : m.userid,
    departments: numbers(m.department),
    mainDepartment: m.main_department === undefined || m.main_department === null ? null : Number(m.main_department),
    leaderIn: numbers(m.is_leader_in_dept),
    directLeaders: Array.isArray(m.direct_leader) ? m.direct_leader.map(String).filter(Boolean) : [],
    status: Number(m.status ?? 1) || 1,
  };
}
