// A protocol-faithful local WeCom (STYLE T3): an HTTP server on 127.0.0.1 speaking the wire protocol
// of gettoken, message/send and message/update_template_card (docs/protocols/wecom.md §1–§5), with
// realistic errcodes, failure injection and recorded traffic, plus signed, AES-encrypted callbacks
// (§6–§7) delivered to a URL under test. Its crypto is its own (wecom-sim-crypto.ts). It also stands in
// for WeCom's sign-in (§11): the OAuth2 and Web login pages, which check the link and the trusted
// domains and send the browser back with a one-time code, and auth/getuserinfo, which spends it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { simEncrypt, simSignature } from './wecom-sim-crypto.js';
import { renderSignInNotice, renderWebLoginPage } from './sign-in-pages.js';

export type WecomApiName = 'gettoken' | 'message/send' | 'message/update_template_card' | 'auth/getuserinfo' | WecomContactApiName | WecomCustomerContactApiName;

/** The customer-contact (客户联系) APIs the simulator answers (docs/protocols/wecom.md §12). */
export type WecomCustomerContactApiName =
  | 'externalcontact/get_follow_user_list'
  | 'externalcontact/batch/get_by_user'
  | 'externalcontact/add_msg_template'
  | 'externalcontact/get_groupmsg_list_v2'
  | 'externalcontact/get_groupmsg_task'
  | 'externalcontact/get_groupmsg_send_result'
  | 'externalcontact/cancel_groupmsg_send';

/** A customer as an external contact of one or more members, in WeCom's own field names. */
export interface SimExternalContact {
  external_userid: string;
  name: string;
  /** 1 WeChat user (default), 2 WeCom user of another corp. */
  type?: number;
  /** The members who have the customer as a contact, with what each noted. */
  follow_users: { userid: string; remark?: string; remark_mobiles?: string[] }[];
}

/** A group send (企业群发) created by add_msg_template, and what became of it per customer. */
export interface SimGroupSend {
  msgid: string;
  sender: string;
  externalUserids: string[];
  text: string;
  createdAt: Date;
  /** The member confirmed it in the WeCom client (null: not yet). */
  sentAt: Date | null;
  cancelled: boolean;
  /** Per external_userid: 0 not sent, 1 sent, 2 not a contact, 3 over the customer's quota. */
  results: Map<string, { status: 0 | 1 | 2 | 3; sendTime: number | null }>;
}

/**
 * How many group messages one customer may receive from the corp (docs/protocols/wecom.md §12.3):
 * as many per natural month as the month has days (WeCom's default), or 7 a week, or 1 a day.
 */
export type SimGroupMessageRule = 'days_in_month' | 'seven_a_week' | 'one_a_day';

/**
 * WeCom's sign-in pages (docs/protocols/wecom.md §11): the OAuth2 link, the Web login page, and
 * `sso/confirm`, the simulator's own stand-in for a member scanning the QR code and confirming on their phone.
 */
export type WecomSignInPageName = 'oauth2/authorize' | 'sso/login' | 'sso/confirm';

/** Who is at the browser during sign-in: a member of the corp, by UserID, or a WeChat user outside it. */
export type SimVisitor = { userid: string } | { openid: string; externalUserid?: string };

/** A code the sign-in pages issued (docs/protocols/wecom.md §11.4). */
export interface SimSignInCode {
  code: string;
  visitor: SimVisitor;
  via: 'oauth2' | 'web_login';
  /** The redirect URI it was sent to (without the code). */
  redirectUri: string;
  /** Simulator time. */
  issuedAt: Date;
  /** When auth/getuserinfo spent it, or null. */
  usedAt: Date | null;
}

/** Where one of WeCom's sign-in pages left the browser. */
export interface SimSignInOutcome {
  /** 302 when WeCom sent the browser back; otherwise the status of the page it showed. */
  status: number;
  /** The redirect (`redirect_uri?code=…&state=…`), or null when WeCom showed a page instead. */
  location: string | null;
  /** The page's HTML ('' after a redirect). */
  page: string;
}

/** The contact (通讯录) read APIs the simulator answers. */
export type WecomContactApiName = 'department/list' | 'user/list' | 'user/list_id' | 'user/get';

/** A department of the simulated contact list, in WeCom's own field names. */
export interface SimDepartment {
  id: number;
  name: string;
  /** 0 for the top department (id 1). */
  parentid: number;
  order?: number;
  department_leader?: string[];
}

/** A member of the simulated contact list, in WeCom's own field names. */
export interface SimMember {
  userid: string;
  name: string;
  department: number[];
  main_department?: number;
  is_leader_in_dept?: number[];
  direct_leader?: string[];
  /** 1 active (default), 2 disabled, 4 not activated, 5 left. */
  status?: number;
}

/**
 * What an injected failure makes the simulator do instead of answering normally. `dropAnswer`: the
 * call is carried out (a group send is created …) but the connection is cut before the answer — the
 * caller cannot tell whether it happened.
 */
export type InjectedFailure = { errcode: number; errmsg?: string } | { httpStatus: number } | { hang: true } | { dropAnswer: true };

export interface RecordedRequest {
  api: WecomApiName | WecomSignInPageName | 'unknown';
  method: string;
  query: Readonly<Record<string, string>>;
  /** Parsed JSON body, or the raw text when it is not JSON, or null without a body. */
  body: unknown;
  /** Simulator time. */
  at: Date;
  /** What the simulator answered: HTTP status and JSON (null for pages), the redirect of a sign-in page, or nothing (a hang). */
  answer: { status: number; json: Record<string, unknown> | null; location?: string } | { hung: true } | { dropped: true; json: Record<string, unknown> };
}

/** A message that reached (or, when dropped, would have reached) one member. */
export interface SimMessage {
  msgid: string;
  userid: string;
  msgtype: string;
  taskId: string | null;
  body: Record<string, unknown>;
  at: Date;
}

export interface SimCardUpdate {
  userids: string[];
  responseCode: string;
  taskId: string;
  replaceName: string | null;
  body: Record<string, unknown>;
  at: Date;
}

/** A callback the simulator posted to the service, kept so that it can be replayed byte for byte. */
export interface CallbackDelivery {
  url: string;
  body: string;
  status: number;
  responseBody: string;
  /** The decrypted XML that was sent. */
  plaintext: string;
}

