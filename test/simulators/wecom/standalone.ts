// The WeCom simulator as a standalone service, for trying Huifang's WeCom channel without a company
// account (`npm run sim:wecom`): the simulator on a fixed loopback port with generated credentials
// (kept in a file so a restart keeps them), a contact list seeded with the example organisation,
// and a small web page listing what each member received, whose buttons send the real signed and
// encrypted template_card_event (and text messages) to the service's /wecom/callback. Each member's
// column also has 「用企业微信登录」: it makes that member the person using WeCom, then opens Huifang's
// sign-in page, so that a person can sign in to a running Huifang by hand through the simulator's
// OAuth2 and Web login pages (docs/protocols/wecom.md §11).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EXAMPLE_DEPARTMENTS, EXAMPLE_STAFF } from '../../../bot/example/example-organisation.js';
import { WecomSimulator, type SimDepartment, type SimMember } from './wecom-simulator.js';
import { renderSimulatorPage } from './sim-page.js';

/** Credentials of the simulated corp and application; made up, valid only against this simulator. */
export interface SimCredentials {
  corpId: string;
  agentId: number;
  secret: string;
  callbackToken: string;
  encodingAesKey: string;
}

export interface StandaloneOptions {
  /** Port of the simulator and its page [3900]; 0 for an ephemeral one. */
  port?: number;
  /** Huifang's base URL; taps are posted to `<serviceUrl>/wecom/callback` [http://127.0.0.1:3000]. */
  serviceUrl?: string;
  /** File keeping the generated credentials across restarts; none when absent (fresh ones each start). */
  credentialsFile?: string;
  /** Contact list to seed [the example organisation]. */
  contacts?: { departments: SimDepartment[]; members: SimMember[] };
  /** The Huifang page that starts a WeCom sign-in, opened by 「用企业微信登录」 [`<serviceUrl>/`]. */
  signInUrl?: string;
  /**
   * The application's 可信域名 (docs/protocols/wecom.md §11.3): hosts sign-in may redirect to, with the
   * port [the host of `serviceUrl`, e.g. `127.0.0.1:3000`]. Matched exactly, as WeCom does: `localhost`
   * and `127.0.0.1` are different hosts.
   */
  trustedDomains?: string[];
}

export interface StandaloneWecom {
  sim: WecomSimulator;
  /** The page listing every member's messages. */
  pageUrl: string;
  /** Where taps and texts are posted; may be changed while running. */
  callbackUrl: string;
  /** The Huifang page 「用企业微信登录」 opens; may be changed while running. */
  signInUrl: string;
  /** The variables to give `npm start`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** One message as the page and `GET /ui/state` show it. */
export interface UiMessage {
  msgid: string;
  at: string;
  msgtype: string;
  taskId: string | null;
  title: string;
  lines: string[];
  buttons: { text: string; key: string }[];
  /** The text the buttons were replaced with after a tap (card updated), or null. */
  done: string | null;
}

/** The example organisation as a WeCom contact list: departments 2…, members with direct leaders and department heads. */
export function exampleContacts(): { departments: SimDepartment[]; members: SimMember[] } {
  const idOf = new Map<string, number>(EXAMPLE_DEPARTMENTS.map((d, i) => [d.code, i + 2]));
  const departments: SimDepartment[] = [
    { id: 1, name: '示例企业', parentid: 0, order: 100 },
    ...EXAMPLE_DEPARTMENTS.map((d) => ({ id: idOf.get(d.code)!, name: d.name, parentid: d.parent ? idOf.get(d.parent)! : 1, department_leader: [d.head] })),
  ];
  const members: SimMember[] = EXAMPLE_STAFF.map((s) => ({
    userid: s.wecomUserId,
    name: s.name,
    department: [idOf.get(s.department)!],
    main_department: idOf.get(s.department)!,
    direct_leader: s.supervisor ? [s.supervisor] : [],
    status: 1,
  }));
  return { departments, members };
}

/** Fresh credentials in WeCom's formats: corp id `ww…`, 43-character alphanumeric EncodingAESKey. */
export function generateCredentials(): SimCredentials {
  const alnum = (n: number) => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    return [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
  };
  return { corpId: `ww${randomBytes(8).toString('hex')}`, agentId: 1000002, secret: alnum(43), callbackToken: alnum(24), encodingAesKey: alnum(43) };
}

function loadCredentials(file: string | undefined): SimCredentials {
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SimCredentials;
  const credentials = generateCredentials();
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  }
  return credentials;
}

/** Starts the standalone simulator (see the module comment). */
export async function startStandaloneWecom(options: StandaloneOptions = {}): Promise<StandaloneWecom> {
  const credentials = loadCredentials(options.credentialsFile);
  const serviceUrl = (options.serviceUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const state: PageState = { callbackUrl: `${serviceUrl}/wecom/callback`, signInUrl: options.signInUrl ?? `${serviceUrl}/console/login/wecom?method=oauth` };
  let sim: WecomSimulator | null = null;
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (!sim) return false;
    return handlePage(sim, state, req, res);
  };
  sim = await WecomSimulator.start({ ...credentials, port: options.port ?? 3900, pageHandler: handler, trustedDomains: options.trustedDomains ?? [new URL(serviceUrl).host] });
  sim.setContacts(options.contacts ?? exampleContacts());
  const running = sim;
  return {
    sim: running,
    pageUrl: `${running.baseUrl}/`,
    get callbackUrl() {
      return state.callbackUrl;
    },
    set callbackUrl(url: string) {
      state.callbackUrl = url;
    },
    get signInUrl() {
      return state.signInUrl;
    },
    set signInUrl(url: string) {
      state.signInUrl = url;
    },
    env: {
      WECOM_CORP_ID: credentials.corpId,
      WECOM_AGENT_ID: String(credentials.agentId),
      WECOM_SECRET: credentials.secret,
      WECOM_CALLBACK_TOKEN: credentials.callbackToken,
      WECOM_ENCODING_AES_KEY: credentials.encodingAesKey,
      WECOM_API_BASE: running.baseUrl,
      WECOM_OAUTH_BASE: running.baseUrl,
      WECOM_SSO_BASE: running.baseUrl,
      PUBLIC_BASE_URL: serviceUrl,
    },
    close: () => running.close(),
  };
}

