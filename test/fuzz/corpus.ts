// The malformed-input corpus: requests that once made the service answer 500, and their neighbours.
// Each case is data: a name, how to build the request (from a kit that knows the service's keys and
// signs like WeCom, WeChat and the link signer do), and, where the answer is part of the contract,
// the expected status. Every case must get a 4xx (or a documented 2xx/3xx), never a 5xx, and the same
// status on SQLite and PostgreSQL (test/fuzz/malformed-input.test.ts). Add a case by adding a line.
import { simEncrypt, simSignature } from '../simulators/wecom/wecom-sim-crypto.js';
import { wechatSignature } from '../../bot/channels/wechat/callback-signature.js';

export interface FuzzRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What a case can build its request from. */
export interface FuzzKit {
  apiKey: string;
  smsKey: string;
  /** The service's clock, in Unix seconds. */
  nowSeconds(): number;
  /** A POST to /wecom/callback carrying `plaintextXml`, encrypted and signed as WeCom does. */
  wecomPost(plaintextXml: string, options?: { timestamp?: string; nonce?: string; envelope?: (encrypt: string) => string }): FuzzRequest;
  /** A GET /wecom/callback URL check with `echostr` encrypted and signed as WeCom does. */
  wecomGet(options?: { timestamp?: string; nonce?: string; echostr?: string }): FuzzRequest;
  /** The query of a push signed as the Official Account does (`signature`, `timestamp`, `nonce`). */
  wechatQuery(timestamp?: string): string;
  /** Headers of a signed-in console administrator: the session cookie, and the `Origin` its forms need. */
  consoleHeaders(): Record<string, string>;
  /** The administrator's CSRF token, for console form posts. */
  consoleCsrf(): string;
  /** A link signed with the service's link secret (`/s/…`, `/d/…`). */
  sign(purpose: 'survey' | 'staff_form' | 'digest' | 'report' | 'escalation', id: string): Promise<string>;
}

export interface FuzzCase {
  name: string;
  request: (kit: FuzzKit) => FuzzRequest | Promise<FuzzRequest>;
  /** The status the contract promises; unset: any status below 500. */
  status?: number;
}

const NUL = '\u0000';
const LONE = '\ud800';

/** A valid case body with `patch` laid over it (nested objects replaced whole). */
function caseBody(patch: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'discharge',
    externalId: `FUZZ-${Math.random().toString(36).slice(2)}`,
    occurredAt: '2026-11-01T09:00:00+08:00',
    responsibleStaff: 'hushi.li',
    customer: { name: '王秀英', phone: '13800000001' },
    attributes: { severity: 'normal' },
    ...patch,
  });
}

