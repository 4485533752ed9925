// A local WeChat Official Account (服务号) API (STYLE T3): an HTTP server on 127.0.0.1 speaking the
// wire protocol of the stable-token and template-message APIs (docs/protocols/wechat.md §1–§3):
// tokens that expire or are invalidated, template/send with realistic errcodes (unfollowed or
// foreign openid, unknown template, rate limits, IP allowlist), failure injection and recorded traffic.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export type WechatApiName = 'stable_token' | 'token' | 'message/template/send';

/** What an injected failure makes the simulator answer instead (once per injection). */
export type InjectedFailure = { errcode: number; errmsg?: string } | { httpStatus: number };

export interface RecordedRequest {
  api: WechatApiName | 'unknown';
  method: string;
  query: Readonly<Record<string, string>>;
  body: unknown;
  at: Date;
  answer: { status: number; json: Record<string, unknown> | null };
}

/** A template message WeChat accepted (and would deliver). */
export interface SimTemplateMessage {
  msgid: string;
  touser: string;
  templateId: string;
  url: string | null;
  data: Record<string, { value: string }>;
  clientMsgId: string | null;
  at: Date;
}

export interface WechatSimulatorOptions {
  appId?: string;
  appSecret?: string;
  /** Templates selected into the account. */
  templateIds?: readonly string[];
  /** Lifetime of issued tokens in seconds [7200]. */
  tokenLifetimeSeconds?: number;
}

const PATHS: Readonly<Record<string, WechatApiName>> = {
  '/cgi-bin/stable_token': 'stable_token',
  '/cgi-bin/token': 'token',
  '/cgi-bin/message/template/send': 'message/template/send',
};
/** Openids of this simulated account: 28 characters, `o` + 27 url-safe characters (the real shape). */
const OPENID = /^o[0-9A-Za-z_-]{27}$/;
const CLIENT_MSG_ID_WINDOW_MS = 10 * 60_000;

export class WechatSimulator {
  readonly appId: string;
  readonly appSecret: string;
  readonly templateIds: Set<string>;
  /** Templates WeChat banned for abuse: a send with one answers 43116. */
  readonly bannedTemplateIds = new Set<string>();
  tokenLifetimeSeconds: number;
  /** When false, every API answers 40164 (caller IP not in the account's allowlist). */
  ipAllowed = true;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Template messages accepted, in order. */
  readonly messages: SimTemplateMessage[] = [];

  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #followers = new Set<string>();
  readonly #known = new Set<string>();
  readonly #tokens = new Map<string, number>();
  #current: string | null = null;
  #failures: { api: WechatApiName; failure: InjectedFailure }[] = [];
  #msgid = 3_717_005_636_572_528_642n;
  baseUrl = '';