export interface WecomSimulatorOptions {
  corpId?: string;
  agentId?: number;
  secret?: string;
  callbackToken?: string;
  encodingAesKey?: string;
  /** Members in the app's visible range (UserIDs, case-insensitive). */
  users?: readonly string[];
  /** Lifetime of issued tokens in seconds [7200]. */
  tokenLifetimeSeconds?: number;
  /** The simulator's clock [its own: wall time plus whatever `advanceClock` added]. */
  clock?: { now(): Date };
  /** Port to listen on [0: an ephemeral one]. Always on 127.0.0.1. */
  port?: number;
  /**
   * The application's 可信域名: hosts, with the port when the URL has one, that sign-in may redirect to
   * (docs/protocols/wecom.md §11.3) [none: every redirect is refused].
   */
  trustedDomains?: readonly string[];
  /** The application's 授权回调域 for the Web login only (docs/protocols/wecom.md §11.3) [none]. */
  loginCallbackDomains?: readonly string[];
  /** Who signs in through the OAuth2 link when a request does not say [nobody: WeCom's "open it in WeCom" page]. */
  currentVisitor?: SimVisitor | null;
  /**
   * Handles requests outside `/cgi-bin/` (the standalone runner's web page); answers 404 when it
   * returns false or is absent. Such requests are not recorded as API traffic.
   */
  pageHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

const PATHS: Readonly<Record<string, WecomApiName>> = {
  '/cgi-bin/gettoken': 'gettoken',
  '/cgi-bin/message/send': 'message/send',
  '/cgi-bin/message/update_template_card': 'message/update_template_card',
  '/cgi-bin/department/list': 'department/list',
  '/cgi-bin/user/list': 'user/list',
  '/cgi-bin/user/list_id': 'user/list_id',
  '/cgi-bin/user/get': 'user/get',
  '/cgi-bin/auth/getuserinfo': 'auth/getuserinfo',
  '/cgi-bin/externalcontact/get_follow_user_list': 'externalcontact/get_follow_user_list',
  '/cgi-bin/externalcontact/batch/get_by_user': 'externalcontact/batch/get_by_user',
  '/cgi-bin/externalcontact/add_msg_template': 'externalcontact/add_msg_template',
  '/cgi-bin/externalcontact/get_groupmsg_list_v2': 'externalcontact/get_groupmsg_list_v2',
  '/cgi-bin/externalcontact/get_groupmsg_task': 'externalcontact/get_groupmsg_task',
  '/cgi-bin/externalcontact/get_groupmsg_send_result': 'externalcontact/get_groupmsg_send_result',
  '/cgi-bin/externalcontact/cancel_groupmsg_send': 'externalcontact/cancel_groupmsg_send',
};
const SIGN_IN_PAGES: Readonly<Record<string, WecomSignInPageName>> = {
  '/connect/oauth2/authorize': 'oauth2/authorize',
  '/wwlogin/sso/login': 'sso/login',
  '/sim/sso/confirm': 'sso/confirm',
};
/**
 * Identity the simulated WeCom client attaches to a sign-in request (URI-encoded JSON of a
 * {@link SimVisitor}, or `none`); without it the page uses `currentVisitor`, as a real browser in
 * standalone mode does.
 */
export const VISITOR_HEADER = 'x-wecom-sim-visitor';
/** A sign-in code expires 5 minutes after it was issued, if unused (docs/protocols/wecom.md §11.4). */
export const SIGN_IN_CODE_TTL_MS = 5 * 60_000;
const CONTACT_APIS: readonly string[] = ['department/list', 'user/list', 'user/list_id', 'user/get'];

/** response_code validity (docs/protocols/wecom.md §5.1; older documents say 24 h). */
export const RESPONSE_CODE_TTL_MS = 72 * 3_600_000;
/** Per-member app message caps; the excess is silently dropped (docs/protocols/wecom.md §3). */
export const MEMBER_WINDOWS = [
  { windowMs: 60_000, max: 30 },
  { windowMs: 3_600_000, max: 1_000 },
] as const;
const TASK_ID = /^[0-9A-Za-z_\-@]{1,128}$/;
const CARD_TYPES = ['text_notice', 'news_notice', 'button_interaction', 'vote_interaction', 'multiple_interaction'];
const INTERACTIVE = ['button_interaction', 'vote_interaction', 'multiple_interaction'];

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const cdata = (value: string) => `<![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]>`;

export class WecomSimulator {
  readonly corpId: string;
  readonly agentId: number;
  readonly secret: string;
  readonly callbackToken: string;
  readonly encodingAesKey: string;
  /** Lifetime of tokens issued from now on, in seconds. */
  tokenLifetimeSeconds: number;
  /** When false, every API but gettoken answers 60020 (server IP not in 企业可信IP). */
  ipAllowed = true;
  /**
   * The application's visible range (可见范围) for the contact APIs: department ids whose subtrees it
   * may read, or `all`. Reading outside it answers 60011, as WeCom does.
   */
  contactVisibility: 'all' | number[] = 'all';
  /** Contact APIs this application may not call at all (answered 48002). `user/list_id` is for the contact-sync secret only. */
  readonly forbiddenContactApis = new Set<WecomContactApiName>(['user/list_id']);
  /** Page size cap of `user/list_id` (WeCom: 1–10 000). */
  listIdPageSize = 10_000;
  /** 可信域名 (docs/protocols/wecom.md §11.3): `host` or `host:port`, matched exactly, case-insensitive. */
  readonly trustedDomains: Set<string>;
  /** 授权回调域 of the Web login (docs/protocols/wecom.md §11.3), matched like `trustedDomains`. */
  readonly loginCallbackDomains: Set<string>;
  /**
   * The person using WeCom at the browser, for requests that do not carry {@link VISITOR_HEADER}: the
   * OAuth2 link signs them in silently; null shows WeCom's "open it in the WeCom client" page.
   */
  currentVisitor: SimVisitor | null;
  /** Sign-in codes issued, in order. */
  readonly signInCodes: SimSignInCode[] = [];

  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Messages delivered to members. */
  readonly messages: SimMessage[] = [];
  /** Messages WeCom accepted but silently dropped (over the per-member cap). */
  readonly dropped: SimMessage[] = [];
  /** Sends not delivered again because of `enable_duplicate_check`. */
  readonly duplicates: SimMessage[] = [];
  readonly cardUpdates: SimCardUpdate[] = [];
  /** Access tokens issued, in order. */
  readonly issuedTokens: string[] = [];
  /**
   * Whether the application is in 客户联系 → 可调用应用 (docs/protocols/wecom.md §12.1); when false the
   * customer-contact APIs answer 48002.
   */
  customerContactEnabled = true;
  /** Members with the customer-contact feature (客户联系权限), lower-case UserIDs. */
  readonly followUsers = new Set<string>();
  /** The corp's group-message rule per customer (群发助手 → 设置群发规则). */
  groupMessageRule: SimGroupMessageRule = 'days_in_month';
  /** Group sends created, in order. */
  readonly groupSends: SimGroupSend[] = [];
  /**
   * How long after its creation a group send first appears in `get_groupmsg_list_v2` [0: at once], as a
   * listing that lags behind `add_msg_template` looks to the caller. The send exists (and its task and
   * results can be asked for by msgid) meanwhile.
   */
  groupSendListingDelayMs = 0;
  readonly #externalContacts = new Map<string, SimExternalContact>();

  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #hung: ServerResponse[] = [];
  /** How to answer each hung request should the test release it (answerHung). */
  readonly #hungAnswers = new Map<ServerResponse, () => void>();
  readonly #clock: { now(): Date } | null;
  readonly #pageHandler: WecomSimulatorOptions['pageHandler'];
  #clockOffsetMs = 0;
  readonly #users = new Set<string>();
  readonly #tokens = new Map<string, { expiresAtMs: number; revoked: boolean }>();
  readonly #failures: { api: WecomApiName | WecomSignInPageName | '*'; remaining: number; failure: InjectedFailure }[] = [];
  readonly #codes = new Map<string, SimSignInCode>();
  readonly #usedTaskIds = new Set<string>();
  readonly #cards = new Map<string, { recipients: Set<string>; card: Record<string, unknown> }>();
  readonly #responseCodes = new Map<string, { taskId: string; issuedAtMs: number; used: boolean }>();
  readonly #duplicateWindow = new Map<string, { atMs: number; msgid: string }>();
  readonly #memberSends = new Map<string, number[]>();
  readonly #departments = new Map<number, SimDepartment>();
  readonly #members = new Map<string, SimMember>();
  #baseUrl = '';

