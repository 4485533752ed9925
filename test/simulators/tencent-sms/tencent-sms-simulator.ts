// A protocol-faithful local Tencent Cloud SMS (STYLE T3): an HTTP server on 127.0.0.1 that receives the
// real SDK's API 3.0 requests, verifies their TC3-HMAC-SHA256 signature (tc3-verify.ts, its own crypto),
// answers SendSms with a per-number SendStatusSet and the top-level error shape, serves the
// PullSmsSendStatus / PullSmsReplyStatus queues and PullSmsSendStatusByPhoneNumber, records traffic, and posts delivery-status and reply
// callbacks in Tencent's JSON shapes (docs/protocols/tencent-sms.md §2–§8) to a service under test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomInt, randomUUID } from 'node:crypto';
import { parseAuthorization, signaturesMatch, tc3Signature, utcDate } from './tc3-verify.js';

export const API_VERSION = '2021-01-11';
/** Tencent refuses a request whose timestamp is further than this from its clock (docs/protocols/tencent-sms.md §1). */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** What the simulator does with one number of a SendSms request. */
export type NumberBehaviour =
  | 'ok'
  | 'thirty_second_limit'
  | 'hour_limit'
  | 'daily_limit'
  | 'invalid'
  | 'blacklist'
  | 'other_error'
  | 'missing_signature'
  | 'missing_template'
  | 'dirty_words'
  | { code: string; message?: string };

const BEHAVIOUR_CODES: Readonly<Record<Exclude<NumberBehaviour, 'ok' | { code: string }>, { code: string; message: string }>> = {
  thirty_second_limit: { code: 'LimitExceeded.PhoneNumberThirtySecondLimit', message: 'the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit' },
  hour_limit: { code: 'LimitExceeded.PhoneNumberOneHourLimit', message: 'the number of sms messages sent from a single mobile number within 1 hour exceeds the upper limit' },
  daily_limit: { code: 'LimitExceeded.PhoneNumberDailyLimit', message: 'the number of sms messages sent from a single mobile number every day exceeds the upper limit' },
  invalid: { code: 'InvalidParameterValue.IncorrectPhoneNumber', message: 'invalid mobile number' },
  blacklist: { code: 'FailedOperation.PhoneNumberInBlacklist', message: 'the mobile number is in the blocklist' },
  // Codes of Tencent's SendSms error list (docs/protocols/tencent-sms.md §3) that no retry can fix.
  other_error: { code: 'FailedOperation.OtherError', message: 'other error, usually caused by parameters that do not meet the requirements' },
  missing_signature: { code: 'FailedOperation.MissingSignatureList', message: 'the signature cannot be recognized' },
  missing_template: { code: 'FailedOperation.MissingTemplateList', message: 'the template cannot be recognized' },
  dirty_words: { code: 'InvalidParameterValue.TemplateWithDirtyWords', message: 'the template content contains sensitive words' },
};

/** Request-level errors of Tencent's list, with its wording, for `setAccountFailure({ code, level: 'request' })`. */
export const TENCENT_REQUEST_ERRORS: Readonly<Record<string, string>> = {
  'InternalError.SigVerificationFail': 'backend failed to verify the Sig',
};

export interface RecordedApiCall {
  action: string;
  headers: Readonly<Record<string, string>>;
  /** Parsed JSON body (or raw text when not JSON). */
  body: unknown;
  at: Date;
  /** The `Response` object answered. */
  response: Record<string, unknown>;
}

/** An SMS Tencent accepted for one number. */
export interface SimSms {
  serialNo: string;
  phoneNumber: string;
  templateId: string;
  params: string[];
  signName: string;
  extendCode: string | null;
  sessionContext: string | null;
  /** `【sign】` + the template text with its parameters, when the template text is known. */
  text: string | null;
  at: Date;
}

/** A callback the simulator posted, kept so it can be replayed byte for byte. */
export interface SimCallbackDelivery {
  url: string;
  body: string;
  status: number;
  responseBody: string;
}

