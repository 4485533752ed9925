import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { readRawBody } from '../read-body.js';
import { surveyFormPage, surveyMessagePage } from '../survey-page.js';

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * `GET /s/:token` shows the survey behind an SMS link; `POST /s/:token` submits it through the inbox
 * (deduplicated on the token, so a double submission records once) and the same use case path.
 */
export function surveyRoutes(router: Router, app: Huifang): void {
  const org = app.config.organisationName;
  const notFound = () => surveyMessagePage(org, '链接无效', '未找到这份问卷，请核对短信中的链接。');
  const expired = () => surveyMessagePage(org, '问卷已过期', '这份问卷已超过填写期限，感谢您的关注。如有意见，欢迎致电我们。');
  const done = () => surveyMessagePage(org, '感谢您的评价', '您的评价已收到，我们会认真改进。');

  router.get('/s/:token', async (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    const token = ctx.params.token!;
    const survey = TOKEN.test(token) ? await app.db.prisma.surveyInstance.findUnique({ where: { token }, include: { customer: { select: { salutation: true, name: true } } } }) : null;
    if (!survey) {
      ctx.status = 404;
      ctx.body = notFound();
    } else if (survey.status === 'ANSWERED') ctx.body = done();
    else if (survey.status === 'EXPIRED' || survey.expiresAt <= app.clock.now()) {
      ctx.status = 410;
      ctx.body = expired();
    } else {
      ctx.body = surveyFormPage({ organisation: org, salutation: survey.customer.salutation ?? `${survey.customer.name.slice(0, 1)}先生/女士`, action: `/s/${token}` });
    }
  });

  router.post('/s/:token', async (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    const token = ctx.params.token!;
    if (!TOKEN.test(token)) {
      ctx.status = 404;
      ctx.body = notFound();
      return;
    }
    const form = new URLSearchParams(await readRawBody(ctx, 16 * 1024));
    const score = Number(form.get('score'));
    const comment = (form.get('comment') ?? '').trim().slice(0, 500) || null;
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      ctx.status = 422;
      ctx.body = surveyFormPage({ organisation: org, salutation: '', action: `/s/${token}`, error: '请选择 1 到 5 分中的一项后再提交。' });
      return;
    }
    const now = app.clock.now();
    const received = await app.receive({
      source: 'web',
      dedupeKey: `survey:${token}`,
      kind: 'survey_submit',
      payload: { token, score, comment, receivedAt: now.toISOString() },
      receivedAt: now,
    });
    const result = received.processing ? await received.processing : null;
    const code = result?.status === 'REJECTED' ? String(result.result?.code) : null;
    if (received.duplicate) {
      // A second submission of this link: answer with what the first one led to.
      const survey = await app.db.prisma.surveyInstance.findUnique({ where: { token }, select: { status: true, expiresAt: true } });
      if (!survey) {
        ctx.status = 404;
        ctx.body = notFound();
      } else if (survey.status !== 'ANSWERED' && (survey.status === 'EXPIRED' || survey.expiresAt <= now)) {
        ctx.status = 410;
        ctx.body = expired();
      } else ctx.body = done();
    } else if (result?.status === 'PROCESSED' || code === 'SURVEY_ALREADY_ANSWERED') ctx.body = done();
    else if (code === 'SURVEY_TOKEN_EXPIRED') {
      ctx.status = 410;
      ctx.body = expired();
    } else if (code === 'SURVEY_TOKEN_UNKNOWN') {
      ctx.status = 404;
      ctx.body = notFound();
    } else {
      ctx.status = 500;
      ctx.body = surveyMessagePage(org, '暂时无法提交', '系统繁忙，您的评价已保存，我们会尽快处理。');
    }
  });
}
