import type { Clock } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { Logger } from '../../logger.js';
import { callProviderApi, DEFAULT_TIMEOUT_MS, requestProviderToken, type ProviderEndpoint } from '../provider-request.js';
import { ProviderTokenCache, ProviderTokenStore } from '../provider-token.js';
import { buildWecomSignInUrls, type WecomSignInUrls } from './build-wecom-sign-in-urls.js';
import { classifyErrcode, ERRCODE_INVALID_CODE } from './errcodes.js';
import { WECOM_CODE_MAX_BYTES } from './read-wecom-sign-in-redirect.js';

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
 * - The secret, the access token and sign-in codes never appear in a log line or an error message (STYLE C5).
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
  /** Host of WeCom's OAuth2 link, for {@link WecomClient.signInUrls} [https://open.weixin.qq.com] (docs/protocols/wecom.md §11.1). */
  oauthBase?: string;
  /** Host of WeCom's Web login page, for {@link WecomClient.signInUrls} [https://login.work.weixin.qq.com] (docs/protocols/wecom.md §11.2). */
  ssoBase?: string;
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

/**
 * Who WeCom says signed in (docs/protocols/wecom.md §11.4): a member of the corp, by UserID (whether or
 * not inside the application's visible range), or a refusal for anyone else: a WeChat user identified
 * only for this corp (`openid`), possibly a customer of the corp (`externalUserid`). Both ids are
 * personal data: log them only under redacted keys.
 */
export type WecomUserInfo =
  | { ok: true; userid: string }
  | { ok: false; reason: 'NOT_A_MEMBER'; openid: string | null; externalUserid: string | null };

/** A customer as one member's external contact (`batch/get_by_user`: `external_contact` + `follow_info`). */
export interface WecomExternalContact {
  externalUserid: string;
  /** The customer's WeChat name. */
  name: string;
  /** 1 a WeChat user, 2 a WeCom user of another corp. */
  type: number;
  /** `follow_info.userid`: the member who has them as a contact. */
  followUserid: string;
  /** `follow_info.remark`: the member's name for them. */
  remark: string;
  /** `follow_info.remark_mobiles`: phone numbers the member noted for them. */
  remarkMobiles: string[];
}

/**
 * `get_groupmsg_send_result` status: 0 not sent (yet), 1 sent, 2 failed (the customer is not the
 * member's contact any more), 3 failed (the customer already received their quota of group messages).
 */
export type WecomGroupSendStatus = 0 | 1 | 2 | 3;

export interface WecomGroupSendResult {
  externalUserid: string;
  userid: string;
  status: WecomGroupSendStatus;
  /** Unix seconds, when sent. */
  sendTime: number | null;
}

/**
 * In-process access-token cache keyed by (corpid, agentid), with single-flight refresh: the provider
 * token store under WeCom's name. With several replicas each process fetches its own token; WeCom
 * allows that (tokens overlap), only `gettoken` itself is rate limited.
 */
export const WecomTokenCache = ProviderTokenStore;
export type WecomTokenCache = ProviderTokenStore;

const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
const PROVIDER = 'wecom';
const GET_USER_INFO = '/cgi-bin/auth/getuserinfo';
/** A sign-in code in a URL, masked like the token wherever the URL is logged. */
const CODE_QUERY = /([?&]code=)[^&]*/g;

export class WecomClient {
  readonly agentId: number;
  readonly #corpId: string;
  readonly #oauthBase: string | undefined;
  readonly #ssoBase: string | undefined;
  readonly #api: ProviderEndpoint;
  /** `#api` for calls carrying a sign-in code: its logged URLs show `code=***`. */
  readonly #codeApi: ProviderEndpoint;
  readonly #tokens: ProviderTokenCache;

  /**
   * The longest a call can take: waiting for a token, the call, and after a stale token a new token and the
   * call again, each within the timeout (a request is taken to reach WeCom, if at all, before the client
   * stops waiting for its answer).
   */
  readonly longestCallMs: number;