/** What the page handlers share with the runner; both URLs may be changed while running. */
interface PageState {
  callbackUrl: string;
  signInUrl: string;
}

/** What the page shows: each member's messages, newest first, and who is using WeCom for sign-in (or null). */
export interface UiState {
  members: { userid: string; messages: UiMessage[] }[];
  /** The member 「用企业微信登录」 chose last: WeCom's OAuth2 link signs them in. */
  wecomUser: string | null;
}

/** What each member received, newest first, as the page shows it. */
export function uiState(sim: WecomSimulator): UiState {
  const byUser = new Map<string, UiMessage[]>();
  for (const u of sim.users.sort()) byUser.set(u, []);
  for (const m of sim.messages) {
    const body = m.body as Record<string, unknown>;
    let message: UiMessage;
    if (m.msgtype === 'template_card') {
      const card = body.template_card as {
        main_title?: { title?: string; desc?: string };
        sub_title_text?: string;
        horizontal_content_list?: { keyname: string; value: string }[];
        button_list?: { type?: number; text: string; key?: string }[];
      };
      message = {
        msgid: m.msgid,
        at: m.at.toISOString(),
        msgtype: m.msgtype,
        taskId: m.taskId,
        title: card.main_title?.title ?? '',
        lines: [card.main_title?.desc, card.sub_title_text, ...(card.horizontal_content_list ?? []).map((h) => `${h.keyname}：${h.value}`)].filter((x): x is string => Boolean(x)),
        buttons: (card.button_list ?? []).filter((b) => (b.type ?? 0) === 0 && b.key).map((b) => ({ text: b.text, key: b.key! })),
        done: m.taskId ? (sim.cardState(m.taskId)?.replaceName ?? null) : null,
      };
    } else {
      const content = ((body.text ?? body.markdown) as { content?: string } | undefined)?.content ?? '';
      message = { msgid: m.msgid, at: m.at.toISOString(), msgtype: m.msgtype, taskId: null, title: m.msgtype === 'markdown' ? '消息（markdown）' : '消息', lines: content.split('\n'), buttons: [], done: null };
    }
    if (!byUser.has(m.userid)) byUser.set(m.userid, []);
    byUser.get(m.userid)!.unshift(message);
  }
  const visitor = sim.currentVisitor;
  return { members: [...byUser].map(([userid, messages]) => ({ userid, messages })), wecomUser: visitor && 'userid' in visitor ? visitor.userid : null };
}

async function handlePage(sim: WecomSimulator, state: PageState, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
    return true;
  };
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(renderSimulatorPage(uiState(sim), state.callbackUrl, state.signInUrl));
    return true;
  }
  if (req.method === 'GET' && url.pathname === '/ui/state') return json(200, { ...uiState(sim), callbackUrl: state.callbackUrl, signInUrl: state.signInUrl });
  if (req.method === 'POST' && url.pathname === '/ui/sign-in') {
    // 「用企业微信登录」: a form posted into a new tab (303 to Huifang's sign-in page), or JSON from a script.
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    let userid: string;
    try {
      const text = await readText(req);
      userid = String((isForm ? Object.fromEntries(new URLSearchParams(text)) : (JSON.parse(text) as Record<string, unknown>)).userid ?? '');
    } catch {
      return json(400, { error: 'expected a userid' });
    }
    const member = sim.users.find((u) => u === userid.toLowerCase());
    if (!member) return json(404, { error: `${userid} is not a member of the application's visible range` });
    sim.currentVisitor = { userid: member };
    if (!isForm) return json(200, { wecomUser: member, signInUrl: state.signInUrl });
    res.writeHead(303, { location: state.signInUrl }).end();
    return true;
  }
  if (req.method === 'POST' && (url.pathname === '/ui/tap' || url.pathname === '/ui/text')) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readText(req)) as Record<string, unknown>;
    } catch {
      return json(400, { error: 'expected a JSON body' });
    }
    try {
      if (url.pathname === '/ui/tap') {
        const delivery = await sim.tap(state.callbackUrl, { userid: String(body.userid), taskId: String(body.taskId), key: String(body.key) });
        return json(200, { status: delivery.status });
      }
      const content = String(body.content ?? '').trim();
      if (content === '') return json(400, { error: 'the message is empty' });
      const delivery = await sim.sendText(state.callbackUrl, { fromUser: String(body.userid), content });
      return json(200, { status: delivery.status, reply: delivery.responseBody });
    } catch (err) {
      // The service is down or refused the callback: say so on the page.
      return json(502, { error: err instanceof Error ? err.message : String(err) });
    }
  }
  return false;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
