import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Huifang } from '../../huifang.js';
import type { FollowUpContext } from '../../core/records.js';
import { readFormBody, readRawBody } from '../read-body.js';
import { noteFailedAuth, refuseIfThrottled } from '../failed-auth.js';
import { surveyMessagePage } from '../survey-page.js';
import {
  CALLED_OUTCOME_LABELS,
  staffCallPage,
  staffFormContentSecurityPolicy,
  staffFormPage,
  STAFF_FORM_SCRIPT_PATH,
  STAFF_OUTCOMES,
  type OutcomeErrors,
  type StaffFormCase,
} from '../staff-form-page.js';
import { DomainError } from '../../core/errors.js';
import { pendingStaffCall, startStaffCall } from '../../core/follow-ups/staff-call.js';
import { parseForm, send } from './survey.js';
import { parseStaffFormId } from '../../core/surveys/survey-links.js';
import { readAnswers, sanitiseDraft } from '../../core/surveys/definitions.js';
import { staffQuestionnaire } from '../../core/follow-ups/record-staff-form.js';
import { findStep } from '../../core/policies/find-step.js';
import { formatLocalDateTime, fromLocal, toLocal } from '../../core/time.js';

/** A signed form link segment: `<followUpId>_<activation>.<signature>`. */
const SIGNED = /^[0-9A-Za-z]{1,64}_\d{1,6}\.[A-Za-z0-9_-]{16}$/;
const FORM_LIMIT_BYTES = 64 * 1024;
const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2})?$/;
/** How far ahead a 改期 may be set. */
const MAX_RESCHEDULE_MS = 366 * 86_400_000;

/** The form's script (拨打), read once and served with an ETag. */
const SCRIPT = (() => {
  const body = readFileSync(join(import.meta.dirname, '..', 'assets', 'staff-form.js'), 'utf8');
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
})();

/** Why 拨打 did not reveal the number, for the staff member (Chinese), by the use case's code. */
function callRefusal(code: string, limit: number): { status: number; text: string } | null {
  switch (code) {
    case 'REVEAL_LIMIT':
      return { status: 429, text: `今日查看号码的次数已达上限（每人每天 ${limit} 次，含管理台“查看号码”），请明天再试或联系管理员。` };
    case 'DO_NOT_CONTACT':
      return { status: 409, text: '客户已拒收回访（或不再联系），请勿拨打。' };
    case 'UNKNOWN_CUSTOMER':
      return { status: 404, text: '该客户没有可拨打的号码。' };
    case 'STALE_CARD':
      return { status: 409, text: '该回访已更新，请打开最新的任务卡片。' };
    case 'NOT_ASSIGNEE':
      return { status: 409, text: '该回访现由其他同事负责，无需您拨打。' };
    default:
      return null;
  }
}

/**
 * The staff 详情 form of a task card (`detailUrl`): `GET /f/<followUpId>_<n>.<sig>` shows the case, what
 * to ask and the step's questionnaire; `POST` records the outcome through the inbox (kind
 * `staff_form_submit`, dedupe `staff_form:<followUpId>_<n>`) with the same use case as a card tap, so a
 * tap and a form, or two forms, record once. A form of a superseded card or of a follow-up already
 * recorded says so politely. The signature is checked before the database is asked anything.
 *
 * `POST /f/<…>/call` is 拨打: the signed link is the credential (only the assignee received it; a
 * cross-site page cannot know it), the number comes from the console's audited reveal as the
 * assignee, and the call stays pending on the activation until the form is next submitted. It answers
 * JSON to the form's script (`{ tel, message }`) and an HTML page with the `tel:` link otherwise.
 * The number is never logged.
 */
