import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Huifang } from '../../huifang.js';
import { readFormBody } from '../read-body.js';
import { noteFailedAuth, refuseIfThrottled } from '../failed-auth.js';
import { contentSecurityPolicy, surveyFormPage, surveyMessagePage } from '../survey-page.js';
import type { SurveyPageRecord } from '../../core/ports/surveys.js';
import { readAnswers, sanitiseDraft, type AnswerErrors, type RawAnswers, type SurveyDefinition } from '../../core/surveys/definitions.js';

/** A signed survey link segment: `<token>.<signature>` (see bot/links.ts). */
const SIGNED = /^[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{16}$/;

/** Survey forms are short; a long free-text answer in Chinese is still far below this. */
const FORM_LIMIT_BYTES = 64 * 1024;

/**
 * The customer's survey page behind the survey link.
 *
 * - `GET /s/<token>.<sig>` shows the survey's questions (its definition in templates/surveys), with any
 *   saved draft filled in; the first visit records `openedAt`.
 * - `POST /s/<token>.<sig>` validates the answers (errors shown next to each question, the answers kept
 *   as a draft), then submits them through the inbox (kind `survey_submit`, dedupe `survey:<token>`),
 *   so a double submission records one response. `intent=save` only saves the draft.
 * - `POST /s/<token>.<sig>/draft` is the autosave of the page's script.
 *
 * The signature is checked before the database is asked anything: an altered link gets the polite
 * 404 page, and a log line. Links without a signature (the first version's) are not accepted: they were
 * only ever sent through the sandbox, never to customers.
 */
export function surveyRoutes(router: Router, app: Huifang): void {
  const org = app.config.organisationName;
  const log = app.logger.child({ route: 'survey' });
  const notFound = (ctx: Context) => send(ctx, 404, surveyMessagePage(org, '链接无效', '未找到这份问卷，请核对短信或消息中的链接是否完整。'));
  const expired = (ctx: Context) => send(ctx, 410, surveyMessagePage(org, '问卷已过期', '这份问卷已超过填写期限，感谢您的关注。如有意见，欢迎致电我们。'));
  const done = (ctx: Context) => send(ctx, 200, surveyMessagePage(org, '已提交，感谢您的评价', '您的评价已收到，每份问卷只需提交一次。我们会认真改进。'));
  const unavailable = (ctx: Context) => send(ctx, 503, surveyMessagePage(org, '问卷暂不可用', '这份问卷暂时无法填写，请稍后再试。给您带来不便，敬请谅解。'));

  /** The token of a correctly signed link, or null (logged; the database is not asked). */
  async function verifiedToken(ctx: Context): Promise<string | null> {
    const signed = ctx.params.signed ?? '';
    refuseIfThrottled(ctx);
    const token = SIGNED.test(signed) ? await app.deps.links.verify('survey', signed) : null;
    if (!token) {
      noteFailedAuth(ctx);
      log.warn({ ip: ctx.ip, length: signed.length }, 'survey link rejected: signature does not match');
    }
    return token;
  }

  const findSurvey = (token: string) => app.deps.surveys.findSurveyPage(token);
  type SurveyRow = SurveyPageRecord;

  /** Says why the survey cannot be answered (and sends that page), or returns its definition. */
  function answerable(ctx: Context, survey: SurveyRow | null): SurveyDefinition | null {
    if (!survey) notFound(ctx);
    else if (survey.status === 'ANSWERED') done(ctx);
    else if (survey.status === 'EXPIRED' || survey.expiresAt <= app.clock.now()) expired(ctx);
    else {
      const definition = app.deps.surveyDefinitions.get(survey.surveyKey);
      if (definition) return definition;
      log.error({ surveyId: survey.id, surveyKey: survey.surveyKey }, 'survey definition missing: restore templates/surveys/<key>.yaml');
      unavailable(ctx);
    }
    return null;
  }

  const salutation = (survey: SurveyRow) => survey.customer.salutation ?? `${survey.customer.name.slice(0, 1)}先生/女士`;

  router.get('/s/:signed', async (ctx) => {
    const token = await verifiedToken(ctx);
    if (!token) return notFound(ctx);
    const survey = await findSurvey(token);
    const definition = answerable(ctx, survey);
    if (!definition || !survey) return;
    if (!survey.openedAt) await app.deps.surveys.markSurveyOpened(survey.id, app.clock.now());
    send(ctx, 200, surveyFormPage({ organisation: org, salutation: salutation(survey), definition, action: `/s/${ctx.params.signed}`, values: survey.draft ?? {} }));
  });

  router.post('/s/:signed/draft', async (ctx) => {
    const token = await verifiedToken(ctx);
    if (!token) return notFound(ctx);
    const survey = await findSurvey(token);
    const definition = answerable(ctx, survey);
    if (!definition || !survey) return;
    const saved = await saveDraft(survey.id, sanitiseDraft(definition, parseForm(await readFormBody(ctx, FORM_LIMIT_BYTES))));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = saved ? 204 : 409;
  });

  router.post('/s/:signed', async (ctx) => {
    const token = await verifiedToken(ctx);
    if (!token) return notFound(ctx);
    const raw = parseForm(await readFormBody(ctx, FORM_LIMIT_BYTES));
    const survey = await findSurvey(token);
    const definition = answerable(ctx, survey);
    if (!definition || !survey) return;
    const draft = sanitiseDraft(definition, raw);
    const action = `/s/${ctx.params.signed}`;
    const page = (status: number, extra: { errors?: AnswerErrors; notice?: string }) =>
      send(ctx, status, surveyFormPage({ organisation: org, salutation: salutation(survey), definition, action, values: draft, ...extra }));

    if (raw.intent === 'save') {
      await saveDraft(survey.id, draft);
      return page(200, { notice: '已暂存。您可以随时通过同一链接回来继续填写。' });
    }
    const { errors } = readAnswers(definition, raw, { enforceRequired: true });
    if (Object.keys(errors).length > 0) {
      // Keep what was answered, so a reload or a later visit does not lose it.
      await saveDraft(survey.id, draft);
      return page(422, { errors });
    }
    const now = app.clock.now();
    const received = await app.receive({
      source: 'web',
      dedupeKey: `survey:${token}`,
      kind: 'survey_submit',
      payload: { token, answers: draft, receivedAt: now.toISOString() },
      receivedAt: now,
    });
    const result = received.processing ? await received.processing : null;
    const code = result?.status === 'REJECTED' ? String(result.result?.code) : null;
    if (received.duplicate) {
      // A second submission of this link: answer with what the first one led to.
      const current = await findSurvey(token);
      if (current && current.status !== 'ANSWERED' && (current.status === 'EXPIRED' || current.expiresAt <= now)) return expired(ctx);
      return done(ctx);
    }
    if (result?.status === 'PROCESSED' || code === 'SURVEY_ALREADY_ANSWERED') return done(ctx);
    if (code === 'SURVEY_TOKEN_EXPIRED') return expired(ctx);
    if (code === 'SURVEY_TOKEN_UNKNOWN') return notFound(ctx);
    send(ctx, 500, surveyMessagePage(org, '暂时无法提交', '系统繁忙，您的评价已保存，我们会尽快处理。'));
  });

  /** Saves partial answers while the survey is open; false when it no longer is. */
  const saveDraft = (surveyId: string, draft: Record<string, string | string[]>) => app.deps.surveys.saveSurveyDraft(surveyId, draft, app.clock.now());
}

/** Sends an HTML page that no cache, referrer or search engine keeps. */
export function send(ctx: Context, status: number, html: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Robots-Tag', 'noindex');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', contentSecurityPolicy());
  ctx.body = html;
}

/** An urlencoded form body as field → value (several values for repeated fields, e.g. checkboxes). */
export function parseForm(body: URLSearchParams): Record<string, string | string[]> & RawAnswers {
  const form: Record<string, string | string[]> = {};
  for (const [key, value] of body) {
    const existing = form[key];
    form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return form;
}