  private constructor(options: WecomSimulatorOptions) {
    this.corpId = options.corpId ?? 'wwsimcorp0000000001';
    this.agentId = options.agentId ?? 1000002;
    this.secret = options.secret ?? 'sim-secret-0123456789abcdef0123456789abcdef';
    this.callbackToken = options.callbackToken ?? 'simCallbackToken';
    this.encodingAesKey = options.encodingAesKey ?? 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 7200;
    this.#clock = options.clock ?? null;
    this.#pageHandler = options.pageHandler;
    for (const u of options.users ?? []) this.#users.add(u.toLowerCase());
    this.trustedDomains = new Set(options.trustedDomains ?? []);
    this.loginCallbackDomains = new Set(options.loginCallbackDomains ?? []);
    this.currentVisitor = options.currentVisitor ?? null;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        // A simulator bug must show up in the test, not as a hang.
        console.error('WecomSimulator failed to answer', error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a simulator on 127.0.0.1 with an ephemeral port. */
  static async start(options: WecomSimulatorOptions = {}): Promise<WecomSimulator> {
    const sim = new WecomSimulator(options);
    await new Promise<void>((resolve, reject) => {
      sim.#server.once('error', reject);
      sim.#server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    sim.#baseUrl = `http://127.0.0.1:${(sim.#server.address() as AddressInfo).port}`;
    return sim;
  }

  /** The API root to put in `WECOM_API_BASE`. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** Answers every request left hanging so far as if it had not hung (a slow provider that finally answers). */
  answerHung(): void {
    for (const res of this.#hung.splice(0)) {
      const answer = this.#hungAnswers.get(res);
      this.#hungAnswers.delete(res);
      if (answer && !res.destroyed) answer();
    }
  }

  /** Stops the server; requests left hanging are cut. */
  async close(): Promise<void> {
    for (const res of this.#hung.splice(0)) res.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  now(): Date {
    return this.#clock ? this.#clock.now() : new Date(Date.now() + this.#clockOffsetMs);
  }

  /**
   * The clock that stamps the signed `timestamp` of callbacks [the simulator's own]: the service refuses
   * a timestamp far from its clock, so a service on a fake clock hands that clock here.
   */
  callbackClock: { now(): Date } | null = null;

  #callbackTimestamp(): string {
    return String(Math.floor((this.callbackClock ?? this).now().getTime() / 1000));
  }

  /** Moves the simulator's own clock (only when no clock was injected). */
  advanceClock(ms: number): void {
    if (this.#clock) throw new Error('WecomSimulator: the clock was injected; advance that one');
    this.#clockOffsetMs += ms;
  }

  addUser(userid: string): void {
    this.#users.add(userid.toLowerCase());
  }

  removeUser(userid: string): void {
    this.#users.delete(userid.toLowerCase());
  }

  /** UserIDs of the members in the app's message range. */
  get users(): string[] {
    return [...this.#users];
  }

  /**
   * Replaces the contact list (通讯录). Members in it also join the message range, so they can
   * receive cards; `removeMember` takes them out of both.
   */
  setContacts(contacts: { departments: readonly SimDepartment[]; members: readonly SimMember[] }): void {
    this.#departments.clear();
    this.#members.clear();
    for (const d of contacts.departments) this.#departments.set(d.id, { ...d });
    for (const m of contacts.members) this.upsertMember(m);
  }

  /** Adds or replaces one member of the contact list. */
  upsertMember(member: SimMember): void {
    this.#members.set(member.userid.toLowerCase(), { ...member, department: [...member.department] });
    if ((member.status ?? 1) === 1 || member.status === 4) this.#users.add(member.userid.toLowerCase());
    else this.#users.delete(member.userid.toLowerCase());
  }

  /** Removes a member from the contact list (and the message range): they left the corp. */
  removeMember(userid: string): void {
    this.#members.delete(userid.toLowerCase());
    this.#users.delete(userid.toLowerCase());
  }

  /**
   * Adds or replaces customers as external contacts (客户联系); their members get the customer-contact
   * feature (`followUsers`).
   */
  setExternalContacts(contacts: readonly SimExternalContact[]): void {
    for (const c of contacts) {
      this.#externalContacts.set(c.external_userid, { ...c, follow_users: c.follow_users.map((f) => ({ ...f })) });
      for (const f of c.follow_users) this.followUsers.add(f.userid.toLowerCase());
    }
  }

  /** The customer deletes the member (or the member the customer): they are no longer each other's contact. */
  removeExternalContact(externalUserid: string, userid: string): void {
    const contact = this.#externalContacts.get(externalUserid);
    if (contact) contact.follow_users = contact.follow_users.filter((f) => f.userid.toLowerCase() !== userid.toLowerCase());
  }

  /** The group send with this msgid. */
  groupSend(msgid: string): SimGroupSend | undefined {
    return this.groupSends.find((g) => g.msgid === msgid);
  }

  /**
   * The member confirms a group send in the WeCom client (群发助手 → 发送): each customer gets it (status
   * 1), unless they are no longer the member's contact (2) or already received their quota of group
   * messages under `groupMessageRule` (3). A cancelled send cannot be confirmed.
   */
  confirmGroupSend(msgid: string): SimGroupSend {
    const send = this.groupSend(msgid);
    if (!send) throw new Error(`WecomSimulator: no group send ${msgid}`);
    if (send.cancelled) throw new Error(`WecomSimulator: group send ${msgid} was cancelled`);
    if (send.sentAt) throw new Error(`WecomSimulator: group send ${msgid} was already sent`);
    const now = this.now();
    send.sentAt = now;
    for (const [externalUserid, result] of send.results) {
      if (result.status !== 0) continue;
      if (!this.#isContactOf(externalUserid, send.sender)) result.status = 2;
      else if (this.receivedGroupMessages(externalUserid, now) >= this.#groupMessageQuota(now)) result.status = 3;
      else {
        result.status = 1;
        result.sendTime = Math.floor(now.getTime() / 1000);
      }
    }
    return send;
  }

  /** Group messages the customer received in the current period of `groupMessageRule` (China time). */
  receivedGroupMessages(externalUserid: string, at: Date = this.now()): number {
    const start = groupPeriodStart(at, this.groupMessageRule).getTime();
    return this.groupSends.filter((g) => {
      const r = g.results.get(externalUserid);
      return r?.status === 1 && r.sendTime !== null && r.sendTime * 1000 >= start;
    }).length;
  }

  #groupMessageQuota(at: Date): number {
    if (this.groupMessageRule === 'one_a_day') return 1;
    if (this.groupMessageRule === 'seven_a_week') return 7;
    const china = new Date(at.getTime() + 8 * 3_600_000);
    return new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() + 1, 0)).getUTCDate();
  }

  #isContactOf(externalUserid: string, userid: string): boolean {
    return this.#externalContacts.get(externalUserid)?.follow_users.some((f) => f.userid.toLowerCase() === userid.toLowerCase()) ?? false;
  }

  /** Adds or replaces one department of the contact list. */
  upsertDepartment(department: SimDepartment): void {
    this.#departments.set(department.id, { ...department });
  }

  /**
   * The next `times` calls to `api` fail as given instead of being answered. Injections are consumed
   * in the order they were added. `*` stands for every API call, not the sign-in pages, which are named
   * one by one; an errcode injected into a page makes it show WeCom's error page instead of redirecting.
   */
  injectFailure(failure: InjectedFailure, options: { api?: WecomApiName | WecomSignInPageName | '*'; times?: number } = {}): void {
    this.#failures.push({ api: options.api ?? 'message/send', remaining: options.times ?? 1, failure });
  }

  /** Every token issued so far expires now (calls answer 42001). */
  expireTokens(): void {
    const now = this.now().getTime();
    for (const entry of this.#tokens.values()) entry.expiresAtMs = Math.min(entry.expiresAtMs, now - 1);
  }

  /** Every token issued so far becomes invalid before its expiry (calls answer 40014). */
  revokeTokens(): void {
    for (const entry of this.#tokens.values()) entry.revoked = true;
  }

  /** Calls received for `api`. */
  callsTo(api: WecomApiName | WecomSignInPageName): RecordedRequest[] {
    return this.requests.filter((r) => r.api === api);
  }

  /** The latest update of each card (by task_id): the text its buttons were replaced with. */
  cardState(taskId: string): { replaceName: string | null } | null {
    const update = [...this.cardUpdates].reverse().find((u) => u.taskId === taskId);
    return update ? { replaceName: update.replaceName } : null;
  }

  /** Delivered messages whose card has this task_id. */
  messagesForTask(taskId: string): SimMessage[] {
    return this.messages.filter((m) => m.taskId === taskId);
  }

  // ------------------------------------------------------------------ sign-in (docs/protocols/wecom.md §11)

  /**
   * Opens `url` in the simulated WeCom client's browser, as `visitor` [currentVisitor]. The client attaches
   * the person's identity only to a link ending in `#wechat_redirect` (§11.1); without it, or without a
   * visitor, WeCom shows its "open it in the WeCom client" page. Follows nothing: the outcome says where
   * WeCom sent the browser.
   */
  async openInWecom(url: string, visitor: SimVisitor | null = this.currentVisitor): Promise<SimSignInOutcome> {
    const attach = new URL(url).hash === '#wechat_redirect' && visitor !== null;
    // The fragment never travels over HTTP: the header carries what the client concluded from it.
    const response = await fetch(url, { redirect: 'manual', headers: { [VISITOR_HEADER]: attach ? encodeURIComponent(JSON.stringify(visitor)) : 'none' } });
    return signInOutcome(response);
  }

  /**
   * Opens the Web login link `url` (§11.2) in a desktop browser, then has member `choice.userid` scan the
   * QR code and confirm, or the member refuse (`cancel`). Returns where WeCom sent the browser: WeCom's
   * refusal page when the login page itself refuses the link or the member has no permission.
   */
  async signInWithWebLogin(url: string, choice: { userid: string } | 'cancel'): Promise<SimSignInOutcome> {
    const login = await fetch(url, { redirect: 'manual' });
    if (login.status !== 200) return signInOutcome(login);
    await login.text();
    const confirm = new URL(`/sim/sso/confirm${new URL(url).search}`, url);
    if (choice === 'cancel') confirm.searchParams.set('cancel', '1');
    else confirm.searchParams.set('userid', choice.userid);
    return signInOutcome(await fetch(confirm, { redirect: 'manual' }));
  }

  // ------------------------------------------------------------------ callbacks

  /**
   * A member taps a callback button of a card they received: WeCom issues a fresh response_code and
   * posts a signed, encrypted `template_card_event` to `url`.
   */
  async tap(url: string, tap: { userid: string; taskId: string; key: string }): Promise<CallbackDelivery & { responseCode: string }> {
    const card = this.#cards.get(tap.taskId);
    if (!card || !card.recipients.has(tap.userid.toLowerCase())) throw new Error(`WecomSimulator: ${tap.userid} has no card ${tap.taskId}`);
    const buttons = (card.card.button_list as { type?: number; key?: string }[] | undefined) ?? [];
    if (!buttons.some((b) => (b.type ?? 0) === 0 && b.key === tap.key)) throw new Error(`WecomSimulator: card ${tap.taskId} has no button ${tap.key}`);
    const responseCode = this.#issueResponseCode(tap.taskId);
    const delivery = await this.sendCardEvent(url, { fromUser: tap.userid, taskId: tap.taskId, eventKey: tap.key, responseCode, cardType: String(card.card.card_type) });
    return { ...delivery, responseCode };
  }

  /** Posts a `template_card_event` as given, whether or not such a card exists. */
  async sendCardEvent(
    url: string,
    event: { fromUser: string; taskId: string; eventKey: string; responseCode?: string; cardType?: string; createTime?: number },
    seal: SealOptions = {},
  ): Promise<CallbackDelivery> {
    const xml =
      `<xml><ToUserName>${cdata(this.corpId)}</ToUserName><FromUserName>${cdata(event.fromUser)}</FromUserName>` +
      `<CreateTime>${event.createTime ?? Math.floor(this.now().getTime() / 1000)}</CreateTime><MsgType>${cdata('event')}</MsgType>` +
      `<Event>${cdata('template_card_event')}</Event><EventKey>${cdata(event.eventKey)}</EventKey><TaskId>${cdata(event.taskId)}</TaskId>` +
      `<CardType>${cdata(event.cardType ?? 'button_interaction')}</CardType><ResponseCode>${cdata(event.responseCode ?? this.#issueResponseCode(event.taskId))}</ResponseCode>` +
      `<AgentID>${this.agentId}</AgentID><SelectedItems></SelectedItems></xml>`;
    return this.deliver(url, xml, seal);
  }

  /** A member sends a text message to the application (docs/protocols/wecom.md §7.1). */
  async sendText(url: string, text: { fromUser: string; content: string; msgId?: string; createTime?: number }, seal: SealOptions = {}): Promise<CallbackDelivery> {
    const msgId = text.msgId ?? `${randomInt(1, 9)}${Array.from({ length: 18 }, () => randomInt(0, 10)).join('')}`;
    const xml =
      `<xml><ToUserName>${cdata(this.corpId)}</ToUserName><FromUserName>${cdata(text.fromUser)}</FromUserName>` +
      `<CreateTime>${text.createTime ?? Math.floor(this.now().getTime() / 1000)}</CreateTime><MsgType>${cdata('text')}</MsgType>` +
      `<Content>${cdata(text.content)}</Content><MsgId>${msgId}</MsgId><AgentID>${this.agentId}</AgentID></xml>`;
    return this.deliver(url, xml, seal);
  }

  /**
   * Encrypts `plaintextXml` for the corp, signs it and POSTs it to `url` as WeCom does (docs/protocols/wecom.md §6.3).
   * `seal` can forge it: a wrong signature, another corp's receiveid, another token.
   */
  async deliver(url: string, plaintextXml: string, seal: SealOptions = {}): Promise<CallbackDelivery> {
    const timestamp = seal.timestamp ?? this.#callbackTimestamp();
    const nonce = seal.nonce ?? String(randomInt(100_000_000, 999_999_999));
    const encrypt = simEncrypt(seal.encodingAesKey ?? this.encodingAesKey, plaintextXml, seal.receiveId ?? this.corpId);
    let signature = simSignature(seal.token ?? this.callbackToken, timestamp, nonce, encrypt);
    if (seal.forgeSignature) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const body = `<xml><ToUserName>${cdata(this.corpId)}</ToUserName><AgentID>${cdata(String(this.agentId))}</AgentID><Encrypt>${cdata(encrypt)}</Encrypt></xml>`;
    const target = `${url}?${new URLSearchParams({ msg_signature: signature, timestamp, nonce }).toString()}`;
    const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
    return { url: target, body, status: response.status, responseBody: await response.text(), plaintext: plaintextXml };
  }

  /** Posts a delivery again exactly as before (WeCom's resend after a missed 5 s deadline). */
  async replay(delivery: CallbackDelivery): Promise<CallbackDelivery> {
    const response = await fetch(delivery.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: delivery.body });
    return { ...delivery, status: response.status, responseBody: await response.text() };
  }

  /** The URL verification handshake (docs/protocols/wecom.md §6.2): GET with an encrypted `echostr`; the answer must be its plaintext. */
  async verifyUrl(url: string, seal: SealOptions = {}): Promise<{ status: number; body: string; expected: string }> {
    const expected = String(randomInt(1, 2 ** 47));
    const timestamp = seal.timestamp ?? this.#callbackTimestamp();
    const nonce = seal.nonce ?? String(randomInt(100_000_000, 999_999_999));
    const echostr = simEncrypt(seal.encodingAesKey ?? this.encodingAesKey, expected, seal.receiveId ?? this.corpId);
    let signature = simSignature(seal.token ?? this.callbackToken, timestamp, nonce, echostr);
    if (seal.forgeSignature) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const response = await fetch(`${url}?${new URLSearchParams({ msg_signature: signature, timestamp, nonce, echostr }).toString()}`);
    return { status: response.status, body: await response.text(), expected };
  }

  // ------------------------------------------------------------------ server

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const signInPage = SIGN_IN_PAGES[url.pathname];
    if (signInPage) {
      await this.#serveSignInPage(signInPage, req, res, url);
      return;
    }
    if (!url.pathname.startsWith('/cgi-bin/')) {
      if (!this.#pageHandler || !(await this.#pageHandler(req, res))) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const api = PATHS[url.pathname] ?? 'unknown';
    const query = Object.fromEntries(url.searchParams.entries());
    const raw = await readBody(req);
    let body: unknown = null;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        body = raw;
      }
    }
    const record: RecordedRequest = { api, method: req.method ?? 'GET', query, body, at: this.now(), answer: { status: 0, json: null } };
    this.requests.push(record);

    const injected = api === 'unknown' ? undefined : this.#takeFailure(api);
    if (injected && 'dropAnswer' in injected) {
      // Done, but the answer never reaches the caller.
      record.answer = { dropped: true, json: this.#answer(api, req.method ?? 'GET', query, body) };
      req.socket.destroy();
      return;
    }
    if (this.#failTransport(injected, record, res)) {
      if (injected && 'hang' in injected && api !== 'unknown') {
        this.#hungAnswers.set(res, () => {
          const json = this.#answer(api, req.method ?? 'GET', query, body);
          record.answer = { status: 200, json };
          res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(json));
        });
      }
      return;
    }
    const json = injected && 'errcode' in injected ? { errcode: injected.errcode, errmsg: injected.errmsg ?? `simulated errcode ${injected.errcode}` } : this.#answer(api, req.method ?? 'GET', query, body);
    record.answer = { status: 200, json };
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(json));
  }

  /** Answers a hang or an HTTP failure when one was injected; false when the request is to be answered. */
  #failTransport(injected: InjectedFailure | undefined, record: RecordedRequest, res: ServerResponse): boolean {
    if (injected && 'hang' in injected) {
      record.answer = { hung: true };
      this.#hung.push(res);
      return true;
    }
    if (injected && 'httpStatus' in injected) {
      record.answer = { status: injected.httpStatus, json: null };
      res.writeHead(injected.httpStatus, { 'content-type': 'text/plain' }).end('simulated failure');
      return true;
    }
    return false;
  }