export interface StatusReportInput {
  report_status?: 'SUCCESS' | 'FAIL';
  errmsg?: string;
  description?: string;
  user_receive_time?: string;
  /** Include `ext` (the SessionContext), as Tencent does when support enabled it. */
  withExt?: boolean;
  /** `Description` of the pulled record [the carrier code, as in Tencent's example]. */
  pullDescription?: string;
}

export interface TencentSmsSimulatorOptions {
  secretId?: string;
  secretKey?: string;
  sdkAppId?: string;
  /** Approved signatures. */
  signNames?: readonly string[];
  /** Approved templates: id → text with `{1}`, `{2}` … (the parameter count is checked). */
  templates?: Readonly<Record<string, string>>;
  /** The simulator's clock for signature expiry [wall time: the SDK signs with the wall clock]. */
  clock?: { now(): Date };
}

export class TencentSmsSimulator {
  readonly secretId: string;
  readonly secretKey: string;
  readonly sdkAppId: string;
  readonly signNames: Set<string>;
  readonly templates: Map<string, string>;
  /** Refuse a link inside a template parameter, as Tencent does (docs/protocols/tencent-sms.md §4.4, `ProhibitedUseUrlInTemplateParameter`). */
  refuseUrlParameters = true;
  /**
   * After how long an accepted SMS has a delivery report that `PullSmsSendStatusByPhoneNumber` lists, in
   * ms [0: at once]; null: carriers never report (the report-by-number lookup finds nothing).
   */
  reportDelayMs: number | null = 0;
  /**
   * How an accepted `SendSms` is answered (the SMS is recorded, and reported, in every case): `now`;
   * `{ delayMs }`, that much later (longer than the client's timeout: Tencent has the SMS, the client
   * never hears it); `hold`, only when {@link TencentSmsSimulator.answerHeld} is called (a slow provider);
   * `hang-up`, never: the connection is closed after the request was read.
   */
  sendAnswer: 'now' | 'hold' | 'hang-up' | { delayMs: number } = 'now';
  /** Awaited before a pull request is answered (and its records leave the queue): lets a test look at the service's state between pulls. */
  beforePull: ((action: 'PullSmsSendStatus' | 'PullSmsReplyStatus') => Promise<void> | void) | null = null;

  readonly calls: RecordedApiCall[] = [];
  readonly sent: SimSms[] = [];
  /** Requests refused before reaching an action (signature, version …), with the error code. */
  readonly refused: { code: string; at: Date }[] = [];
  readonly callbacks: SimCallbackDelivery[] = [];

  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #clock: { now(): Date };
  readonly #behaviours = new Map<string, { behaviour: NumberBehaviour; remaining: number }[]>();
  readonly #held: (() => void)[] = [];
  #accountFailure: { code: string; message: string; level: 'request' | 'number' } | null = null;
  readonly #statusQueue: Record<string, unknown>[] = [];
  readonly #replyQueue: Record<string, unknown>[] = [];
  #baseUrl = '';
  #host = '';