  private constructor(options: WechatSimulatorOptions) {
    this.appId = options.appId ?? 'wx5f3c2b1a0d9e8f7a';
    this.appSecret = options.appSecret ?? randomBytes(16).toString('hex');
    this.templateIds = new Set(options.templateIds ?? ['SurveyTpl_rUk2Yq0mA1b2C3d4E5f6G7h8']);
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 7200;
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(options: WechatSimulatorOptions = {}): Promise<WechatSimulator> {
    const sim = new WechatSimulator(options);
    await new Promise<void>((resolve, reject) => {
      sim.#server.once('error', reject);
      sim.#server.listen(0, '127.0.0.1', () => resolve());
    });
    sim.baseUrl = `http://127.0.0.1:${(sim.#server.address() as AddressInfo).port}`;
    return sim;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** A new openid of a customer who follows the account. */
  follower(): string {
    const openId = `o${randomBytes(20).toString('base64url').slice(0, 27)}`;
    this.#followers.add(openId);
    this.#known.add(openId);
    return openId;
  }

  /** The customer stops following the account: template messages to them answer 43004. */
  unfollow(openId: string): void {
    this.#followers.delete(openId);
  }

  /** Every issued token stops working (as after their expiry): the next call answers 42001. */
  expireTokens(): void {
    for (const token of this.#tokens.keys()) this.#tokens.set(token, 0);
  }

  /** The next call to `api` answers with `failure` instead. */
  injectFailure(failure: InjectedFailure, api: WechatApiName = 'message/template/send'): void {
    this.#failures.push({ api, failure });
  }

  callsTo(api: WechatApiName): RecordedRequest[] {
    return this.requests.filter((r) => r.api === api);
  }

  messagesTo(openId: string): SimTemplateMessage[] {
    return this.messages.filter((m) => m.touser === openId);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const api = PATHS[url.pathname] ?? 'unknown';
    const query = Object.fromEntries(url.searchParams);
    const answer = this.#answer(api, req.method ?? 'GET', query, body);
    this.requests.push({ api, method: req.method ?? 'GET', query, body, at: new Date(), answer });
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
    // msgid is a 64-bit number on the wire, beyond JavaScript's safe integers: written verbatim.
    res.end(answer.json ? JSON.stringify(answer.json).replace(/"msgid":"(\d+)"/, '"msgid":$1') : '');
  }

  #answer(api: WechatApiName | 'unknown', method: string, query: Record<string, string>, body: unknown): { status: number; json: Record<string, unknown> | null } {
    const ok = (json: Record<string, unknown>) => ({ status: 200, json });
    const err = (errcode: number, errmsg: string) => ok({ errcode, errmsg: `${errmsg} rid: ${randomBytes(4).toString('hex')}` });
    if (api === 'unknown') return { status: 404, json: null };
    const injected = this.#failures.findIndex((f) => f.api === api);
    if (injected >= 0) {
      const { failure } = this.#failures.splice(injected, 1)[0]!;
      if ('httpStatus' in failure) return { status: failure.httpStatus, json: null };
      return err(failure.errcode, failure.errmsg ?? 'injected');
    }
    if (!this.ipAllowed) return err(40164, 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist');
    if (api === 'stable_token' || api === 'token') {
      const input = (api === 'stable_token' ? body : query) as Record<string, unknown> | null;
      if (api === 'stable_token' && method !== 'POST') return err(43002, 'require POST method');
      if (input?.grant_type !== 'client_credential') return err(40002, 'invalid grant_type');
      if (input.appid !== this.appId) return err(40013, 'invalid appid');
      if (input.secret !== this.appSecret) return err(40125, 'invalid appsecret');
      const force = api === 'token' || input.force_refresh === true;
      const now = Date.now();
      const current = this.#current ? this.#tokens.get(this.#current) ?? 0 : 0;
      // Normal mode hands out the current token while it is valid (and not within its last 5 minutes).
      if (!force && this.#current && current - now > 5 * 60_000) {
        return ok({ access_token: this.#current, expires_in: Math.floor((current - now) / 1000) });
      }
      if (force && this.#current) this.#tokens.delete(this.#current);
      const token = randomBytes(48).toString('base64url');
      this.#tokens.set(token, now + this.tokenLifetimeSeconds * 1000);
      this.#current = token;
      return ok({ access_token: token, expires_in: this.tokenLifetimeSeconds });
    }
    // message/template/send
    if (method !== 'POST') return err(43002, 'require POST method');
    const token = query.access_token;
    if (!token) return err(41001, 'access_token missing');
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined) return err(40001, 'invalid credential, access_token is invalid or not latest');
    if (expiresAt <= Date.now()) return err(42001, 'access_token expired');
    const b = body as Partial<{ touser: string; template_id: string; url: string; data: Record<string, { value: string }>; client_msg_id: string }> | null;
    if (!b || typeof b !== 'object') return err(47001, 'data format error');
    if (!b.touser || !OPENID.test(b.touser) || !this.#known.has(b.touser)) return err(40003, 'invalid openid');
    if (!b.template_id || !this.templateIds.has(b.template_id)) return err(40037, 'invalid template_id');
    if (this.bannedTemplateIds.has(b.template_id)) return err(43116, 'This template_id is banned');
    if (!b.data || typeof b.data !== 'object') return err(47001, 'data format error');
    for (const [key, v] of Object.entries(b.data)) {
      if (typeof v?.value !== 'string' || !keywordValueAccepted(key, v.value)) return err(47003, `argument invalid! data.${key}.value invalid`);
    }
    if (!this.#followers.has(b.touser)) return err(43004, 'require subscribe');
    if (b.client_msg_id) {
      const earlier = this.messages.find((m) => m.touser === b.touser && m.clientMsgId === b.client_msg_id && Date.now() - m.at.getTime() < CLIENT_MSG_ID_WINDOW_MS);
      if (earlier) return ok({ errcode: 0, errmsg: 'ok', msgid: earlier.msgid });
    }
    this.#msgid += 1n;
    const msgid = String(this.#msgid);
    this.messages.push({ msgid, touser: b.touser, templateId: b.template_id, url: b.url ?? null, data: b.data, clientMsgId: b.client_msg_id ?? null, at: new Date() });
    return ok({ errcode: 0, errmsg: 'ok', msgid });
  }
}

/**
 * Whether WeChat accepts `value` for the category-template keyword `key` (类目模板消息参数值内容限制), written
 * apart from the adapter's rules: the type is the name without its trailing digits.
 */
function keywordValueAccepted(key: string, value: string): boolean {
  const type = key.replace(/\d+$/, '');
  const n = Array.from(value).length;
  if (/[\r\n]/.test(value)) return false;
  const han = /\p{Script=Han}/u.test(value);
  const clock = /([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?/;
  const day = /(\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}[-/]\d{1,2}[-/]\d{1,2}/;
  const point = (p: string, needClock: boolean) => {
    const rest = p.trim().replace(day, '').trim();
    const hadDay = rest !== p.trim();
    if (needClock) return clock.test(rest) && rest.replace(clock, '') === '';
    return hadDay && (rest === '' || rest.replace(clock, '') === '');
  };
  switch (type) {
    case 'thing':
      return n <= 20;
    case 'name':
      return han ? n <= 10 && /^[\p{Script=Han}·A-Za-z]+$/u.test(value) : n >= 1 && n <= 20 && /^[A-Za-z\s.·'-]+$/.test(value);
    case 'phrase':
      return n >= 1 && n <= 5 && /^\p{Script=Han}+$/u.test(value);
    case 'time':
      return value.split('~').every((p) => point(p, true));
    case 'date':
      return value.split('~').every((p) => point(p, false));
    case 'character_string':
      return n <= 32 && !han && !/\s/.test(value);
    case 'number':
      return n <= 32 && /^\d+(\.\d+)?$/.test(value);
    case 'letter':
      return n <= 32 && /^[A-Za-z]+$/.test(value);
    case 'symbol':
      return n <= 5 && !/[\p{L}\p{N}\s]/u.test(value);
    case 'amount':
      return /^\p{Sc}?\d{1,10}(\.\d{1,2})?元?$/u.test(value);
    case 'phone_number':
      return n <= 17 && /^[\d+\-() ]+$/.test(value);
    case 'car_number':
      return n <= 8 && /^\p{Script=Han}?[A-Z0-9]+\p{Script=Han}?$/u.test(value);
    case 'const':
      return n <= 20;
    default:
      return false;
  }
}