  #takeFailure(api: WecomApiName | WecomSignInPageName): InjectedFailure | undefined {
    const isPage = Object.values(SIGN_IN_PAGES).includes(api as WecomSignInPageName);
    const index = this.#failures.findIndex((f) => f.api === api || (f.api === '*' && !isPage));
    if (index < 0) return undefined;
    const entry = this.#failures[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#failures.splice(index, 1);
    return entry.failure;
  }

  #answer(api: WecomApiName | 'unknown', method: string, query: Record<string, string>, body: unknown): Record<string, unknown> {
    if (api === 'unknown') return { errcode: 40058, errmsg: 'invalid url path' };
    if (api === 'gettoken') return this.#getToken(query);
    if (!this.ipAllowed) {
      return { errcode: 60020, errmsg: 'not allow to access from your ip, hint: [simulator], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=60020' };
    }
    // The token is checked first: a call refused for its token does not spend a sign-in code.
    const tokenError = this.#checkToken(query.access_token);
    if (tokenError) return tokenError;
    if (api === 'auth/getuserinfo') return this.#getUserInfo(method, query);
    if (CONTACT_APIS.includes(api)) return this.#contacts(api as WecomContactApiName, method, query, body);
    if (api.startsWith('externalcontact/')) return this.#customerContact(api as WecomCustomerContactApiName, method, body);
    if (method !== 'POST' || body === null || typeof body !== 'object' || Array.isArray(body)) {
      return { errcode: 40058, errmsg: 'invalid parameter, Warning: wrong json format.' };
    }
    const b = body as Record<string, unknown>;
    if (Number(b.agentid) !== this.agentId) return { errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken.' };
    return api === 'message/send' ? this.#send(b) : this.#updateCard(b);
  }

