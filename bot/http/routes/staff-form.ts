import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Huifang } from '../../huifang.js';
import type { FollowUpContext } from '../../core/records.js';
import { readRawBody } from '../read-body.js';
import { surveyMessagePage } from '../survey-page.js';
import { staffFormPage, STAFF_OUTCOMES, type OutcomeErrors, type StaffFormCase } from '../staff-form-page.js';
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

/**
 * The staff 详情 form of a task card (`detailUrl`): `GET /f/<followUpId>_<n>.<sig>` shows the case, what
 * to ask and the step's questionnaire; `POST` records the outcome through the inbox (kind
 * `staff_form_submit`, dedupe `staff_form:<followUpId>_<n>`) with the same use case as a card tap, so a
 * tap and a form, or two forms, record once. A form of a superseded card or of a follow-up already
 * recorded says so politely. The signature is checked before the database is asked anything.
 */
export function staffFormRoutes(router: Router, app: Huifang): void {
  const org = app.config.organisationName;
  const tz = app.config.timezone;
  const log = app.logger.child({ route: 'staff-form' });
  const message = (ctx: Context, status: number, title: string, text: string) => send(ctx, status, surveyMessagePage(org, title, text));
  const notFound = (ctx: Context) => message(ctx, 404, '链接无效', '未找到这条回访任务，请从企业微信中的任务卡片重新打开。');

  /** The follow-up and activation of a correctly signed link, or null (logged; the database is not asked). */
  async function verified(ctx: Context): Promise<{ id: string; followUpId: string; activation: number } | null> {
    const signed = ctx.params.signed ?? '';
    const id = SIGNED.test(signed) ? await app.deps.links.verify('staff_form', signed) : null;
    if (!id) {
      log.warn({ ip: ctx.ip, length: signed.length }, 'staff form link rejected: signature does not match');
      return null;
    }
    try {
      return { id, ...parseStaffFormId(id) };
    } catch {
      return null;
    }
  }

  /** Sends the page for a form that can no longer be filled in, or returns false when it can. */
  function closed(ctx: Context, fu: FollowUpContext['followUp'] | undefined, activation: number): boolean {
    if (!fu) notFound(ctx);
    else if (activation < fu.activations) message(ctx, 409, '这张任务卡片已更新', '该回访已推送了新的任务卡片（例如改期或重拨后），请打开最新的卡片填写。');
    else if (fu.status === 'DONE' || fu.status === 'UNREACHABLE') message(ctx, 200, '该回访已记录', `该回访已完成记录（${outcomeLabel(fu.outcome, fu.status)}），无需再次提交，谢谢。`);
    else if (fu.status === 'CANCELLED' || fu.status === 'SKIPPED') message(ctx, 200, '该回访已取消', '该回访已取消（例如案例已关闭），无需再联系客户。');
    else if (fu.status === 'SCHEDULED') message(ctx, 200, '该回访已改期', '该回访已安排在稍后进行，届时会推送新的任务卡片。');
    else if (activation !== fu.activations) notFound(ctx);
    else return false;
    return true;
  }

  function caseOf(ctx: FollowUpContext): StaffFormCase {
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
    };
  }

  const minReschedule = () => formatLocalDateTime(app.clock.now(), tz).replace(' ', 'T');

  router.get('/f/:signed', async (ctx) => {
    const link = await verified(ctx);
    if (!link) return notFound(ctx);
    const fctx = await app.deps.followUps.findFollowUpContext(link.followUpId);
    if (closed(ctx, fctx?.followUp, link.activation) || !fctx) return;
    send(ctx, 200, staffFormPage({ organisation: org, case: caseOf(fctx), definition: staffQuestionnaire(app.deps, fctx), action: `/f/${ctx.params.signed}`, minRescheduleAt: minReschedule() }));
  });

  router.post('/f/:signed', async (ctx) => {
    const link = await verified(ctx);
    if (!link) return notFound(ctx);
    const raw = parseForm(await readRawBody(ctx, FORM_LIMIT_BYTES));
    const fctx = await app.deps.followUps.findFollowUpContext(link.followUpId);
    if (closed(ctx, fctx?.followUp, link.activation) || !fctx) return;
    const definition = staffQuestionnaire(app.deps, fctx);
    const now = app.clock.now();

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
      send(
        ctx,
        422,
        staffFormPage({ organisation: org, case: caseOf(fctx), definition, action: `/f/${ctx.params.signed}`, values: raw, errors: answerErrors, outcomeErrors, minRescheduleAt: minReschedule() }),
      );
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
      const label = STAFF_OUTCOMES.find((o) => o.value === action)?.label ?? '';
      const detail =
        action === 'reschedule' && rescheduleTo
          ? `已改期至 ${formatLocalDateTime(rescheduleTo, tz)}，届时会推送新的任务卡片。`
          : action === 'unreachable'
            ? '已记录未接通，稍后会再次提醒您拨打。'
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