const api = (kit: FuzzKit, method: 'GET' | 'POST', path: string, body?: string): FuzzRequest => ({
  method,
  path,
  headers: { authorization: `Bearer ${kit.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  ...(body === undefined ? {} : { body }),
});
const sms = (kit: FuzzKit, kind: 'reply' | 'status', body: string): FuzzRequest => ({
  method: 'POST',
  path: `/sms/tencent/${kind}?key=${kit.smsKey}`,
  headers: { 'content-type': 'application/json' },
  body,
});
const reply = (patch: Record<string, unknown>) => JSON.stringify({ extend: '', mobile: '13800000001', nationcode: '86', sign: '回访中心', text: '5', time: 1_764_000_000, ...patch });
const status = (patch: Record<string, unknown>) =>
  JSON.stringify([{ user_receive_time: '2026-11-01 10:00:00', nationcode: '86', mobile: '13800000001', report_status: 'SUCCESS', errmsg: 'DELIVRD', description: '用户短信送达成功', sid: 'sid-1', ext: '', ...patch }]);
const wecomText = (content: string, extra = '') =>
  `<xml><ToUserName><![CDATA[wwfuzzcorp0000000001]]></ToUserName><FromUserName><![CDATA[hushi.li]]></FromUserName><CreateTime>1764000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>7291746382910400001</MsgId><AgentID>1000002</AgentID>${extra}</xml>`;
const nested = (depth: number) => `${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}`;
const xxe = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';
const wechatPush = (inner: string) => `<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><FromUserName><![CDATA[oFUZZ]]></FromUserName><CreateTime>1764000000</CreateTime>${inner}</xml>`;
const form = (body: string): Pick<FuzzRequest, 'headers' | 'body'> => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

export const corpus: readonly FuzzCase[] = [
  // ---- /api/v1: text no database stores, in every place text comes in
  { name: 'case id in the path is NUL', request: (k) => api(k, 'GET', '/api/v1/cases/%00'), status: 400 },
  { name: 'case id in the path contains NUL', request: (k) => api(k, 'GET', '/api/v1/cases/abc%00def'), status: 400 },
  { name: 'case id in the path is a lone surrogate (as UTF-8 bytes)', request: (k) => api(k, 'GET', '/api/v1/cases/%ED%A0%80'), status: 404 },
  { name: 'case id in the path is overlong percent-encoding', request: (k) => api(k, 'GET', '/api/v1/cases/%C0%80'), status: 404 },
  { name: 'case id in the path is broken percent-encoding', request: (k) => api(k, 'GET', '/api/v1/cases/%E0%A4%A'), status: 404 },
  { name: 'case id of 8 KiB', request: (k) => api(k, 'GET', `/api/v1/cases/${'x'.repeat(8192)}`), status: 404 },
  { name: 'follow-ups caseId is NUL', request: (k) => api(k, 'GET', '/api/v1/follow-ups?caseId=%00'), status: 400 },
  { name: 'follow-ups assignee contains NUL', request: (k) => api(k, 'GET', '/api/v1/follow-ups?assignee=hushi%00li'), status: 400 },
  { name: 'follow-ups policy contains NUL', request: (k) => api(k, 'GET', '/api/v1/follow-ups?policy=P4%00'), status: 400 },
  { name: 'follow-ups status contains NUL', request: (k) => api(k, 'GET', '/api/v1/follow-ups?status=ACTIVE%00'), status: 400 },
  { name: 'follow-ups cursor is NUL', request: (k) => api(k, 'GET', '/api/v1/follow-ups?cursor=%00'), status: 400 },
  { name: 'follow-ups cursor is garbage', request: (k) => api(k, 'GET', '/api/v1/follow-ups?cursor=%FF%FE'), status: 422 },
  { name: 'follow-ups parameter name is NUL', request: (k) => api(k, 'GET', '/api/v1/follow-ups?%00=1'), status: 400 },
  { name: 'follow-ups caseId is a lone surrogate (as UTF-8 bytes)', request: (k) => api(k, 'GET', '/api/v1/follow-ups?caseId=%ED%A0%80') },
  { name: 'follow-ups caseId repeated', request: (k) => api(k, 'GET', '/api/v1/follow-ups?caseId=a&caseId=b'), status: 422 },
  { name: 'follow-ups dueBefore in year 9999', request: (k) => api(k, 'GET', '/api/v1/follow-ups?dueBefore=9999-12-31T23:59:59Z'), status: 422 },
  { name: 'follow-ups dueAfter in year 0000', request: (k) => api(k, 'GET', '/api/v1/follow-ups?dueAfter=0000-01-01T00:00:00Z'), status: 422 },
  { name: 'follow-ups dueAfter in 1899', request: (k) => api(k, 'GET', '/api/v1/follow-ups?dueAfter=1899-12-31T23:59:59Z'), status: 422 },
  { name: 'follow-ups dueBefore in 2999 (the last year taken)', request: (k) => api(k, 'GET', '/api/v1/follow-ups?dueBefore=2999-12-31T23:59:59%2B00:00'), status: 200 },
  { name: 'follow-ups dueBefore one second after 2999 (offset)', request: (k) => api(k, 'GET', '/api/v1/follow-ups?dueBefore=2999-12-31T23:59:59-00:01'), status: 422 },
  { name: 'follow-ups limit is 1e308', request: (k) => api(k, 'GET', '/api/v1/follow-ups?limit=1e308'), status: 422 },
  { name: 'follow-ups limit is NaN', request: (k) => api(k, 'GET', '/api/v1/follow-ups?limit=NaN'), status: 422 },
  { name: 'follow-ups limit is -0', request: (k) => api(k, 'GET', '/api/v1/follow-ups?limit=-0'), status: 422 },
  { name: 'case externalId contains NUL', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ externalId: `A${NUL}B` })), status: 400 },
  { name: 'case type is NUL', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ type: NUL })), status: 400 },
  { name: 'customer name contains NUL', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ customer: { name: `王${NUL}` } })), status: 400 },
  { name: 'customer tag contains NUL', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ customer: { name: '王', tags: [`vip${NUL}`] } })), status: 400 },
  { name: 'attribute value contains NUL', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ attributes: { severity: 'normal', diagnosis: `x${NUL}` } })), status: 400 },
  { name: 'attribute key contains NUL', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ attributes: { [`sev${NUL}`]: 'normal' } })), status: 400 },
  { name: 'milestone name contains NUL', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ milestones: { [`h${NUL}`]: '2026-11-02T09:00:00+08:00' } })), status: 400 },
  { name: 'customer name is a lone high surrogate', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ customer: { name: LONE } })), status: 400 },
  { name: 'customer name ends in a lone high surrogate', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ customer: { name: `王${LONE}` } })), status: 400 },
  { name: 'externalId is a lone low surrogate', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ externalId: '\udc00x' })), status: 400 },
  { name: 'attribute is reversed surrogates', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ attributes: { severity: 'normal', note: '\udc00\ud800' } })), status: 400 },
  { name: 'customer name is a real surrogate pair (emoji) — taken', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ customer: { name: '王😀' } })), status: 201 },
  { name: 'occurredAt in year 9999', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ occurredAt: '9999-12-31T23:59:59Z' })), status: 422 },
  { name: 'occurredAt in year 0000', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ occurredAt: '0000-01-01T00:00:00Z' })), status: 422 },
  { name: 'occurredAt with six-digit year', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ occurredAt: '+275760-09-13T00:00:00Z' })), status: 422 },
  { name: 'closedAt in year 9999', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ closedAt: '9999-01-01T00:00:00+08:00' })), status: 422 },
  { name: 'deceasedAt in year 0000', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ customer: { name: '王', deceasedAt: '0000-06-01T00:00:00Z' } })), status: 422 },
  { name: 'milestone in year 9999', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ milestones: { handled: '9999-12-31T00:00:00Z' } })), status: 422 },
  { name: 'occurredAt on 30 February', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ occurredAt: '2026-02-30T09:00:00+08:00' })), status: 422 },
  { name: 'occurredAt is a number', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ occurredAt: 1e308 })), status: 422 },
  { name: 'case body nested 10,000 levels in attributes', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ attributes: 'NEST' }).replace('"NEST"', `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)), status: 400 },
  { name: 'case body nested 40 levels in attributes', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ attributes: 'NEST' }).replace('"NEST"', `{"a":${'['.repeat(40)}${']'.repeat(40)}}`)), status: 400 },
  { name: 'case body is 10,000 nested arrays', request: (k) => api(k, 'POST', '/api/v1/cases', `${'['.repeat(10_000)}${']'.repeat(10_000)}`), status: 400 },
  { name: 'case body is JSON null', request: (k) => api(k, 'POST', '/api/v1/cases', 'null'), status: 422 },
  { name: 'case body is a bare string with NUL', request: (k) => api(k, 'POST', '/api/v1/cases', '"\\u0000"'), status: 400 },
  { name: 'case body is not JSON', request: (k) => api(k, 'POST', '/api/v1/cases', '{"type":'), status: 400 },
  { name: 'case body with a raw lone surrogate (UTF-8 encoding makes it U+FFFD)', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ externalId: 'Z' }).replace('"Z"', '"\udfff"')) },
  { name: 'case body over 256 KiB', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ attributes: { big: 'x'.repeat(300 * 1024) } })), status: 413 },
  { name: 'case phone in full-width digits', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ customer: { name: '王', phone: '１３８０００００００１' } })) },
  { name: 'case responsibleStaff unknown', request: (k) => api(k, 'POST', '/api/v1/cases', caseBody({ responsibleStaff: 'nobody.here' })), status: 422 },
  { name: 'unauthenticated case', request: () => ({ method: 'POST', path: '/api/v1/cases', headers: { 'content-type': 'application/json' }, body: caseBody() }), status: 401 },
  { name: 'bearer key with a percent-encoded NUL (taken literally)', request: () => ({ method: 'GET', path: '/api/v1/follow-ups', headers: { authorization: 'Bearer a%00b' } }), status: 401 },

  // ---- Tencent SMS callbacks
  { name: 'SMS reply time is 1e308', request: (k) => sms(k, 'reply', reply({ time: 1e308 })), status: 400 },
  { name: 'SMS reply time is -1', request: (k) => sms(k, 'reply', reply({ time: -1 })), status: 400 },
  { name: 'SMS reply time is 1.5', request: (k) => sms(k, 'reply', reply({ time: 1.5 })), status: 400 },
  { name: 'SMS reply time is year 3000 as a string', request: (k) => sms(k, 'reply', reply({ time: '32503680000' })), status: 400 },
  { name: 'SMS reply text contains NUL', request: (k) => sms(k, 'reply', reply({ text: `5${NUL}` })), status: 400 },
  { name: 'SMS reply mobile contains NUL', request: (k) => sms(k, 'reply', reply({ mobile: `138${NUL}` })), status: 400 },
  { name: 'SMS reply text is a lone surrogate', request: (k) => sms(k, 'reply', reply({ text: LONE })), status: 400 },
  { name: 'SMS reply is an empty array', request: (k) => sms(k, 'reply', '[]'), status: 400 },
  { name: 'SMS status sid contains NUL', request: (k) => sms(k, 'status', status({ sid: `sid${NUL}` })), status: 400 },
  { name: 'SMS status receive time in year 9999', request: (k) => sms(k, 'status', status({ user_receive_time: '9999-12-31 23:59:59' })), status: 200 },
  { name: 'SMS status receive time in year 0000', request: (k) => sms(k, 'status', status({ user_receive_time: '0000-01-01 00:00:00' })), status: 200 },
  { name: 'SMS status ext is a lone surrogate', request: (k) => sms(k, 'status', status({ ext: LONE })), status: 400 },
  { name: 'SMS status nested 10,000 levels', request: (k) => sms(k, 'status', `${'['.repeat(10_000)}${']'.repeat(10_000)}`), status: 400 },
  { name: 'SMS callback with a NUL key', request: () => ({ method: 'POST', path: '/sms/tencent/reply?key=%00', headers: { 'content-type': 'application/json' }, body: reply({}) }), status: 400 },
  { name: 'SMS callback with a wrong key', request: () => ({ method: 'POST', path: '/sms/tencent/reply?key=wrong-key-0123456789', headers: { 'content-type': 'application/json' }, body: reply({}) }), status: 401 },

  // ---- WeCom callback
  { name: 'WeCom outer XML nested 5,000 levels (unsigned)', request: (k) => ({ method: 'POST', path: `/wecom/callback?msg_signature=x&timestamp=${k.nowSeconds()}&nonce=1`, body: `<xml>${nested(5000)}</xml>` }), status: 400 },
  { name: 'WeCom outer XML with a DOCTYPE (unsigned)', request: (k) => ({ method: 'POST', path: `/wecom/callback?msg_signature=x&timestamp=${k.nowSeconds()}&nonce=2`, body: `${xxe}<xml><Encrypt>&xxe;</Encrypt></xml>` }), status: 400 },
  { name: 'WeCom outer XML billion laughs (unsigned)', request: (k) => ({ method: 'POST', path: `/wecom/callback?msg_signature=x&timestamp=${k.nowSeconds()}&nonce=3`, body: '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>' }), status: 400 },
  { name: 'WeCom outer XML unterminated comments (unsigned)', request: (k) => ({ method: 'POST', path: `/wecom/callback?msg_signature=x&timestamp=${k.nowSeconds()}&nonce=4`, body: '<!--'.repeat(10_000) }), status: 400 },
  { name: 'WeCom outer XML of 100 KiB', request: (k) => ({ method: 'POST', path: `/wecom/callback?msg_signature=x&timestamp=${k.nowSeconds()}&nonce=5`, body: `<xml><Encrypt>${'A'.repeat(100 * 1024)}</Encrypt></xml>` }), status: 413 },
  { name: 'WeCom signed message nested 5,000 levels', request: (k) => k.wecomPost(`<xml>${nested(5000)}</xml>`), status: 400 },
  { name: 'WeCom signed message with an external entity', request: (k) => k.wecomPost(`${xxe}${wecomText('&xxe;')}`), status: 400 },
  { name: 'WeCom signed text with a NUL character reference', request: (k) => k.wecomPost(wecomText('x').replace('<![CDATA[x]]>', 'a&#0;b')) },
  { name: 'WeCom signed text whose content holds NUL', request: (k) => k.wecomPost(wecomText(`a${NUL}b`)), status: 400 },
  { name: 'WeCom signed text whose sender holds NUL', request: (k) => k.wecomPost(wecomText('ok').replace('hushi.li', `hushi${NUL}li`)), status: 400 },
  { name: 'WeCom signed text is answered', request: (k) => k.wecomPost(wecomText('你好')), status: 200 },
  { name: 'WeCom callback a year old', request: (k) => k.wecomPost(wecomText('旧'), { timestamp: String(k.nowSeconds() - 365 * 86_400) }), status: 401 },
  { name: 'WeCom callback timestamp 1e308', request: (k) => k.wecomPost(wecomText('旧'), { timestamp: '1e308' }), status: 401 },
  { name: 'WeCom callback timestamp of 40 digits', request: (k) => k.wecomPost(wecomText('旧'), { timestamp: '9'.repeat(40) }), status: 401 },
  { name: 'WeCom callback nonce is NUL', request: (k) => k.wecomPost(wecomText('x'), { nonce: NUL }), status: 400 },
  { name: 'WeCom URL check a year old', request: (k) => k.wecomGet({ timestamp: String(k.nowSeconds() - 365 * 86_400) }), status: 401 },
  { name: 'WeCom URL check with a NUL echostr', request: (k) => k.wecomGet({ echostr: NUL }), status: 400 },
  { name: 'WeCom URL check answered', request: (k) => k.wecomGet(), status: 200 },

  // ---- WeChat push
  { name: 'WeChat signed push with an external entity (XXE)', request: (k) => ({ method: 'POST', path: `/wechat/callback?${k.wechatQuery()}`, body: `${xxe}${wechatPush('<MsgType>&xxe;</MsgType>')}` }), status: 400 },
  { name: 'WeChat signed push nested 2,000 levels', request: (k) => ({ method: 'POST', path: `/wechat/callback?${k.wechatQuery()}`, body: `<xml>${nested(2000)}</xml>` }), status: 400 },
  { name: 'WeChat signed push nested 5,000 levels (over 32 KiB)', request: (k) => ({ method: 'POST', path: `/wechat/callback?${k.wechatQuery()}`, body: `<xml>${nested(5000)}</xml>` }), status: 413 },
  { name: 'WeChat signed push with a NUL character reference', request: (k) => ({ method: 'POST', path: `/wechat/callback?${k.wechatQuery()}`, body: wechatPush('<MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>1&#0;2</MsgID><Status>success</Status>') }) },
  { name: 'WeChat signed template result is answered', request: (k) => ({ method: 'POST', path: `/wechat/callback?${k.wechatQuery()}`, body: wechatPush('<MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>200163836</MsgID><Status>success</Status>') }), status: 200 },
  { name: 'WeChat push a year old', request: (k) => ({ method: 'POST', path: `/wechat/callback?${k.wechatQuery(String(k.nowSeconds() - 365 * 86_400))}`, body: wechatPush('<MsgType>text</MsgType>') }), status: 401 },
  { name: 'WeChat push timestamp 1e308', request: (k) => ({ method: 'POST', path: `/wechat/callback?${k.wechatQuery('1e308')}`, body: wechatPush('<MsgType>text</MsgType>') }), status: 401 },

  // ---- signed-link pages: forged, mangled, NUL
  ...(['s', 'f', 'd', 'r', 'e'] as const).flatMap((p): FuzzCase[] => [
    { name: `/${p} forged link`, request: () => ({ method: 'GET', path: `/${p}/AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB` }), status: 404 },
    { name: `/${p} link with NUL`, request: () => ({ method: 'GET', path: `/${p}/%00` }), status: 400 },
    { name: `/${p} link of 8 KiB`, request: () => ({ method: 'GET', path: `/${p}/${'A'.repeat(8192)}` }), status: 404 },
  ]),
  { name: '/s forged link posted with a NUL answer', request: () => ({ method: 'POST', path: '/s/AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB', ...form('q_1=%00') }) },
  { name: '/s signed link to no survey', request: async (k) => ({ method: 'GET', path: `/s/${await k.sign('survey', 'nosuchsurveytoken')}` }), status: 404 },
  { name: '/s signed link posted with a NUL answer', request: async (k) => ({ method: 'POST', path: `/s/${await k.sign('survey', 'nosuchsurveytoken')}`, ...form('q_1=%00') }), status: 400 },
  { name: '/f signed link posted with a NUL note', request: async (k) => ({ method: 'POST', path: `/f/${await k.sign('staff_form', 'nosuchfollowup_1')}`, ...form('action=done&note=%00') }), status: 400 },
  { name: '/e signed link posted with a NUL field', request: async (k) => ({ method: 'POST', path: `/e/${await k.sign('escalation', 'nosuchescalation_1')}`, ...form('action=%00') }), status: 400 },
  { name: '/d signed link to week 0000-W01', request: async (k) => ({ method: 'GET', path: `/d/${await k.sign('digest', '0000-W01~nobody')}` }), status: 404 },
  { name: '/d signed link to week 9999-W52', request: async (k) => ({ method: 'GET', path: `/d/${await k.sign('digest', '9999-W52~nobody')}` }), status: 404 },
  { name: '/r signed link to month 9999-12', request: async (k) => ({ method: 'GET', path: `/r/${await k.sign('report', '9999-12~*~staff-csv')}` }) },
  { name: '/r signed link to month 0000-01', request: async (k) => ({ method: 'GET', path: `/r/${await k.sign('report', '0000-01~*~staff-csv')}` }) },

  // ---- console and sandbox
  { name: 'console login page', request: () => ({ method: 'GET', path: '/console/login' }), status: 200 },
  { name: 'console login link with NUL token', request: () => ({ method: 'GET', path: '/console/login/link?t=%00' }), status: 400 },
  { name: 'console login link forged', request: () => ({ method: 'POST', path: '/console/login/link', ...form('t=forged') }) },
  { name: 'console login link posted with NUL', request: () => ({ method: 'POST', path: '/console/login/link', ...form('t=%00') }), status: 400 },
  { name: 'console sandbox sign-in with NUL staff', request: () => ({ method: 'POST', path: '/console/login/sandbox', ...form('staffId=%00') }), status: 400 },
  { name: 'console WeCom sign-in callback with NUL code', request: () => ({ method: 'GET', path: '/console/login/wecom/callback?code=%00&state=%00' }), status: 400 },
  { name: 'console page with a NUL filter', request: () => ({ method: 'GET', path: '/console/follow-ups?q=%00' }), status: 400 },
  { name: 'console page with a year-0000 filter', request: () => ({ method: 'GET', path: '/console/follow-ups?from=0000-01-01&to=9999-12-31' }) },
  { name: 'console asset with NUL', request: () => ({ method: 'GET', path: '/console/assets/%00' }), status: 400 },
  // ---- console pages, signed in as an administrator: filters, ids, dates
  ...[
    '/console/cases?q=%00',
    '/console/cases?policy=%ED%A0%80&department=x&status=OPEN',
    '/console/cases/%00',
    '/console/cases/nosuchcase',
    '/console/customers?q=%E0%A4%A',
    '/console/customers/nosuchcustomer',
    '/console/follow-ups?from=0000-01-01&to=9999-12-31',
    '/console/follow-ups?from=2026-02-30&to=2026-13-01',
    '/console/follow-ups?status=%00',
    '/console/follow-ups?page=1e308&sort=%00x',
    '/console/follow-ups?page=-1&size=NaN',
    '/console/escalations?from=0000-01-01',
    '/console/escalations/nosuchescalation',
    '/console/audit?from=0000-01-01&to=9999-12-31',
    '/console/audit?entityId=%00',
    '/console/calendar?year=0',
    '/console/calendar?year=9999',
    '/console/satisfaction?month=0000-01',
    '/console/satisfaction?month=9999-12',
    '/console/satisfaction/trend.svg?month=0000-00',
    '/console/satisfaction/export.xlsx?month=9999-99',
    '/console/policies/%00',
    '/console/policies/P4/simulate?type=%00',
    '/console/settings?tab=%00',
  ].map((path): FuzzCase => ({ name: `console GET ${path}`, request: (k) => ({ method: 'GET', path, headers: k.consoleHeaders() }), ...(path.includes('%00') ? { status: 400 } : {}) })),
  ...(
    [
      ['/console/calendar/entries', 'date=0000-01-01&kind=holiday&name=x'],
      ['/console/calendar/entries', 'date=9999-12-31&kind=workday&name=%ED%A0%80'],
      ['/console/calendar/entries', 'date=2026-10-01&kind=holiday&name=%00'],
      ['/console/calendar/entries/0000-01-01/remove', ''],
      ['/console/customers/nosuchcustomer/consent', 'consentSurvey=%00'],
      ['/console/follow-ups/reassign', 'ids=%00&assignee=x'],
      ['/console/follow-ups/handover', 'from=x&to=y&until=9999-12-31'],
      ['/console/satisfaction/keywords', 'keyword=%00&topic=x'],
      ['/console/settings/webhooks', 'url=http%3A%2F%2F127.0.0.1%3A9%2F%00&events=case.created'],
      ['/console/policies/P4/simulate', 'case=%7B%22occurredAt%22%3A%229999-12-31T00%3A00%3A00Z%22%7D'],
    ] as const
  ).map(
    ([path, body]): FuzzCase => ({
      name: `console POST ${path} ${body}`,
      request: (k) => ({ method: 'POST', path, headers: { ...k.consoleHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, body: `${body}${body ? '&' : ''}_csrf=${k.consoleCsrf()}` }),
      ...(body.includes('%00') ? { status: 400 } : {}),
    }),
  ),
  { name: 'sandbox tap with NUL ids', request: () => ({ method: 'POST', path: '/sandbox/api/tap', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wecomUserId: NUL, taskId: NUL, key: NUL }) }), status: 400 },
  { name: 'sandbox reply with a lone surrogate', request: () => ({ method: 'POST', path: '/sandbox/api/reply', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customerId: 'x', text: LONE }) }), status: 400 },
  { name: 'sandbox example case with NUL kind', request: () => ({ method: 'POST', path: '/sandbox/api/example-case', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: NUL }) }), status: 400 },
  { name: 'unknown route with NUL', request: () => ({ method: 'GET', path: '/%00' }), status: 400 },
  { name: 'root path', request: () => ({ method: 'GET', path: '/' }), status: 302 },
  { name: 'openapi document with NUL query', request: () => ({ method: 'GET', path: '/openapi.json?x=%00' }), status: 400 },
];