  #getToken(query: Record<string, string>): Record<string, unknown> {
    if (query.corpid !== this.corpId) return { errcode: 40013, errmsg: 'invalid corpid' };
    if (query.corpsecret !== this.secret) return { errcode: 40001, errmsg: 'invalid credential' };
    const token = randomBytes(48).toString('base64url');
    this.#tokens.set(token, { expiresAtMs: this.now().getTime() + this.tokenLifetimeSeconds * 1000, revoked: false });
    this.issuedTokens.push(token);
    return { errcode: 0, errmsg: 'ok', access_token: token, expires_in: this.tokenLifetimeSeconds };
  }

  #checkToken(token: string | undefined): Record<string, unknown> | null {
    if (!token) return { errcode: 41001, errmsg: 'access_token missing' };
    const entry = this.#tokens.get(token);
    if (!entry || entry.revoked) return { errcode: 40014, errmsg: 'invalid access_token' };
    if (entry.expiresAtMs <= this.now().getTime()) return { errcode: 42001, errmsg: 'access_token expired' };
    return null;
  }

  #send(b: Record<string, unknown>): Record<string, unknown> {
    const touser = typeof b.touser === 'string' ? b.touser : '';
    if (touser === '') return { errcode: 82001, errmsg: 'All touser & toparty & totag invalid' };
    const msgtype = String(b.msgtype ?? '');
    let taskId: string | null = null;
    let card: Record<string, unknown> | null = null;
    if (msgtype === 'text') {
      const content = (b.text as { content?: unknown } | undefined)?.content;
      if (typeof content !== 'string' || content === '') return { errcode: 44004, errmsg: 'empty content' };
      if (bytes(content) > 2048) return { errcode: 45002, errmsg: 'content size out of limit' };
    } else if (msgtype === 'markdown') {
      // docs/protocols/wecom.md §4.3: markdown content ≤ 2048 bytes of UTF-8.
      const content = (b.markdown as { content?: unknown } | undefined)?.content;
      if (typeof content !== 'string' || content === '') return { errcode: 44004, errmsg: 'empty content' };
      if (bytes(content) > 2048) return { errcode: 45002, errmsg: 'content size out of limit' };
    } else if (msgtype === 'template_card') {
      card = (b.template_card ?? null) as Record<string, unknown> | null;
      const invalid = card ? validateCard(card) : { errcode: 40058, errmsg: 'template_card missing' };
      if (invalid) return invalid;
      taskId = typeof card!.task_id === 'string' ? card!.task_id : null;
    } else {
      return { errcode: 40008, errmsg: 'invalid message type' };
    }

    const now = this.now().getTime();
    if (b.enable_duplicate_check === 1) {
      // An identical request within the interval is not delivered again (docs/protocols/wecom.md §4.1).
      const intervalMs = Math.min(Number(b.duplicate_check_interval ?? 1800), 4 * 3600) * 1000;
      const key = JSON.stringify(b);
      const seen = this.#duplicateWindow.get(key);
      if (seen && now - seen.atMs < intervalMs) {
        this.duplicates.push({ msgid: seen.msgid, userid: touser, msgtype, taskId, body: b, at: this.now() });
        return { errcode: 0, errmsg: 'ok', invaliduser: '', msgid: seen.msgid };
      }
    }
    if (taskId !== null && this.#usedTaskIds.has(taskId)) return { errcode: 42014, errmsg: 'taskid has existed or empty or exceed max len' };

    const requested = touser === '@all' ? [...this.#users] : touser.split('|');
    const valid = requested.filter((u) => this.#users.has(u.toLowerCase())).map((u) => u.toLowerCase());
    const invalid = requested.filter((u) => !this.#users.has(u.toLowerCase())).map((u) => u.toLowerCase());
    if (valid.length === 0) return { errcode: 81013, errmsg: 'user & party & tag all invalid' };

    const msgid = randomBytes(24).toString('base64url');
    if (taskId !== null) {
      this.#usedTaskIds.add(taskId);
      this.#cards.set(taskId, { recipients: new Set(valid), card: card! });
    }
    for (const userid of valid) {
      const message: SimMessage = { msgid, userid, msgtype, taskId, body: b, at: this.now() };
      (this.#withinMemberCap(userid, now) ? this.messages : this.dropped).push(message);
    }
    if (b.enable_duplicate_check === 1) this.#duplicateWindow.set(JSON.stringify(b), { atMs: now, msgid });
    const answer: Record<string, unknown> = { errcode: 0, errmsg: 'ok', invaliduser: invalid.join('|'), msgid };
    if (card && INTERACTIVE.includes(String(card.card_type))) answer.response_code = this.#issueResponseCode(taskId!);
    return answer;
  }

  /** Counts a delivery to `userid`; false (dropped, silently) beyond 30/min or 1000/hour. */
  #withinMemberCap(userid: string, now: number): boolean {
    const sends = (this.#memberSends.get(userid) ?? []).filter((t) => t > now - 3_600_000);
    const fits = MEMBER_WINDOWS.every((w) => sends.filter((t) => t > now - w.windowMs).length < w.max);
    if (fits) sends.push(now);
    this.#memberSends.set(userid, sends);
    return fits;
  }

  #updateCard(b: Record<string, unknown>): Record<string, unknown> {
    const code = typeof b.response_code === 'string' ? b.response_code : '';
    const entry = this.#responseCodes.get(code);
    // WeCom documents no dedicated errcode for a spent or expired response_code; the simulator answers
    // the generic "invalid parameter" (40058), which the adapter classifies as permanent.
    if (!entry) return { errcode: 40058, errmsg: 'invalid response_code' };
    if (entry.used) return { errcode: 40058, errmsg: 'response_code has been used' };
    if (this.now().getTime() - entry.issuedAtMs > RESPONSE_CODE_TTL_MS) return { errcode: 40058, errmsg: 'response_code expired' };
    const userids = Array.isArray(b.userids) ? b.userids.map(String) : [];
    const replaceName = (b.button as { replace_name?: unknown } | undefined)?.replace_name;
    if (userids.length === 0 && b.atall !== 1) return { errcode: 40058, errmsg: 'userids empty' };
    entry.used = true;
    this.cardUpdates.push({ userids, responseCode: code, taskId: entry.taskId, replaceName: typeof replaceName === 'string' ? replaceName : null, body: b, at: this.now() });
    const recipients = this.#cards.get(entry.taskId)?.recipients ?? new Set<string>();
    return { errcode: 0, errmsg: 'ok', invaliduser: userids.filter((u) => !recipients.has(u.toLowerCase())).join('|') };
  }

  // ------------------------------------------------------------------ sign-in pages and auth/getuserinfo

  async #serveSignInPage(page: WecomSignInPageName, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const query = Object.fromEntries(url.searchParams.entries());
    const record: RecordedRequest = { api: page, method: req.method ?? 'GET', query, body: null, at: this.now(), answer: { status: 0, json: null } };
    this.requests.push(record);
    const injected = this.#takeFailure(page);
    if (this.#failTransport(injected, record, res)) return;
    let answer: PageAnswer;
    if (injected && 'errcode' in injected) answer = { status: 403, html: renderSignInNotice('系统错误', `errcode ${injected.errcode}: ${injected.errmsg ?? 'simulated failure'}`) };
    else if (req.method !== 'GET') answer = { status: 405, html: renderSignInNotice('参数错误', 'GET only') };
    else answer = this.#signIn(page, query, parseVisitor(req.headers[VISITOR_HEADER]));
    if ('location' in answer) {
      record.answer = { status: 302, json: null, location: answer.location };
      res.writeHead(302, { location: answer.location, 'cache-control': 'no-store' }).end();
      return;
    }
    record.answer = { status: answer.status, json: null };
    res.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(answer.html);
  }

  /**
   * One sign-in page (docs/protocols/wecom.md §11): checks the link as WeCom does and either sends the
   * browser back with a fresh code, or shows WeCom's page instead. `visitor` is what the WeCom client
   * attached (undefined: nothing said, use `currentVisitor`; null: no identity).
   */
  #signIn(page: WecomSignInPageName, q: Record<string, string>, visitor: SimVisitor | null | undefined): PageAnswer {
    const refuse = (title: string, detail: string): PageAnswer => ({ status: 403, html: renderSignInNotice(title, detail) });
    const state = q.state ?? '';
    if (page === 'oauth2/authorize') {
      // §11.1: appid, response_type, scope, agentid and state as on WeCom's page; then the trusted domain (§11.3).
      if (q.appid !== this.corpId) return refuse('参数错误', 'appid 不是本企业的 CorpID');
      if (q.response_type !== 'code') return refuse('参数错误', 'response_type 只能是 code');
      if (q.scope !== 'snsapi_base' && q.scope !== 'snsapi_privateinfo') return refuse('参数错误', 'scope 只能是 snsapi_base 或 snsapi_privateinfo');
      if (q.agentid !== undefined ? Number(q.agentid) !== this.agentId : q.scope === 'snsapi_privateinfo') return refuse('参数错误', 'agentid 不是本应用的 AgentId');
      if (!/^[A-Za-z0-9]{0,128}$/.test(state)) return refuse('参数错误', 'state 只能包含字母和数字，最长 128 字节');
      const target = this.#redirectTarget(q.redirect_uri, 'oauth2');
      if (target === 'invalid') return refuse('redirect_uri参数错误', 'redirect_uri 必须是 http(s) 的完整链接');
      if (target === 'untrusted') return refuse('redirect_uri需使用应用可信域名', `${new URL(q.redirect_uri!).host} 不是应用的可信域名`);
      const who = visitor === undefined ? this.currentVisitor : visitor;
      if (who === null) return { status: 200, html: renderSignInNotice('请在企业微信客户端打开链接', '这个链接只能在企业微信内打开（模拟器：在成员页面上选择「用企业微信登录」）') };
      if (q.scope === 'snsapi_privateinfo' && !('userid' in who && this.#users.has(who.userid.toLowerCase()))) return refuse('成员不在应用可见范围', '手动授权要求成员在应用的可见范围内');
      return { location: this.#issueSignInCode(who, 'oauth2', q.redirect_uri!, state) };
    }
    // §11.2, with the refusals of the older QR-code page: "该链接无法访问" for a bad link, no permission outside the visible range.
    if (q.login_type !== 'CorpApp') return refuse('该链接无法访问', 'login_type 应为 CorpApp（模拟器只模拟企业自建应用）');
    if (q.appid !== this.corpId) return refuse('该链接无法访问', 'appid 不是本企业的 CorpID');
    if (q.agentid === undefined || Number(q.agentid) !== this.agentId) return refuse('该链接无法访问', 'agentid 不是本应用的 AgentId');
    const target = this.#redirectTarget(q.redirect_uri, 'web_login');
    if (target !== 'ok') return refuse('该链接无法访问', 'redirect_uri 的域名不是应用的可信域名或授权回调域');
    if (page === 'sso/login') {
      const link = new URLSearchParams(q);
      link.delete('userid');
      link.delete('cancel');
      const current = this.currentVisitor && 'userid' in this.currentVisitor ? this.currentVisitor.userid.toLowerCase() : null;
      return {
        status: 200,
        html: renderWebLoginPage({
          members: this.users.sort(),
          current,
          confirmUrl: (userid) => `/sim/sso/confirm?${link.toString()}&userid=${encodeURIComponent(userid)}`,
          cancelUrl: `/sim/sso/confirm?${link.toString()}&cancel=1`,
        }),
      };
    }
    // sso/confirm: the member refused (sent back without a code), or scanned and confirmed.
    if (q.cancel === '1') return { location: appendQuery(q.redirect_uri!, [['state', state]]) };
    const userid = (q.userid ?? '').toLowerCase();
    if (!this.#users.has(userid)) return refuse('无权限', '该成员不在应用的可见范围内，不能登录');
    return { location: this.#issueSignInCode({ userid: this.#members.get(userid)?.userid ?? userid }, 'web_login', q.redirect_uri!, state) };
  }

  /** Whether `redirectUri` is an absolute http(s) URL whose host is trusted for that kind of sign-in (§11.3). */
  #redirectTarget(redirectUri: string | undefined, via: SimSignInCode['via']): 'ok' | 'invalid' | 'untrusted' {
    let url: URL;
    try {
      url = new URL(redirectUri ?? '');
    } catch {
      return 'invalid';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'invalid';
    // Exact host, port included when the URL has one; no wildcards; scheme and path do not matter.
    const domains = via === 'oauth2' ? [...this.trustedDomains] : [...this.trustedDomains, ...this.loginCallbackDomains];
    return domains.some((d) => d.toLowerCase() === url.host.toLowerCase()) ? 'ok' : 'untrusted';
  }

  /** A fresh one-time code for `visitor`, and the redirect that carries it. */
  #issueSignInCode(visitor: SimVisitor, via: SimSignInCode['via'], redirectUri: string, state: string): string {
    const code = randomBytes(32).toString('base64url');
    const entry: SimSignInCode = { code, visitor, via, redirectUri, issuedAt: this.now(), usedAt: null };
    this.#codes.set(code, entry);
    this.signInCodes.push(entry);
    return appendQuery(redirectUri, [
      ['code', code],
      ['state', state],
    ]);
  }

  /** `GET /cgi-bin/auth/getuserinfo` (docs/protocols/wecom.md §11.4), after the token checks. */
  #getUserInfo(method: string, query: Record<string, string>): Record<string, unknown> {
    if (method !== 'GET') return { errcode: 40058, errmsg: 'invalid parameter' };
    const entry = this.#codes.get(query.code ?? '');
    // WeCom documents one errcode for a code that is unknown, used or expired.
    const invalid = { errcode: 40029, errmsg: 'invalid code, hint: [simulator], more info at https://open.work.weixin.qq.com/devtool/query?e=40029' };
    if (!entry || entry.usedAt !== null) return invalid;
    if (this.now().getTime() - entry.issuedAt.getTime() > SIGN_IN_CODE_TTL_MS) return invalid;
    // The domain the browser went back to must (still) be trusted by this application.
    if (this.#redirectTarget(entry.redirectUri, entry.via) !== 'ok') return { errcode: 50001, errmsg: 'redirect_uri unauthorized, hint: [simulator]' };
    entry.usedAt = this.now();
    const { visitor } = entry;
    if ('userid' in visitor) return { errcode: 0, errmsg: 'ok', userid: visitor.userid };
    return { errcode: 0, errmsg: 'ok', openid: visitor.openid, ...(visitor.externalUserid ? { external_userid: visitor.externalUserid } : {}) };
  }

  // ------------------------------------------------------------------ contacts

  /** Whether department `id` is inside the visible range (it or an ancestor is listed). */
  #visible(id: number): boolean {
    if (this.contactVisibility === 'all') return this.#departments.has(id);
    const seen = new Set<number>();
    for (let at: number | undefined = id; at !== undefined && at !== 0 && !seen.has(at); at = this.#departments.get(at)?.parentid) {
      if (this.contactVisibility.includes(at)) return this.#departments.has(id);
      seen.add(at);
    }
    return false;
  }

  #contacts(api: WecomContactApiName, method: string, query: Record<string, string>, body: unknown): Record<string, unknown> {
    const noPrivilege = { errcode: 60011, errmsg: 'no privilege to access/modify contact/party/agent , hint: [simulator]' };
    if (this.forbiddenContactApis.has(api)) return { errcode: 48002, errmsg: 'api forbidden, hint: [simulator]' };
    const visibleMember = (m: SimMember) => m.department.some((d) => this.#visible(d));
    const render = (m: SimMember) => {
      const departments = m.department.filter((d) => this.#visible(d));
      return {
        userid: m.userid,
        name: m.name,
        department: departments,
        ...(m.main_department !== undefined ? { main_department: m.main_department } : {}),
        is_leader_in_dept: departments.map((d) => m.is_leader_in_dept?.[m.department.indexOf(d)] ?? 0),
        direct_leader: m.direct_leader ?? [],
        status: m.status ?? 1,
      };
    };
    if (api === 'department/list') {
      if (method !== 'GET') return { errcode: 40058, errmsg: 'invalid parameter' };
      const visible = [...this.#departments.values()].filter((d) => this.#visible(d.id));
      if (visible.length === 0) return noPrivilege;
      let listed = visible;
      if (query.id !== undefined && query.id !== '') {
        const root = Number(query.id);
        if (!this.#departments.has(root)) return { errcode: 60123, errmsg: 'invalid party id' };
        if (!this.#visible(root)) return noPrivilege;
        const under = (id: number): boolean => id === root || (id !== 0 && id !== this.#departments.get(id)?.parentid && under(this.#departments.get(id)?.parentid ?? 0));
        listed = visible.filter((d) => under(d.id));
      }
      return {
        errcode: 0,
        errmsg: 'ok',
        department: listed.map((d) => ({ id: d.id, name: d.name, name_en: '', department_leader: d.department_leader ?? [], parentid: d.parentid, order: d.order ?? 0 })),
      };
    }
    if (api === 'user/list') {
      if (method !== 'GET') return { errcode: 40058, errmsg: 'invalid parameter' };
      const id = Number(query.department_id);
      if (!this.#departments.has(id)) return { errcode: 60123, errmsg: 'invalid party id' };
      if (!this.#visible(id)) return noPrivilege;
      return { errcode: 0, errmsg: 'ok', userlist: [...this.#members.values()].filter((m) => m.department.includes(id)).map(render) };
    }
    if (api === 'user/get') {
      if (method !== 'GET') return { errcode: 40058, errmsg: 'invalid parameter' };
      const member = this.#members.get(String(query.userid ?? '').toLowerCase());
      if (!member) return { errcode: 60111, errmsg: 'invalid string value `userid`. userid not found' };
      if (!visibleMember(member)) return noPrivilege;
      return { errcode: 0, errmsg: 'ok', ...render(member) };
    }
    // user/list_id: POST {cursor, limit}; one row per (member, department); the cursor is an offset.
    if (method !== 'POST' || body === null || typeof body !== 'object') return { errcode: 40058, errmsg: 'invalid parameter, Warning: wrong json format.' };
    const b = body as { cursor?: unknown; limit?: unknown };
    const limit = Math.min(Number(b.limit ?? 10_000), this.listIdPageSize);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return { errcode: 40058, errmsg: 'invalid limit' };
    const rows = [...this.#members.values()].flatMap((m) => m.department.filter((d) => this.#visible(d)).map((d) => ({ userid: m.userid, department: d })));
    const offset = b.cursor ? Number(Buffer.from(String(b.cursor), 'base64url').toString()) : 0;
    if (!Number.isInteger(offset) || offset < 0) return { errcode: 40058, errmsg: 'invalid cursor' };
    const page = rows.slice(offset, offset + limit);
    const next = offset + limit < rows.length ? Buffer.from(String(offset + limit)).toString('base64url') : '';
    return { errcode: 0, errmsg: 'ok', next_cursor: next, dept_user: page };
  }

  // ------------------------------------------------------------------ customer contact (docs/protocols/wecom.md §12)

  #customerContact(api: WecomCustomerContactApiName, method: string, body: unknown): Record<string, unknown> {
    if (!this.customerContactEnabled) return { errcode: 48002, errmsg: 'api forbidden' };
    if (api === 'externalcontact/get_follow_user_list') {
      return { errcode: 0, errmsg: 'ok', follow_user: [...this.followUsers].filter((u) => this.#users.has(u)) };
    }
    if (method !== 'POST' || body === null || typeof body !== 'object' || Array.isArray(body)) return { errcode: 40058, errmsg: 'invalid parameter, Warning: wrong json format.' };
    const b = body as Record<string, unknown>;
    switch (api) {
      case 'externalcontact/batch/get_by_user':
        return this.#contactsByUser(b);
      case 'externalcontact/add_msg_template':
        return this.#addMsgTemplate(b);
      case 'externalcontact/get_groupmsg_list_v2':
        return this.#groupMsgList(b);
      case 'externalcontact/get_groupmsg_task': {
        const send = this.groupSend(String(b.msgid ?? ''));
        if (!send) return { errcode: 40058, errmsg: 'invalid msgid' };
        const status = send.sentAt ? 2 : 0;
        return { errcode: 0, errmsg: 'ok', next_cursor: '', task_list: [{ userid: send.sender, status, ...(send.sentAt ? { send_time: Math.floor(send.sentAt.getTime() / 1000) } : {}) }] };
      }
      case 'externalcontact/get_groupmsg_send_result': {
        const send = this.groupSend(String(b.msgid ?? ''));
        if (!send) return { errcode: 40058, errmsg: 'invalid msgid' };
        if (String(b.userid ?? '').toLowerCase() !== send.sender.toLowerCase()) return { errcode: 0, errmsg: 'ok', next_cursor: '', send_list: [] };
        const sendList = [...send.results].map(([external_userid, r]) => ({ external_userid, userid: send.sender, status: r.status, ...(r.status === 1 ? { send_time: r.sendTime } : {}) }));
        return { errcode: 0, errmsg: 'ok', next_cursor: '', send_list: sendList };
      }
      case 'externalcontact/cancel_groupmsg_send': {
        const send = this.groupSend(String(b.msgid ?? ''));
        if (!send) return { errcode: 40058, errmsg: 'invalid msgid' };
        if (!send.sentAt) send.cancelled = true;
        return { errcode: 0, errmsg: 'ok' };
      }
      default:
        return { errcode: 40058, errmsg: 'invalid url path' };
    }
  }

  /**
   * `get_groupmsg_list_v2` (获取群发记录列表, docs/protocols/wecom.md §12.5): the corp's group sends created
   * from `start_time` to `end_time` (seconds, at most a month apart), oldest first, `limit` (≤ 100,
   * default 50; more than 100 means the default) a page, `cursor` from the page before. `filter_type` 0
   * 企业发表 (every send created through the API), 1 个人发表 (none here), 2 or absent both. The
   * simulator gives API-created sends no `creator` (not confirmed on WeCom's pages; Huifang does not rely on it).
   */
  #groupMsgList(b: Record<string, unknown>): Record<string, unknown> {
    if (b.chat_type !== undefined && b.chat_type !== 'single') return { errcode: 0, errmsg: 'ok', next_cursor: '', group_msg_list: [] };
    const start = Number(b.start_time);
    const end = Number(b.end_time);
    if (!Number.isInteger(start) || !Number.isInteger(end) || end < start) return { errcode: 40058, errmsg: 'invalid start_time or end_time' };
    // 「群发任务记录的起止时间间隔不能超过1个月」: the errcode for a longer range is not documented; the simulator answers 40058.
    if (end - start > 31 * 86_400) return { errcode: 40058, errmsg: 'time range exceeds one month' };
    const filterType = b.filter_type === undefined ? 2 : Number(b.filter_type);
    const limitAsked = Number(b.limit ?? 50);
    const limit = Number.isInteger(limitAsked) && limitAsked >= 1 && limitAsked <= 100 ? limitAsked : 50;
    // Every simulated send is 企业发表 without a creator: asking for 个人发表, or for one creator, finds none.
    const none = filterType === 1 || (typeof b.creator === 'string' && b.creator !== '');
    const all = none
      ? []
      : this.groupSends.filter((g) => {
          const t = Math.floor(g.createdAt.getTime() / 1000);
          return t >= start && t <= end && this.now().getTime() >= g.createdAt.getTime() + this.groupSendListingDelayMs;
        });
    const offset = b.cursor ? Number(Buffer.from(String(b.cursor), 'base64url').toString()) : 0;
    if (!Number.isInteger(offset) || offset < 0) return { errcode: 40058, errmsg: 'invalid cursor' };
    const page = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : '';
    return {
      errcode: 0,
      errmsg: 'ok',
      next_cursor: next,
      group_msg_list: page.map((g) => ({ msgid: g.msgid, create_time: Math.floor(g.createdAt.getTime() / 1000), create_type: 0, text: { content: g.text }, attachments: [] })),
    };
  }

  #contactsByUser(b: Record<string, unknown>): Record<string, unknown> {
    const userids = Array.isArray(b.userid_list) ? b.userid_list.map((u) => String(u).toLowerCase()) : [];
    if (userids.length === 0 || userids.length > 100) return { errcode: 40058, errmsg: 'invalid userid_list' };
    const limit = Math.min(Math.max(Number(b.limit ?? 50) || 50, 1), 100);
    const all = [...this.#externalContacts.values()].flatMap((c) =>
      c.follow_users
        .filter((f) => userids.includes(f.userid.toLowerCase()))
        .map((f) => ({
          external_contact: { external_userid: c.external_userid, name: c.name, type: c.type ?? 1 },
          follow_info: { userid: f.userid, remark: f.remark ?? '', remark_mobiles: f.remark_mobiles ?? [], createtime: 1_700_000_000, tag_id: [] },
        })),
    );
    const offset = Number(b.cursor ? Buffer.from(String(b.cursor), 'base64url').toString() : '0') || 0;
    const page = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : '';
    return { errcode: 0, errmsg: 'ok', external_contact_list: page, next_cursor: next };
  }

  #addMsgTemplate(b: Record<string, unknown>): Record<string, unknown> {
    if (b.chat_type !== undefined && b.chat_type !== 'single') return { errcode: 40058, errmsg: 'only chat_type single is simulated' };
    const sender = typeof b.sender === 'string' ? b.sender : '';
    // A sender who is not a member with the customer-contact feature.
    if (sender !== '' && (!this.#users.has(sender.toLowerCase()) || !this.followUsers.has(sender.toLowerCase()))) return { errcode: 40003, errmsg: 'invalid userid' };
    const ids = Array.isArray(b.external_userid) ? b.external_userid.map(String) : [];
    if (ids.length === 0) return { errcode: 40058, errmsg: 'external_userid empty' };
    if (ids.some((id) => !this.#externalContacts.has(id))) return { errcode: 40096, errmsg: 'invalid external userid' };
    const content = (b.text as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string' || content === '') return { errcode: 44004, errmsg: 'empty content' };
    // text.content at most 4000 bytes (docs/protocols/wecom.md §12.2).
    if (bytes(content) > 4000) return { errcode: 45002, errmsg: 'content size out of limit' };
    const failList = sender === '' ? [] : ids.filter((id) => !this.#isContactOf(id, sender));
    const msgid = `msg${randomBytes(18).toString('base64url')}`;
    const results = new Map(ids.filter((id) => !failList.includes(id)).map((id) => [id, { status: 0 as const, sendTime: null }]));
    this.groupSends.push({ msgid, sender, externalUserids: ids, text: content, createdAt: this.now(), sentAt: null, cancelled: false, results });
    return { errcode: 0, errmsg: 'ok', fail_list: failList, msgid };
  }

  #issueResponseCode(taskId: string): string {
    const code = randomBytes(24).toString('base64url');
    this.#responseCodes.set(code, { taskId, issuedAtMs: this.now().getTime(), used: false });
    return code;
  }
}

/** A sign-in page's answer: a redirect, or a page. */
type PageAnswer = { location: string } | { status: number; html: string };

/** `redirectUri` with `pairs` added to its query, as WeCom appends `code` and `state` (docs/protocols/wecom.md §11.1). */
function appendQuery(redirectUri: string, pairs: readonly (readonly [string, string])[]): string {
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

/** The visitor the simulated WeCom client attached: undefined when the header is absent, null for `none`. */
function parseVisitor(header: string | string[] | undefined): SimVisitor | null | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === 'none') return null;
  try {
    const parsed = JSON.parse(decodeURIComponent(value)) as Partial<{ userid: string; openid: string; externalUserid: string }>;
    if (typeof parsed.userid === 'string') return { userid: parsed.userid };
    if (typeof parsed.openid === 'string') return { openid: parsed.openid, ...(typeof parsed.externalUserid === 'string' ? { externalUserid: parsed.externalUserid } : {}) };
  } catch {
    // Unreadable: the same as no identity.
  }
  return null;
}

async function signInOutcome(response: Response): Promise<SimSignInOutcome> {
  const location = response.headers.get('location');
  const page = await response.text();
  return { status: response.status, location, page: location ? '' : page };
}

/** How a simulated callback is sealed; each field forges one aspect of it. */
export interface SealOptions {
  token?: string;
  encodingAesKey?: string;
  receiveId?: string;
  timestamp?: string;
  nonce?: string;
  /** Flip the signature so it no longer matches. */
  forgeSignature?: boolean;
}

/** Template card checks WeCom makes (docs/protocols/wecom.md §4.4, errcodes §2). Display-length guidance is not enforced. */
function validateCard(card: Record<string, unknown>): Record<string, unknown> | null {
  const type = String(card.card_type ?? '');
  if (!CARD_TYPES.includes(type)) return { errcode: 42031, errmsg: 'invalid card_type' };
  const taskId = card.task_id;
  if (INTERACTIVE.includes(type) && (typeof taskId !== 'string' || !TASK_ID.test(taskId) || bytes(taskId) > 128)) {
    return { errcode: 42014, errmsg: 'taskid has existed or empty or exceed max len' };
  }
  const content = card.horizontal_content_list;
  if (content !== undefined && (!Array.isArray(content) || content.length > 6)) return { errcode: 42035, errmsg: 'invalid horizontal_content_list size' };
  if (type === 'button_interaction') {
    const buttons = card.button_list;
    if (!Array.isArray(buttons) || buttons.length === 0 || buttons.length > 6) return { errcode: 40058, errmsg: 'invalid button_list size' };
    const keys = new Set<string>();
    for (const raw of buttons as Record<string, unknown>[]) {
      if (typeof raw.text !== 'string' || raw.text === '') return { errcode: 42038, errmsg: 'invalid button text' };
      if ((raw.type ?? 0) === 1) {
        if (typeof raw.url !== 'string' || !/^https?:\/\//.test(raw.url)) return { errcode: 40058, errmsg: 'invalid button url' };
        continue;
      }
      if (typeof raw.key !== 'string' || raw.key === '') return { errcode: 42017, errmsg: 'button key missing' };
      if (bytes(raw.key) > 1024 || keys.has(raw.key)) return { errcode: 42039, errmsg: 'invalid button key' };
      keys.add(raw.key);
    }
  }
  return null;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Start of the current quota period in China time (UTC+8, no daylight saving): month, Monday-based week, or day. */
function groupPeriodStart(at: Date, rule: SimGroupMessageRule): Date {
  const offset = 8 * 3_600_000;
  const china = new Date(at.getTime() + offset);
  const day = Date.UTC(china.getUTCFullYear(), china.getUTCMonth(), china.getUTCDate());
  if (rule === 'one_a_day') return new Date(day - offset);
  if (rule === 'seven_a_week') return new Date(day - ((china.getUTCDay() + 6) % 7) * 86_400_000 - offset);
  return new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth(), 1) - offset);
}
