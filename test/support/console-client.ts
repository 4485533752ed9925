// A browser-like HTTP client for the console (/console): keeps cookies, follows nothing by itself,
// sends the same Origin as our pages, and reads the CSRF token from the page it last loaded.
import { expect } from 'vitest';
import type { Huifang } from '../../bot/huifang.js';
import { createSignInLink } from '../../bot/console/sign-in.js';

export interface ConsoleResponse {
  status: number;
  location: string | null;
  body: string;
  /** Every Set-Cookie header of the response. */
  setCookies: string[];
}

export class ConsoleClient {
  readonly #cookies = new Map<string, string>();
  /** The CSRF token of the last page that carried one. */
  csrf: string | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The session cookie's value, or undefined when there is none. */
  get sessionCookie(): string | undefined {
    return this.#cookies.get('huifang_console');
  }

  set sessionCookie(value: string | undefined) {
    if (value === undefined) this.#cookies.delete('huifang_console');
    else this.#cookies.set('huifang_console', value);
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<ConsoleResponse> {
    return this.request('GET', path, undefined, headers);
  }

  /** Posts a form; `_csrf` is added from the last page unless the form sets it (or `csrf: false`). */
  async post(path: string, form: Record<string, string | string[]> = {}, options: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<ConsoleResponse> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    if (options.csrf !== false && !body.has('_csrf') && this.csrf) body.set('_csrf', this.csrf);
    return this.request('POST', path, body.toString(), { origin: this.baseUrl, 'content-type': 'application/x-www-form-urlencoded', ...options.headers });
  }

  async request(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<ConsoleResponse> {
    const cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(path.startsWith('http') ? path : `${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...this.headers, ...(cookie ? { cookie } : {}), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const text = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text);
    if (csrf) this.csrf = csrf[1]!;
    return { status: res.status, location: res.headers.get('location'), body: text, setCookies };
  }

  /** Opens a single-use link and confirms it, as a person would; expects to land on the console. */
  async signInWithLink(url: string): Promise<ConsoleResponse> {
    const token = new URL(url).searchParams.get('t')!;
    const opened = await this.get(`/console/login/link?t=${token}`);
    expect(opened.status).toBe(200);
    return this.post('/console/login/link', { t: token }, { csrf: false });
  }
}

/** A signed-in client for a staff member (their console account is created as WeCom sign-in would). */
export async function signedInAsStaff(app: Huifang, baseUrl: string, staffId: string): Promise<ConsoleClient> {
  const staff = (await app.deps.org.loadOrgSnapshot()).staff.get(staffId);
  if (!staff) throw new Error(`no staff member ${staffId}`);
  const account = await app.console.auth.ensureStaffConsoleUser({ id: app.deps.ids.next(), staffId, name: staff.name, at: app.clock.now() });
  return signedInAs(app, baseUrl, account.id);
}

/** A signed-in client for a console account, through a single-use link. */
export async function signedInAs(app: Huifang, baseUrl: string, userId: string): Promise<ConsoleClient> {
  const client = new ConsoleClient(baseUrl);
  const { url } = await createSignInLink(app, userId);
  const res = await client.signInWithLink(url);
  expect(res.status, res.body).toBe(302);
  expect(res.location).toBe('/console');
  // Load a page so the client holds the session's CSRF token.
  const home = await client.get('/console');
  expect(home.status).toBe(200);
  return client;
}

/** An administrator account (not tied to a staff member) and a signed-in client for it. */
export async function signedInAsAdmin(app: Huifang, baseUrl: string, name = '系统管理员'): Promise<{ client: ConsoleClient; userId: string }> {
  const admin = (await app.console.auth.createFirstAdmin({ id: app.deps.ids.next(), name, at: app.clock.now() })) ?? (await app.console.auth.listConsoleUsers()).find((u) => u.role === 'admin' && u.active);
  if (!admin) throw new Error('no administrator');
  return { client: await signedInAs(app, baseUrl, admin.id), userId: admin.id };
}

/** Text of an HTML page without tags (for "does the page show X"). */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
}