export function staffFormRoutes(router: Router, app: Huifang): void {
  const org = app.config.organisationName;
  const tz = app.config.timezone;
  const log = app.logger.child({ route: 'staff-form' });
  const reveals = app.console.actions;
  /** Sends a page of the form with its own content security policy (our served script only). */
  const sendPage = (ctx: Context, status: number, html: string) => {
    send(ctx, status, html);
    ctx.set('Content-Security-Policy', staffFormContentSecurityPolicy());
  };
  const message = (ctx: Context, status: number, title: string, text: string) => sendPage(ctx, status, surveyMessagePage(org, title, text));
  const notFound = (ctx: Context) => message(ctx, 404, '链接无效', '未找到这条回访任务，请从企业微信中的任务卡片重新打开。');

  /** The follow-up and activation of a correctly signed link, or null (logged; the database is not asked). */
  async function verified(ctx: Context): Promise<{ id: string; followUpId: string; activation: number } | null> {
    const signed = ctx.params.signed ?? '';
    refuseIfThrottled(ctx);
    const id = SIGNED.test(signed) ? await app.deps.links.verify('staff_form', signed) : null;
    if (!id) {
      noteFailedAuth(ctx);
      log.warn({ ip: ctx.ip, length: signed.length }, 'staff form link rejected: signature does not match');
      return null;
    }
    try {
      return { id, ...parseStaffFormId(id) };
    } catch {
      return null;
    }
  }

  /** Why a form can no longer be filled in (nor used to call), or null when it can. */
  function closedReason(fu: FollowUpContext['followUp'] | undefined, activation: number): { status: number; title: string; text: string } | null {
    if (!fu) return { status: 404, title: '链接无效', text: '未找到这条回访任务，请从企业微信中的任务卡片重新打开。' };
    if (activation < fu.activations) return { status: 409, title: '这张任务卡片已更新', text: '该回访已推送了新的任务卡片（例如改期或重拨后），请打开最新的卡片填写。' };
    if (fu.status === 'DONE' || fu.status === 'UNREACHABLE') return { status: 200, title: '该回访已记录', text: `该回访已完成记录（${outcomeLabel(fu.outcome, fu.status)}），无需再次提交，谢谢。` };
    if (fu.status === 'CANCELLED' || fu.status === 'SKIPPED') return { status: 200, title: '该回访已取消', text: '该回访已取消（例如案例已关闭），无需再联系客户。' };
    if (fu.status === 'SCHEDULED') return { status: 200, title: '该回访已改期', text: '该回访已安排在稍后进行，届时会推送新的任务卡片。' };
    if (activation !== fu.activations) return { status: 404, title: '链接无效', text: '未找到这条回访任务，请从企业微信中的任务卡片重新打开。' };
    return null;
  }

  /** Sends the page for a form that can no longer be filled in, or returns false when it can. */
  function closed(ctx: Context, fu: FollowUpContext['followUp'] | undefined, activation: number): boolean {
    const reason = closedReason(fu, activation);
    if (reason) message(ctx, reason.status, reason.title, reason.text);
    return reason !== null;
  }

  /** When 拨打 was used on this activation's form (the pending call), or null. */
  const calledAt = (fctx: FollowUpContext) => pendingStaffCall(reveals, { followUpId: fctx.followUp.id, activation: fctx.followUp.activations, customerId: fctx.customer.id });

  function caseOf(ctx: FollowUpContext, called: Date | null): StaffFormCase {
    const doNotContact = ctx.customer.optedOutAt !== null || ctx.customer.deceasedAt !== null;
    const step = findStep(app.deps.policies.byId(ctx.followUp.policyId), ctx.followUp.step);
    return {
      stepTitle: step?.title ?? ctx.followUp.step,
      customerName: ctx.customer.name,
      salutation: ctx.customer.salutation,
      phoneMasked: ctx.customer.phoneMasked,
      caseExternalId: ctx.case.externalId,
      instructions: step?.instructions ?? '',
      deadline: formatLocalDateTime(ctx.followUp.deadlineAt, tz),
      attempt: ctx.followUp.attempts + 1,
      maxAttempts: ctx.followUp.maxAttempts,
      canCall: ctx.customer.phoneE164 !== null && !doNotContact && reveals.revealsPerDay > 0,
      doNotContact,
      calledAt: called ? formatLocalDateTime(called, tz).slice(11) : null,
    };
  }

  const minReschedule = () => formatLocalDateTime(app.clock.now(), tz).replace(' ', 'T');

  const formOptions = (ctx: Context) => ({ organisation: org, action: `/f/${ctx.params.signed}`, callAction: `/f/${ctx.params.signed}/call`, revealsPerDay: reveals.revealsPerDay, minRescheduleAt: minReschedule() });

  router.get(STAFF_FORM_SCRIPT_PATH, (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('ETag', SCRIPT.etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (ctx.get('if-none-match') === SCRIPT.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = SCRIPT.body;
  });

  router.get('/f/:signed', async (ctx) => {
    const link = await verified(ctx);
    if (!link) return notFound(ctx);
    const fctx = await app.deps.followUps.findFollowUpContext(link.followUpId);
    if (closed(ctx, fctx?.followUp, link.activation) || !fctx) return;
    sendPage(ctx, 200, staffFormPage({ ...formOptions(ctx), case: caseOf(fctx, await calledAt(fctx)), definition: staffQuestionnaire(app.deps, fctx) }));
  });

  router.post('/f/:signed/call', async (ctx) => {
    const wantsJson = ctx.accepts(['html', 'json']) === 'json';
    const refuse = (status: number, title: string, text: string) => {
      if (!wantsJson) return message(ctx, status, title, text);
      ctx.status = status;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { message: text };
    };
    const link = await verified(ctx);
    if (!link) return refuse(404, '链接无效', '未找到这条回访任务，请从企业微信中的任务卡片重新打开。');
    await readRawBody(ctx, FORM_LIMIT_BYTES);
    const fctx = await app.deps.followUps.findFollowUpContext(link.followUpId);
    const reason = closedReason(fctx?.followUp, link.activation);
    if (reason || !fctx) return refuse(reason?.status === 200 ? 409 : (reason?.status ?? 404), reason?.title ?? '链接无效', reason?.text ?? '');
    let revealed: { phone: string; remainingToday: number };
    try {
      revealed = await startStaffCall(reveals, { followUpId: link.followUpId, activation: link.activation });
    } catch (err) {
      const refusal = err instanceof DomainError ? callRefusal(err.code, reveals.revealsPerDay) : null;
      if (!refusal) throw err;
      log.info({ followUpId: link.followUpId, code: (err as DomainError).code }, 'staff form call refused');
      return refuse(refusal.status, '无法拨打', refusal.text);
    }
    log.info({ followUpId: link.followUpId, activation: link.activation, remainingToday: revealed.remainingToday }, 'number revealed for a call from the staff form');
    if (!wantsJson) return sendPage(ctx, 200, staffCallPage(org, { e164: revealed.phone, remainingToday: revealed.remainingToday, formUrl: `/f/${ctx.params.signed}` }));
    const shown = revealed.phone.startsWith('+86') ? revealed.phone.slice(3) : revealed.phone;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { tel: `tel:${revealed.phone}`, message: `正在拨打 ${shown}（此次查看已记录，今日还可查看 ${revealed.remainingToday} 次）。通话结束后请在下方记录已接通或未接通。` };
  });

  router.post('/f/:signed', async (ctx) => {
    const link = await verified(ctx);
    if (!link) return notFound(ctx);
    const raw = parseForm(await readFormBody(ctx, FORM_LIMIT_BYTES));
    const fctx = await app.deps.followUps.findFollowUpContext(link.followUpId);
    if (closed(ctx, fctx?.followUp, link.activation) || !fctx) return;
    const definition = staffQuestionnaire(app.deps, fctx);
    const now = app.clock.now();
    const called = await calledAt(fctx);

    const one = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string).trim() : '');
    const outcomeErrors: OutcomeErrors = {};
    const action = one('action');
    if (!STAFF_OUTCOMES.some((o) => o.value === action)) outcomeErrors.action = '请选择回访结果。';
    let rescheduleTo: Date | null = null;
    if (action === 'reschedule') {
      const m = LOCAL_DATETIME.exec(one('rescheduleAt'));
      if (!m) outcomeErrors.rescheduleAt = '请填写改期的日期和时间。';
      else {
        rescheduleTo = fromLocal({ year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: 0 }, tz);
        const back = toLocal(rescheduleTo, tz);
        if (back.month !== +m[2]! || back.day !== +m[3]!) outcomeErrors.rescheduleAt = '日期无效，请重新选择。';
        else if (rescheduleTo.getTime() <= now.getTime()) outcomeErrors.rescheduleAt = '改期时间需晚于现在。';
        else if (rescheduleTo.getTime() - now.getTime() > MAX_RESCHEDULE_MS) outcomeErrors.rescheduleAt = '改期时间不能超过一年。';
      }
    }
    const note = one('note');
    if ([...note].length > 1000) outcomeErrors.note = '备注请不要超过 1000 字。';
    const answerErrors = definition ? readAnswers(definition, raw, { enforceRequired: false }).errors : {};
    if (Object.keys(outcomeErrors).length > 0 || Object.keys(answerErrors).length > 0) {
      sendPage(ctx, 422, staffFormPage({ ...formOptions(ctx), case: caseOf(fctx, called), definition, values: raw, errors: answerErrors, outcomeErrors }));
      return;
    }

    const received = await app.receive({
      source: 'web',
      dedupeKey: `staff_form:${link.id}`,
      kind: 'staff_form_submit',
      payload: {
        followUpId: link.followUpId,
        activation: link.activation,
        action,
        rescheduleTo: rescheduleTo?.toISOString() ?? null,
        note: note || null,
        answers: definition ? sanitiseDraft(definition, raw) : {},
        receivedAt: now.toISOString(),
        calledAt: called?.toISOString() ?? null,
      },
      receivedAt: now,
    });
    const result = received.processing ? await received.processing : null;
    if (received.duplicate || result?.result?.status === 'already_recorded') {
      const current = await app.deps.followUps.findFollowUpContext(link.followUpId);
      if (!closed(ctx, current?.followUp, link.activation)) message(ctx, 200, '已提交', '这份回访记录已提交过，无需再次提交。');
      return;
    }
    if (result?.status === 'PROCESSED') {
      const label = (called ? CALLED_OUTCOME_LABELS[action] : null) ?? STAFF_OUTCOMES.find((o) => o.value === action)?.label ?? '';
      // The unreachable attempt that reaches the step's maxAttempts closes the follow-up and escalates it.
      const lastAttempt = action === 'unreachable' && result.result?.escalated === true;
      const detail =
        action === 'reschedule' && rescheduleTo
          ? `已改期至 ${formatLocalDateTime(rescheduleTo, tz)}，届时会推送新的任务卡片。`
          : action === 'unreachable'
            ? lastAttempt
              ? `已记录未接通。已达最多 ${fctx.followUp.maxAttempts} 次，该回访记为多次未接通，并已通知负责人跟进。`
              : '已记录未接通，稍后会再次提醒您拨打。'
            : action === 'dissatisfied'
              ? '已记录客户不满意，并已通知负责人跟进。'
              : '已记录，谢谢。';
      return message(ctx, 200, `已提交：${label}`, detail);
    }
    const code = result?.status === 'REJECTED' ? String(result.result?.code) : null;
    if (code === 'STALE_CARD') return message(ctx, 409, '这张任务卡片已更新', '该回访已推送了新的任务卡片，请打开最新的卡片填写。');
    if (code === 'NOT_ASSIGNEE') return message(ctx, 409, '该回访已转交', '该回访现由其他同事负责，无需您再提交。');
    if (code === 'UNKNOWN_TASK') return notFound(ctx);
    log.error({ followUpId: link.followUpId, status: result?.status, code }, 'staff form submission not recorded; the inbox job will retry');
    message(ctx, 500, '暂时无法提交', '系统繁忙，您的记录已保存，稍后会自动处理。');
  });
}

function outcomeLabel(outcome: string | null, status: string): string {
  if (status === 'UNREACHABLE') return '多次未接通';
  switch (outcome) {
    case 'SATISFIED':
      return '满意';
    case 'DISSATISFIED':
      return '不满意';
    case 'NEUTRAL':
      return '一般';
    case 'NO_RESPONSE':
      return '未答复';
    default:
      return '已完成';
  }
}

