// WeCom's two sign-in links and the redirect back (docs/protocols/wecom.md §11.1, §11.2, §11.5): built
// exactly as WeCom's pages describe them, and the redirect read with the state checked first.
import { describe, expect, it } from 'vitest';
import { buildWecomSignInUrls } from '../../../bot/channels/wecom/build-wecom-sign-in-urls.js';
import { readWecomSignInRedirect } from '../../../bot/channels/wecom/read-wecom-sign-in-redirect.js';
import { WecomClient } from '../../../bot/channels/wecom/wecom-client.js';

const base = { corpId: 'wwcorp0123456789', agentId: 1000002, redirectUri: 'https://huifang.example.cn/console/sign-in/wecom?next=%2Fcases', state: 'Ab12Cd34' };

describe('buildWecomSignInUrls', () => {
  it("builds WeCom's OAuth2 link for the in-app browser, parameters in WeCom's order and #wechat_redirect last", () => {
    const { inApp } = buildWecomSignInUrls(base);
    expect(inApp).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wwcorp0123456789' +
        '&redirect_uri=https%3A%2F%2Fhuifang.example.cn%2Fconsole%2Fsign-in%2Fwecom%3Fnext%3D%252Fcases' +
        '&response_type=code&scope=snsapi_base&state=Ab12Cd34&agentid=1000002#wechat_redirect',
    );
    // The redirect URI is one parameter: its own query survives decoding.
    const parsed = new URL(inApp);
    expect(parsed.searchParams.get('redirect_uri')).toBe(base.redirectUri);
    expect(parsed.hash).toBe('#wechat_redirect');
  });

  it("builds WeCom's Web login link for a desktop browser (login_type CorpApp with the agent id)", () => {
    const { webLogin } = buildWecomSignInUrls({ ...base, lang: 'zh' });
    expect(webLogin).toBe(
      'https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=wwcorp0123456789&agentid=1000002' +
        '&redirect_uri=https%3A%2F%2Fhuifang.example.cn%2Fconsole%2Fsign-in%2Fwecom%3Fnext%3D%252Fcases&state=Ab12Cd34&lang=zh',
    );
    expect(new URL(webLogin).searchParams.get('redirect_uri')).toBe(base.redirectUri);
  });

  it('takes both hosts from configuration, so tests reach the simulator', () => {
    const urls = buildWecomSignInUrls({ ...base, oauthBase: 'http://127.0.0.1:3900/', ssoBase: 'http://127.0.0.1:3901' });
    expect(urls.inApp.startsWith('http://127.0.0.1:3900/connect/oauth2/authorize?')).toBe(true);
    expect(urls.webLogin.startsWith('http://127.0.0.1:3901/wwlogin/sso/login?')).toBe(true);
  });

  it('is what WecomClient.signInUrls gives for its own corp, agent and hosts', () => {
    const client = new WecomClient({ corpId: base.corpId, agentId: base.agentId, secret: 'not-used-here', apiBase: 'http://127.0.0.1:9', oauthBase: 'http://127.0.0.1:3900', ssoBase: 'http://127.0.0.1:3900' });
    expect(client.signInUrls(base.redirectUri, base.state)).toEqual(buildWecomSignInUrls({ ...base, oauthBase: 'http://127.0.0.1:3900', ssoBase: 'http://127.0.0.1:3900' }));
  });

  it.each([
    ['a state WeCom would not return (only letters and digits)', { state: 'abc-123' }, /state/],
    ['an empty state', { state: '' }, /state/],
    ['a state over 128 characters', { state: 'a'.repeat(129) }, /state/],
    ['a relative redirect URI', { redirectUri: '/console/sign-in' }, /absolute/],
    ['a redirect URI with a fragment, which would swallow the code', { redirectUri: 'https://huifang.example.cn/#/sign-in' }, /fragment/],
    ['a redirect URI that is not http(s)', { redirectUri: 'javascript:alert(1)' }, /http/],
    ['no agent id', { agentId: 0 }, /agentId/],
  ])('refuses %s', (_what, override, message) => {
    expect(() => buildWecomSignInUrls({ ...base, ...override })).toThrow(message);
  });
});

describe('readWecomSignInRedirect', () => {
  it('gives the code when the state is the one issued', () => {
    expect(readWecomSignInRedirect(new URLSearchParams('code=CODE123&state=Ab12Cd34'), 'Ab12Cd34')).toEqual({ ok: true, code: 'CODE123' });
    expect(readWecomSignInRedirect({ code: 'CODE123', state: 'Ab12Cd34' }, 'Ab12Cd34')).toEqual({ ok: true, code: 'CODE123' });
  });

  it.each([
    ['another state', 'code=CODE123&state=Zz99Yy88'],
    ['no state', 'code=CODE123'],
    ['a state given twice', 'code=CODE123&state=Ab12Cd34&state=Ab12Cd34'],
    ['a state differing only in length', 'code=CODE123&state=Ab12Cd345'],
  ])('refuses a forged redirect: %s', (_what, query) => {
    expect(readWecomSignInRedirect(new URLSearchParams(query), 'Ab12Cd34')).toEqual({ ok: false, reason: 'STATE_MISMATCH' });
  });

  it('refuses everything when no state was issued', () => {
    expect(readWecomSignInRedirect(new URLSearchParams('code=CODE123&state='), '')).toEqual({ ok: false, reason: 'STATE_MISMATCH' });
  });

  it('reads a redirect without a code as the member refusing (docs/protocols/wecom.md §11.2)', () => {
    expect(readWecomSignInRedirect(new URLSearchParams('state=Ab12Cd34'), 'Ab12Cd34')).toEqual({ ok: false, reason: 'CANCELLED' });
  });

  it('does not pass on a code WeCom cannot have issued (over 512 bytes)', () => {
    expect(readWecomSignInRedirect({ code: 'x'.repeat(513), state: 'Ab12Cd34' }, 'Ab12Cd34')).toEqual({ ok: false, reason: 'MALFORMED_CODE' });
    expect(readWecomSignInRedirect({ code: 'x'.repeat(512), state: 'Ab12Cd34' }, 'Ab12Cd34')).toMatchObject({ ok: true });
  });
});
