/** WeCom's OAuth2 host for the in-app browser (docs/protocols/wecom.md §11.1). */
export const DEFAULT_WECOM_OAUTH_BASE = 'https://open.weixin.qq.com';
/** WeCom's Web login host for desktop browsers (docs/protocols/wecom.md §11.2). */
export const DEFAULT_WECOM_SSO_BASE = 'https://login.work.weixin.qq.com';

/**
 * A `state` valid for both links: WeCom's OAuth2 link allows only letters and digits, at most 128 bytes
 * (docs/protocols/wecom.md §11.1).
 */
export const WECOM_SIGN_IN_STATE = /^[A-Za-z0-9]{1,128}$/;

/** What {@link buildWecomSignInUrls} needs. */
export interface WecomSignInUrlOptions {
  /** The corp id (`ww…`), WeCom's `appid` here. */
  corpId: string;
  /** The application's AgentId. */
  agentId: number;
  /**
   * Where WeCom sends the browser back with `code` and `state`: absolute http(s), no fragment. Its host
   * (with the port, if any) must be the application's 可信域名, or for the Web login also its 授权回调域
   * (docs/protocols/wecom.md §11.3).
   */
  redirectUri: string;
  /** 1–128 letters and digits, unguessable and bound to the browser session; WeCom returns it unchanged. */
  state: string;
  /** OAuth2 host without trailing slash [https://open.weixin.qq.com]; tests point it at the simulator. */
  oauthBase?: string | undefined;
  /** Web login host without trailing slash [https://login.work.weixin.qq.com]; tests point it at the simulator. */
  ssoBase?: string | undefined;
  /** Language of WeCom's login page [WeCom's choice, from the browser]. */
  lang?: 'zh' | 'en' | undefined;
}

/** The two ways to ask WeCom who is at the browser; both end at `redirectUri?code=…&state=…`. */
export interface WecomSignInUrls {
  /** For a page opened inside the WeCom client: silent OAuth2 with `snsapi_base` (docs/protocols/wecom.md §11.1). */
  inApp: string;
  /** For a desktop browser: WeCom's Web login page, QR code or desktop quick login (docs/protocols/wecom.md §11.2). */
  webLogin: string;
}

/**
 * Builds WeCom's two sign-in links for a self-built application. Pure: no clock, no network. Throws a
 * `RangeError` naming the parameter when `state`, `redirectUri` or `agentId` cannot be sent as WeCom
 * requires, rather than building a link WeCom would refuse or that would lose the code.
 */
export function buildWecomSignInUrls(options: WecomSignInUrlOptions): WecomSignInUrls {
  const { corpId, agentId, redirectUri, state } = options;
  if (!WECOM_SIGN_IN_STATE.test(state)) throw new RangeError('WeCom sign-in: state must be 1–128 letters and digits (docs/protocols/wecom.md §11.1)');
  if (!Number.isSafeInteger(agentId) || agentId <= 0) throw new RangeError('WeCom sign-in: agentId must be the application AgentId');
  if (corpId === '') throw new RangeError('WeCom sign-in: corpId is empty');
  checkRedirectUri(redirectUri);
  const oauthBase = (options.oauthBase ?? DEFAULT_WECOM_OAUTH_BASE).replace(/\/+$/, '');
  const ssoBase = (options.ssoBase ?? DEFAULT_WECOM_SSO_BASE).replace(/\/+$/, '');
  // Parameter order as on WeCom's pages; the redirect URI is one encoded parameter, so its own query
  // survives. The fragment tells the WeCom client to attach the person's identity (§11.1).
  const inApp =
    `${oauthBase}/connect/oauth2/authorize?${query([
      ['appid', corpId],
      ['redirect_uri', redirectUri],
      ['response_type', 'code'],
      ['scope', 'snsapi_base'],
      ['state', state],
      ['agentid', String(agentId)],
    ])}` + '#wechat_redirect';
  const webLogin = `${ssoBase}/wwlogin/sso/login?${query([
    ['login_type', 'CorpApp'],
    ['appid', corpId],
    ['agentid', String(agentId)],
    ['redirect_uri', redirectUri],
    ['state', state],
    ...(options.lang ? ([['lang', options.lang]] as [string, string][]) : []),
  ])}`;
  return { inApp, webLogin };
}

function checkRedirectUri(redirectUri: string): void {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw new RangeError('WeCom sign-in: redirectUri must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError('WeCom sign-in: redirectUri must be http(s)');
  // WeCom appends `?code=…&state=…` (or `&code=…`) to the URI as given: after a `#` they would end up in
  // the fragment, which never reaches the server.
  if (redirectUri.includes('#')) throw new RangeError('WeCom sign-in: redirectUri must not contain a fragment (#)');
}

function query(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
}