  constructor(options: WecomClientOptions) {
    this.agentId = options.agentId;
    this.longestCallMs = 4 * (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const { corpId, secret, apiBase, fetch, timeoutMs, logger } = options;
    this.#corpId = corpId;
    this.#oauthBase = options.oauthBase;
    this.#ssoBase = options.ssoBase;
    const secrets = () => [secret, this.#tokens.current()];
    this.#api = { provider: PROVIDER, displayName: 'WeCom', apiBase, fetch, timeoutMs, logger, errcodeRequired: true, classify: classifyErrcode, secrets };
    this.#codeApi = { ...this.#api, logger: logger?.child({}, { serializers: { url: (url: unknown) => (typeof url === 'string' ? url.replace(CODE_QUERY, '$1***') : url) } }) };
    this.#tokens = new ProviderTokenCache({
      provider: PROVIDER,
      // One token per application, shared with the other clients of `tokenCache`.
      store: options.tokenCache,
      key: `${corpId}:${options.agentId}`,
      fetchToken: () => requestProviderToken(this.#api, { method: 'GET', path: '/cgi-bin/gettoken', query: { corpid: corpId, corpsecret: secret } }),
      clock: options.clock,
      refreshMarginMs: options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS,
      authFailureHoldMs: options.authFailureHoldMs,
      logger,
    });
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

  // ------------------------------------------------------------------ sign-in (docs/protocols/wecom.md §11)

  /**
   * WeCom's two sign-in links for this application (see `buildWecomSignInUrls`): `inApp` for a page
   * opened inside the WeCom client, `webLogin` for a desktop browser. Pure; throws `RangeError` for a
   * state or redirect URI WeCom would not accept.
   */
  signInUrls(redirectUri: string, state: string, lang?: 'zh' | 'en'): WecomSignInUrls {
    return buildWecomSignInUrls({ corpId: this.#corpId, agentId: this.agentId, redirectUri, state, oauthBase: this.#oauthBase, ssoBase: this.#ssoBase, lang });
  }

  /**
   * `GET /cgi-bin/auth/getuserinfo` (docs/protocols/wecom.md §11.4): who the sign-in `code` WeCom sent
   * back belongs to. Spends the code: it works once, within 5 minutes of being issued. An invalid, used or
   * expired code is a `ChannelError` of kind `permanent` with providerCode `40029` (the person must sign in
   * again); 50001 (redirect domain not trusted) is of kind `auth`. A stale token gets one refresh and one
   * retry, as for every call. The code never appears in a log line or an error message.
   */
  async getUserInfo(code: string): Promise<WecomUserInfo> {
    if (code === '' || Buffer.byteLength(code, 'utf8') > WECOM_CODE_MAX_BYTES) {
      // WeCom cannot have issued it: answer as WeCom would, without a call that would log it.
      throw new ChannelError(PROVIDER, 'permanent', String(ERRCODE_INVALID_CODE), `WeCom ${GET_USER_INFO} not called: the sign-in code is empty or longer than ${WECOM_CODE_MAX_BYTES} bytes [docs/protocols/wecom.md §11.4]`);
    }
    const endpoint: ProviderEndpoint = { ...this.#codeApi, secrets: () => [...this.#api.secrets(), code] };
    const { answer } = await callProviderApi(endpoint, this.#tokens, { method: 'GET', path: GET_USER_INFO, query: { code } });
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
    const userid = text(answer.userid);
    if (userid !== null) return { ok: true, userid };
    const openid = text(answer.openid);
    const externalUserid = text(answer.external_userid);
    if (openid !== null || externalUserid !== null) return { ok: false, reason: 'NOT_A_MEMBER', openid, externalUserid };
    // The code is spent whatever the answer: asking again cannot help.
    throw new ChannelError(PROVIDER, 'permanent', 'BAD_RESPONSE', `WeCom ${GET_USER_INFO} answered without userid or openid`);
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

  // ------------------------------------------------------------------ customer contact (客户联系, docs/protocols/wecom.md §12)

  /**
   * `GET /cgi-bin/externalcontact/get_follow_user_list`: the members with the customer-contact feature
   * (客户联系) in the application's visible range. 48002 (kind `auth`) when the application is not in
   * 客户联系 → 可调用应用.
   */
  async listFollowUsers(): Promise<string[]> {
    const result = await this.#call('/cgi-bin/externalcontact/get_follow_user_list', undefined);
    return Array.isArray(result.follow_user) ? result.follow_user.map(String).filter(Boolean) : [];
  }

  /**
   * `POST /cgi-bin/externalcontact/batch/get_by_user` (批量获取客户详情): one page of the external
   * contacts of up to 100 members, one entry per (customer, member) pair. `nextCursor` is empty on the
   * last page.
   */
  async listExternalContacts(userids: readonly string[], cursor = '', limit = 100): Promise<{ contacts: WecomExternalContact[]; nextCursor: string }> {
    const result = await this.#call('/cgi-bin/externalcontact/batch/get_by_user', { userid_list: userids.slice(0, 100), cursor, limit: Math.min(limit, 100) });
    const list = Array.isArray(result.external_contact_list) ? (result.external_contact_list as unknown[]) : [];
    return { contacts: list.map(toExternalContact).filter((c): c is WecomExternalContact => c !== null), nextCursor: typeof result.next_cursor === 'string' ? result.next_cursor : '' };
  }

  /**
   * `POST /cgi-bin/externalcontact/add_msg_template` (创建企业群发), `chat_type` single, to customers of
   * one member (`sender`). Nothing reaches a customer until the member confirms the send in the WeCom
   * client; `failList` are the external_userids WeCom will not send to (not the sender's contact …).
   */
  async addMsgTemplate(input: { sender: string; externalUserids: readonly string[]; text: string }): Promise<{ msgid: string; failList: string[] }> {
    const result = await this.#call('/cgi-bin/externalcontact/add_msg_template', {
      chat_type: 'single',
      external_userid: input.externalUserids,
      sender: input.sender,
      text: { content: input.text },
    });
    if (typeof result.msgid !== 'string' || result.msgid === '') throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', 'WeCom add_msg_template answered without msgid');
    return { msgid: result.msgid, failList: Array.isArray(result.fail_list) ? result.fail_list.map(String) : [] };
  }

  /**
   * `POST /cgi-bin/externalcontact/get_groupmsg_list_v2` (获取群发记录列表, docs/protocols/wecom.md §12.5): one
   * page of the corp's group sends to customers (`chat_type` single) created between `startTime` and
   * `endTime` (at most a month apart), `filterType` 0 企业发表 (created through the API or the admin
   * console), 1 个人发表, 2 both; 100 a page. `creator` is read when WeCom gives it (not relied on).
   */
  async listGroupMsgs(input: { startTime: Date; endTime: Date; filterType: 0 | 1 | 2; cursor?: string }): Promise<{ sends: WecomGroupMsg[]; nextCursor: string }> {
    const result = await this.#call('/cgi-bin/externalcontact/get_groupmsg_list_v2', {
      chat_type: 'single',
      start_time: Math.floor(input.startTime.getTime() / 1000),
      end_time: Math.floor(input.endTime.getTime() / 1000),
      filter_type: input.filterType,
      limit: 100,
      ...(input.cursor ? { cursor: input.cursor } : {}),
    });
    const sends: WecomGroupMsg[] = [];
    for (const raw of Array.isArray(result.group_msg_list) ? (result.group_msg_list as Record<string, unknown>[]) : []) {
      if (typeof raw.msgid !== 'string' || raw.msgid === '') continue;
      const text = raw.text as { content?: unknown } | undefined;
      sends.push({
        msgid: raw.msgid,
        creator: typeof raw.creator === 'string' && raw.creator !== '' ? raw.creator : null,
        createTime: Number(raw.create_time ?? 0) || 0,
        createType: Number(raw.create_type ?? 0) || 0,
        text: typeof text?.content === 'string' ? text.content : '',
      });
    }
    return { sends, nextCursor: typeof result.next_cursor === 'string' ? result.next_cursor : '' };
  }

  /**
   * `POST /cgi-bin/externalcontact/get_groupmsg_task`: whether each member of a group send has sent it
   * (status 0 not sent, 1 confirmed, 2 sent).
   */
  async getGroupMsgTasks(msgid: string): Promise<{ userid: string; status: number; sendTime: number | null }[]> {
    const tasks: { userid: string; status: number; sendTime: number | null }[] = [];
    let cursor = '';
    do {
      const result = await this.#call('/cgi-bin/externalcontact/get_groupmsg_task', { msgid, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const raw of Array.isArray(result.task_list) ? (result.task_list as Record<string, unknown>[]) : []) {
        if (typeof raw.userid === 'string') tasks.push({ userid: raw.userid, status: Number(raw.status ?? 0), sendTime: raw.send_time === undefined ? null : Number(raw.send_time) });
      }
      cursor = typeof result.next_cursor === 'string' ? result.next_cursor : '';
    } while (cursor !== '');
    return tasks;
  }

  /**
   * `POST /cgi-bin/externalcontact/get_groupmsg_send_result`: per customer, what became of one
   * member's part of a group send (see {@link WecomGroupSendStatus}).
   */
  async getGroupMsgSendResults(msgid: string, userid: string): Promise<WecomGroupSendResult[]> {
    const sends: WecomGroupSendResult[] = [];
    let cursor = '';
    do {
      const result = await this.#call('/cgi-bin/externalcontact/get_groupmsg_send_result', { msgid, userid, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const raw of Array.isArray(result.send_list) ? (result.send_list as Record<string, unknown>[]) : []) {
        if (typeof raw.external_userid !== 'string') continue;
        sends.push({ externalUserid: raw.external_userid, userid: String(raw.userid ?? userid), status: Number(raw.status ?? 0) as WecomGroupSendStatus, sendTime: raw.send_time === undefined ? null : Number(raw.send_time) });
      }
      cursor = typeof result.next_cursor === 'string' ? result.next_cursor : '';
    } while (cursor !== '');
    return sends;
  }

  /** `POST /cgi-bin/externalcontact/cancel_groupmsg_send` (停止企业群发): members who have not sent it yet no longer can. */
  async cancelGroupMsgSend(msgid: string): Promise<void> {
    await this.#call('/cgi-bin/externalcontact/cancel_groupmsg_send', { msgid });
  }

  /** A POST with a JSON body, or a GET with `query` when `body` is undefined; resolves only with errcode 0. */
  async #call(path: string, body: unknown, query: Record<string, string> = {}): Promise<WecomApiResult & Record<string, unknown>> {
    return (await callProviderApi(this.#api, this.#tokens, { method: body === undefined ? 'GET' : 'POST', path, query, body })).answer;
  }
}

/** One group send of `get_groupmsg_list_v2`. */
export interface WecomGroupMsg {
  msgid: string;
  /** Who created it, when WeCom says (docs/protocols/wecom.md §12.5: not relied on). */
  creator: string | null;
  /** Seconds since the epoch. */
  createTime: number;
  /** 0 企业发表, 1 个人发表. */
  createType: number;
  /** `text.content`. */
  text: string;
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

function toExternalContact(raw: unknown): WecomExternalContact | null {
  if (raw === null || typeof raw !== 'object') return null;
  const contact = (raw as Record<string, unknown>).external_contact as Record<string, unknown> | undefined;
  const follow = (raw as Record<string, unknown>).follow_info as Record<string, unknown> | undefined;
  if (!contact || typeof contact.external_userid !== 'string' || !follow || typeof follow.userid !== 'string') return null;
  return {
    externalUserid: contact.external_userid,
    name: typeof contact.name === 'string' ? contact.name : '',
    type: Number(contact.type ?? 1) || 1,
    followUserid: follow.userid,
    remark: typeof follow.remark === 'string' ? follow.remark : '',
    remarkMobiles: Array.isArray(follow.remark_mobiles) ? follow.remark_mobiles.map(String).filter(Boolean) : [],
  };
}