/** The kit's WeCom helpers, over the service's WeCom credentials. */
export function wecomKit(secrets: { token: string; encodingAesKey: string; corpId: string }, nowSeconds: () => number) {
  let nonce = 100_000;
  const next = () => String(++nonce);
  return {
    wecomPost(plaintextXml: string, options: { timestamp?: string; nonce?: string; envelope?: (encrypt: string) => string } = {}): FuzzRequest {
      const timestamp = options.timestamp ?? String(nowSeconds());
      const n = options.nonce ?? next();
      const encrypt = simEncrypt(secrets.encodingAesKey, plaintextXml, secrets.corpId);
      const signature = simSignature(secrets.token, timestamp, n, encrypt);
      const body = options.envelope ? options.envelope(encrypt) : `<xml><ToUserName><![CDATA[${secrets.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
      return { method: 'POST', path: `/wecom/callback?${new URLSearchParams({ msg_signature: signature, timestamp, nonce: n }).toString()}`, headers: { 'content-type': 'text/xml' }, body };
    },
    wecomGet(options: { timestamp?: string; nonce?: string; echostr?: string } = {}): FuzzRequest {
      const timestamp = options.timestamp ?? String(nowSeconds());
      const n = options.nonce ?? next();
      const echostr = options.echostr ?? simEncrypt(secrets.encodingAesKey, '1616140317555161061', secrets.corpId);
      const signature = simSignature(secrets.token, timestamp, n, echostr);
      return { method: 'GET', path: `/wecom/callback?${new URLSearchParams({ msg_signature: signature, timestamp, nonce: n, echostr }).toString()}` };
    },
  };
}

/** The kit's WeChat helper, over the account's callback token. */
export function wechatKit(token: string, nowSeconds: () => number) {
  let nonce = 500_000;
  return {
    wechatQuery(timestamp = String(nowSeconds())): string {
      const n = String(++nonce);
      return new URLSearchParams({ signature: wechatSignature(token, timestamp, n), timestamp, nonce: n }).toString();
    },
  };
}