  private constructor(options: TencentSmsSimulatorOptions) {
    this.secretId = options.secretId ?? 'AKIDsimulator0000000000000000000000';
    this.secretKey = options.secretKey ?? 'sim-secret-key-0123456789abcdef';
    this.sdkAppId = options.sdkAppId ?? '1400006666';
    this.signNames = new Set(options.signNames ?? ['回访中心']);
    this.templates = new Map(Object.entries(options.templates ?? {}));
    this.#clock = options.clock ?? { now: () => new Date() };
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        console.error('TencentSmsSimulator failed to answer', error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(options: TencentSmsSimulatorOptions = {}): Promise<TencentSmsSimulator> {
    const sim = new TencentSmsSimulator(options);
    await new Promise<void>((resolve) => sim.#server.listen(0, '127.0.0.1', resolve));
    const { port } = sim.#server.address() as AddressInfo;
    sim.#host = `127.0.0.1:${port}`;
    sim.#baseUrl = `http://${sim.#host}`;
    return sim;
  }

  /** `TENCENT_SMS_ENDPOINT` for the service: `http://127.0.0.1:<port>`. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Answers the sends held by `sendAnswer = 'hold'`; returns how many. */
  answerHeld(): number {
    const held = this.#held.splice(0);
    for (const answer of held) answer();
    return held.length;
  }

  /** Accepted sends whose answer is held now (`sendAnswer = 'hold'`). */
  get heldSends(): number {
    return this.#held.length;
  }

  /** The next `times` sends to `phoneE164` behave as given (then normally). */
  setNumberBehaviour(phoneE164: string, behaviour: NumberBehaviour, times = Number.POSITIVE_INFINITY): void {
    const list = this.#behaviours.get(phoneE164) ?? [];
    list.push({ behaviour, remaining: times });
    this.#behaviours.set(phoneE164, list);
  }

  /**
   * An account-wide failure for every SendSms until cleared (`null`): e.g. an exhausted package
   * (`FailedOperation.InsufficientBalanceInSmsPackage`), per number or as a request-level error.
   */
  setAccountFailure(failure: { code: string; message?: string; level?: 'request' | 'number' } | null): void {
    this.#accountFailure = failure ? { code: failure.code, message: failure.message ?? TENCENT_REQUEST_ERRORS[failure.code] ?? failure.code, level: failure.level ?? 'number' } : null;
  }

  callsTo(action: string): RecordedApiCall[] {
    return this.calls.filter((c) => c.action === action);
  }

  sentTo(phoneE164: string): SimSms[] {
    return this.sent.filter((s) => s.phoneNumber === phoneE164);
  }

  // ------------------------------------------------------------------ callbacks and pull queues

  /** The delivery-status callback item (§5.1) for an SMS the simulator accepted. */
  statusReport(serialNo: string, input: StatusReportInput = {}): Record<string, unknown> {
    const sms = this.sent.find((s) => s.serialNo === serialNo);
    if (!sms) throw new Error(`TencentSmsSimulator: no SMS with SerialNo ${serialNo}`);
    const failed = input.report_status === 'FAIL';
    return {
      user_receive_time: input.user_receive_time ?? beijingTime(this.#clock.now()),
      nationcode: '86',
      mobile: sms.phoneNumber.replace(/^\+86/, ''),
      report_status: input.report_status ?? 'SUCCESS',
      errmsg: input.errmsg ?? (failed ? 'MI:0073' : 'DELIVRD'),
      description: input.description ?? (failed ? '用户短信送达失败' : '用户短信送达成功'),
      sid: sms.serialNo,
      ...(input.withExt && sms.sessionContext ? { ext: sms.sessionContext } : {}),
    };
  }

  /** Posts delivery reports (a JSON array, as Tencent does) to the service's status callback URL. */
  async postStatusReports(url: string, reports: readonly Record<string, unknown>[]): Promise<SimCallbackDelivery> {
    return this.postRaw(url, JSON.stringify(reports));
  }

  /** The reply callback body (§5.2) of a customer texting `text` from `phoneE164`. */
  replyBody(phoneE164: string, text: string, options: { extend?: string; time?: number; sign?: string } = {}): Record<string, unknown> {
    return {
      extend: options.extend ?? '',
      mobile: phoneE164.replace(/^\+86/, ''),
      nationcode: '86',
      // The signature of the message replied to: one account's replies all reach one URL, whatever the signature.
      sign: options.sign ?? [...this.signNames][0] ?? '',
      text,
      time: options.time ?? Math.floor(this.#clock.now().getTime() / 1000),
    };
  }

  /** Posts a customer's reply to the service's reply callback URL. */
  async postReply(url: string, phoneE164: string, text: string, options: { extend?: string; time?: number; sign?: string } = {}): Promise<SimCallbackDelivery> {
    return this.postRaw(url, JSON.stringify(this.replyBody(phoneE164, text, options)));
  }

  /** Posts any body (malformed JSON, wrong shapes) as a callback. */
  async postRaw(url: string, body: string): Promise<SimCallbackDelivery> {
    const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const delivery = { url, body, status: response.status, responseBody: await response.text() };
    this.callbacks.push(delivery);
    return delivery;
  }

  /** Delivers the same callback again, byte for byte (Tencent retries a failed push twice). */
  async replay(delivery: SimCallbackDelivery): Promise<SimCallbackDelivery> {
    return this.postRaw(delivery.url, delivery.body);
  }

  /** Queues a delivery report for `PullSmsSendStatus` instead of pushing it. */
  queueStatusReport(serialNo: string, input: StatusReportInput = {}): void {
    const item = this.statusReport(serialNo, input);
    const sms = this.sent.find((s) => s.serialNo === serialNo)!;
    this.#statusQueue.push({
      UserReceiveTime: Math.floor(this.#clock.now().getTime() / 1000),
      CountryCode: '86',
      SubscriberNumber: item.mobile,
      PhoneNumber: sms.phoneNumber,
      SerialNo: serialNo,
      ReportStatus: item.report_status,
      // The pull record has no code field, only Description; Tencent's documented example carries the carrier
      // code there ("DELIVRD"). `pullDescription` gives other forms (a human description) to test against.
      Description: input.pullDescription ?? item.errmsg,
      SessionContext: sms.sessionContext ?? '',
    });
  }

  /** Queues a customer's reply for `PullSmsReplyStatus`. */
  queueReply(phoneE164: string, text: string, options: { extend?: string; time?: number; sign?: string } = {}): void {
    this.#replyQueue.push({
      ExtendCode: options.extend ?? '',
      CountryCode: '86',
      PhoneNumber: phoneE164,
      SignName: options.sign ?? [...this.signNames][0] ?? '',
      ReplyContent: text,
      ReplyTime: options.time ?? Math.floor(this.#clock.now().getTime() / 1000),
      SubscriberNumber: phoneE164.replace(/^\+86/, ''),
    });
  }

  /** Queues a record exactly as given (e.g. one without the documented fields) for `action`. */
  queueRawPullRecord(action: 'PullSmsSendStatus' | 'PullSmsReplyStatus', record: Record<string, unknown>): void {
    (action === 'PullSmsSendStatus' ? this.#statusQueue : this.#replyQueue).push(record);
  }

  // ------------------------------------------------------------------ API

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    const action = headers['x-tc-action'] ?? '';
    const requestId = randomUUID();
    const answer = (response: Record<string, unknown>, body: unknown) => {
      this.calls.push({ action, headers, body, at: this.#clock.now(), response });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Response: { ...response, RequestId: requestId } }));
    };
    const fail = (code: string, message: string, body: unknown) => {
      this.refused.push({ code, at: this.#clock.now() });
      answer({ Error: { Code: code, Message: message } }, body);
    };

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = raw.toString('utf8');
    }
    if (req.method !== 'POST' || (req.url ?? '/') !== '/') return fail('InvalidParameter', 'only POST / is supported', body);

    const auth = this.#verify(req, headers, raw);
    if (auth) return fail(auth.code, auth.message, body);
    if (headers['x-tc-version'] !== API_VERSION) return fail('NoSuchVersion', `the version ${headers['x-tc-version']} does not exist`, body);
    if (!headers['x-tc-region']) return fail('MissingParameter', 'the Region parameter is required', body);
    if (typeof body !== 'object' || body === null) return fail('FailedOperation.JsonParseFail', 'failed to parse the request body', body);
    const params = body as Record<string, unknown>;

    switch (action) {
      case 'SendSms':
        return this.#sendSms(params, (response, sent) => this.#answerSend(res, () => answer(response, sent)), (code, message) => fail(code, message, body));
      case 'PullSmsSendStatus':
        await this.beforePull?.(action);
        return this.#pull(this.#statusQueue, 'PullSmsSendStatusSet', params, answer, (code, message) => fail(code, message, body));
      case 'PullSmsReplyStatus':
        await this.beforePull?.(action);
        return this.#pull(this.#replyQueue, 'PullSmsReplyStatusSet', params, answer, (code, message) => fail(code, message, body));
      case 'PullSmsSendStatusByPhoneNumber':
        return this.#pullByNumber(params, answer, (code, message) => fail(code, message, body));
      default:
        return fail('InvalidAction', `the action ${action} does not exist`, body);
    }
  }

  /** Verifies the TC3 signature of a request; returns Tencent's error for a bad one. */
  #verify(req: IncomingMessage, headers: Record<string, string>, raw: Buffer): { code: string; message: string } | null {
    const auth = parseAuthorization(headers.authorization);
    if (!auth) return { code: 'AuthFailure.SignatureFailure', message: 'the Authorization header is malformed' };
    if (auth.secretId !== this.secretId) return { code: 'AuthFailure.SecretIdNotFound', message: 'the SecretId is not found' };
    const timestamp = Number(headers['x-tc-timestamp']);
    if (!Number.isSafeInteger(timestamp)) return { code: 'AuthFailure.SignatureFailure', message: 'X-TC-Timestamp is missing' };
    if (Math.abs(this.#clock.now().getTime() / 1000 - timestamp) > MAX_CLOCK_SKEW_SECONDS) {
      return { code: 'AuthFailure.SignatureExpire', message: 'the signature expired: the timestamp differs from server time by more than 5 minutes' };
    }
    if (auth.date !== utcDate(timestamp)) return { code: 'AuthFailure.SignatureFailure', message: 'the credential date does not match the timestamp' };
    if (auth.signedHeaders !== 'content-type;host') return { code: 'AuthFailure.SignatureFailure', message: 'unexpected SignedHeaders' };
    const host = (headers.host ?? '').replace(/:\d+$/, '');
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const expected = tc3Signature({
      secretKey: this.secretKey,
      timestamp,
      service: auth.service,
      method: req.method ?? 'POST',
      path,
      query,
      contentType: headers['content-type'] ?? '',
      host,
      body: raw,
    });
    if (!signaturesMatch(expected, auth.signature)) {
      return { code: 'AuthFailure.SignatureFailure', message: 'the provided credentials could not be validated. Please check your signature is correct.' };
    }
    return null;
  }

  #sendSms(params: Record<string, unknown>, answer: (r: Record<string, unknown>, body: unknown) => void, fail: (code: string, message: string) => void): void {
    const numbers = Array.isArray(params.PhoneNumberSet) ? params.PhoneNumberSet.map(String) : [];
    if (numbers.length === 0) return fail('MissingParameter.EmptyPhoneNumberSet', 'the phone number set is empty');
    if (numbers.length > 200) return fail('LimitExceeded.PhoneNumberCountLimit', 'more than 200 numbers');
    if (params.SmsSdkAppId !== this.sdkAppId) return fail('InvalidParameterValue.SdkAppIdNotExist', 'the SdkAppId does not exist');
    if (typeof params.SignName !== 'string' || !this.signNames.has(params.SignName)) {
      return fail('FailedOperation.SignatureIncorrectOrUnapproved', 'the signature is not approved or its format is incorrect');
    }
    const templateId = String(params.TemplateId ?? '');
    const template = this.templates.get(templateId);
    const values = Array.isArray(params.TemplateParamSet) ? params.TemplateParamSet.map(String) : [];
    if (template === undefined || countVariables(template) !== values.length) {
      return fail('FailedOperation.TemplateIncorrectOrUnapproved', 'the template is not approved or the parameters do not match it');
    }
    if (this.refuseUrlParameters && values.some((v) => /https?:\/\/|www\./i.test(v))) {
      return fail('InvalidParameterValue.ProhibitedUseUrlInTemplateParameter', 'URLs are not allowed in template parameters');
    }
    if (this.#accountFailure?.level === 'request') return fail(this.#accountFailure.code, this.#accountFailure.message);
    const now = this.#clock.now();
    const statuses = numbers.map((number) => {
      const phone = number.startsWith('+') ? number : `+86${number.replace(/^(00)?86/, '')}`;
      const base = { PhoneNumber: phone, SessionContext: typeof params.SessionContext === 'string' ? params.SessionContext : '', IsoCode: phone.startsWith('+86') ? 'CN' : 'DEF' };
      const failure = this.#accountFailure ?? this.#nextFailure(phone);
      if (failure) return { ...base, SerialNo: '', Fee: 0, Code: failure.code, Message: failure.message };
      const serialNo = `2433:${randomInt(10 ** 9, 10 ** 10 - 1)}${randomInt(10 ** 9, 10 ** 10 - 1)}`;
      const text = `【${params.SignName}】${template.replace(/\{(\d+)\}/g, (_m, n: string) => values[Number(n) - 1] ?? '')}`;
      this.sent.push({
        serialNo,
        phoneNumber: phone,
        templateId,
        params: values,
        signName: String(params.SignName),
        extendCode: typeof params.ExtendCode === 'string' && params.ExtendCode !== '' ? params.ExtendCode : null,
        sessionContext: base.SessionContext || null,
        text,
        at: now,
      });
      return { ...base, SerialNo: serialNo, Fee: [...text].length <= 70 ? 1 : Math.ceil([...text].length / 67), Code: 'Ok', Message: 'send success' };
    });
    answer({ SendStatusSet: statuses }, params);
  }

  /** Answers an accepted send as `sendAnswer` says. */
  #answerSend(res: ServerResponse, answer: () => void): void {
    const mode = this.sendAnswer;
    // A client that gave up has closed the connection: nothing is written to it.
    const late = () => {
      if (!res.destroyed && !res.writableEnded) answer();
    };
    if (mode === 'now') answer();
    else if (mode === 'hold') this.#held.push(late);
    else if (mode === 'hang-up') res.socket?.destroy();
    else setTimeout(late, mode.delayMs);
  }

  #nextFailure(phone: string): { code: string; message: string } | null {
    const list = this.#behaviours.get(phone);
    const entry = list?.find((e) => e.remaining > 0);
    if (!entry) return null;
    entry.remaining--;
    const b = entry.behaviour;
    if (b === 'ok') return null;
    if (typeof b === 'object') return { code: b.code, message: b.message ?? b.code };
    return BEHAVIOUR_CODES[b];
  }

  /** Delivery reports of one number within [BeginTime, EndTime] (not a queue: asking again lists them again). */
  #pullByNumber(params: Record<string, unknown>, answer: (r: Record<string, unknown>, body: unknown) => void, fail: (code: string, message: string) => void): void {
    if (params.SmsSdkAppId !== this.sdkAppId) return fail('InvalidParameterValue.SdkAppIdNotExist', 'the SdkAppId does not exist');
    const limit = Number(params.Limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail('InvalidParameterValue', 'Limit must be 1-100');
    const begin = Number(params.BeginTime);
    if (!Number.isInteger(begin)) return fail('MissingParameter', 'BeginTime is required');
    const end = params.EndTime === undefined ? Number.POSITIVE_INFINITY : Number(params.EndTime);
    const phone = String(params.PhoneNumber ?? '');
    const now = this.#clock.now().getTime();
    const delay = this.reportDelayMs;
    const records = this.sent
      .filter((sms) => sms.phoneNumber === phone && delay !== null && sms.at.getTime() + delay <= now)
      .filter((sms) => sms.at.getTime() / 1000 >= begin && sms.at.getTime() / 1000 <= end)
      .slice(0, limit)
      .map((sms) => ({
        UserReceiveTime: Math.floor((sms.at.getTime() + (delay ?? 0)) / 1000),
        CountryCode: '86',
        SubscriberNumber: sms.phoneNumber.replace(/^\+86/, ''),
        PhoneNumber: sms.phoneNumber,
        SerialNo: sms.serialNo,
        ReportStatus: 'SUCCESS',
        Description: 'DELIVRD',
        SessionContext: sms.sessionContext ?? '',
      }));
    answer({ PullSmsSendStatusSet: records }, params);
  }

  #pull(
    queue: Record<string, unknown>[],
    field: string,
    params: Record<string, unknown>,
    answer: (r: Record<string, unknown>, body: unknown) => void,
    fail: (code: string, message: string) => void,
  ): void {
    if (params.SmsSdkAppId !== this.sdkAppId) return fail('InvalidParameterValue.SdkAppIdNotExist', 'the SdkAppId does not exist');
    const limit = Number(params.Limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail('InvalidParameterValue', 'Limit must be 1-100');
    // Queue semantics: each record is handed out once (docs/protocols/tencent-sms.md §6).
    answer({ [field]: queue.splice(0, limit) }, params);
  }
}

function countVariables(template: string): number {
  return new Set(template.match(/\{\d+\}/g) ?? []).size;
}

/** `YYYY-MM-DD HH:mm:ss` in Beijing time, as Tencent writes `user_receive_time`. */
function beijingTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}
