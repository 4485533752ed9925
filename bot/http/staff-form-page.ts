/**
 * The staff 详情 form behind a task card's 详情 button: the case (customer name and masked phone only),
 * what to ask, the step's questionnaire or phone script, and the outcome with a note. Server-rendered and
 * sized for WeCom's built-in browser on a phone. Its only script (`/f/assets/staff-form.js`, served by
 * the route, allowed by the page's content security policy as `'self'`) makes 拨打 fetch the audited
 * number and open the dialler; without it 拨打 is a plain form post answered by a page with the
 * `tel:` link. The full number is never in this page.
 */
import { renderSurveyText, type AnswerErrors, type SurveyDefinition } from '../core/surveys/definitions.js';
import { errorSummary, escapeHtml, htmlDocument, renderQuestions, type FormValues } from './survey-page.js';

/** What the page shows about the follow-up. No full phone number, no health details beyond the step. */
export interface StaffFormCase {
  stepTitle: string;
  customerName: string;
  salutation: string | null;
  phoneMasked: string | null;
  caseExternalId: string;
  instructions: string;
  /** Deadline, local `YYYY-MM-DD HH:mm`. */
  deadline: string;
  attempt: number;
  maxAttempts: number;
  /** Whether 拨打 is offered: the customer has a phone, may be contacted, and number reveals are enabled. */
  canCall: boolean;
  /** The customer opted out (or died): never to be called; the form says so. */
  doNotContact: boolean;
  /** When 拨打 was last used on this card's form (local `HH:mm`), or null: the outcome then records that call. */
  calledAt: string | null;
}

export const STAFF_OUTCOMES: readonly { value: string; label: string }[] = [
  { value: 'satisfied', label: '已回访·满意' },
  { value: 'dissatisfied', label: '已回访·不满意' },
  { value: 'unreachable', label: '未接通' },
  { value: 'reschedule', label: '改期' },
];

/** The outcome labels once 拨打 was used on the form: the submission records that call. */
export const CALLED_OUTCOME_LABELS: Readonly<Record<string, string>> = {
  satisfied: '已接通·满意',
  dissatisfied: '已接通·不满意',
  unreachable: '未接通',
  reschedule: '已接通·改期',
};

/** Where the form's script is served (`script-src 'self'`). */
export const STAFF_FORM_SCRIPT_PATH = '/f/assets/staff-form.js';

/** The staff form's content security policy: the survey pages' one, with our served script instead of an inline one. */
export function staffFormContentSecurityPolicy(): string {
  return `default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

/** Problems with the outcome part of the form (not the questionnaire), by field. */
export interface OutcomeErrors {
  action?: string;
  rescheduleAt?: string;
  note?: string;
}

export interface StaffFormOptions {
  organisation: string;
  case: StaffFormCase;
  definition: SurveyDefinition | null;
  action: string;
  values?: FormValues;
  errors?: AnswerErrors;
  outcomeErrors?: OutcomeErrors;
  /** `YYYY-MM-DDTHH:mm` local: the earliest a 改期 may be set to (today, now). */
  minRescheduleAt: string;
  /** Where 拨打 posts (`<action>/call`). */
  callAction: string;
  /** Full numbers a staff member may reveal a day (shown next to 拨打). */
  revealsPerDay: number;
}

export function staffFormPage(options: StaffFormOptions): string {
  const c = options.case;
  const org = options.organisation;
  const values = options.values ?? {};
  const errors = options.errors ?? {};
  const oe = options.outcomeErrors ?? {};
  const def = options.definition;
  const one = (name: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : (v?.[0] ?? '');
  };
  const chosen = one('action');
  const extra = [
    ...(oe.action ? [{ href: '#f-action', text: `回访结果：${oe.action}` }] : []),
    ...(oe.rescheduleAt ? [{ href: '#f-rescheduleAt', text: `改期时间：${oe.rescheduleAt}` }] : []),
    ...(oe.note ? [{ href: '#f-note', text: `备注：${oe.note}` }] : []),
  ];
  const summary = errorSummary(def, errors, extra);
  // After 拨打 (now, by the script, or on an earlier visit) the outcome says whether the call got through.
  const outcomes = STAFF_OUTCOMES.map((o, i) => {
    const called = CALLED_OUTCOME_LABELS[o.value] ?? o.label;
    const label = c.calledAt ? called : o.label;
    return `<label><input type="radio" name="action" value="${o.value}"${chosen === o.value ? ' checked' : ''}${i === 0 ? ' required' : ''}><span${c.canCall ? ` data-called="${escapeHtml(called)}"` : ''}>${escapeHtml(label)}</span></label>`;
  }).join('');
  const phone = c.canCall
    ? `<form method="post" action="${escapeHtml(options.callAction)}" id="call" class="call"><span>${escapeHtml(c.phoneMasked ?? '')}</span> <button type="submit" class="secondary">拨打</button></form>` +
      `<p class="note" id="call-status" role="status" aria-live="polite">${c.calledAt ? `已于 ${escapeHtml(c.calledAt)} 拨打，请在下方记录通话结果（已接通或未接通）。` : ''}</p>`
    : escapeHtml(c.phoneMasked ?? '无电话');
  const phoneNote = c.canCall
    ? `<p class="note">点“拨打”才显示完整号码并拨出；每次都会记录（谁、何时、拨打谁），每人每天最多 ${options.revealsPerDay} 次（与管理台“查看号码”合计）。</p>`
    : c.doNotContact
      ? `<p class="error">客户已登记拒收（或不再联系），请勿拨打。</p>`
      : `<p class="note">完整号码请在任务卡片或业务系统中查看，此页不显示。</p>`;
  const questionnaire = def
    ? `<section class="card" aria-labelledby="qs-title"><h2 id="qs-title">${escapeHtml(def.title)}</h2>` +
      `<p class="note">按客户的回答填写；客户不愿回答的题目可留空。仅在“已回访”（已接通）时保存答案。</p>` +
      (def.intro ? `<p class="script"><strong>开场：</strong>${escapeHtml(renderSurveyText(def.intro, { org }))}</p>` : '') +
      renderQuestions(def, { values, errors, org, showRequired: false }) +
      (def.closing ? `<p class="script"><strong>结束语：</strong>${escapeHtml(renderSurveyText(def.closing, { org }))}</p>` : '') +
      `</section>`
    : '';
  return htmlDocument(
    `${c.stepTitle} · 回访详情`,
    `<h1>${escapeHtml(c.stepTitle)}</h1>` +
      `<div class="card"><dl>` +
      `<dt>客户</dt><dd>${escapeHtml(c.customerName)}${c.salutation && c.salutation !== c.customerName ? `（${escapeHtml(c.salutation)}）` : ''}</dd>` +
      `<dt>电话</dt><dd>${phone}</dd>` +
      `<dt>案例</dt><dd>${escapeHtml(c.caseExternalId)}</dd>` +
      `<dt>截止</dt><dd>${escapeHtml(c.deadline)}</dd>` +
      `<dt>第几次</dt><dd>第${c.attempt}次（最多${c.maxAttempts}次）</dd>` +
      `</dl>${phoneNote}` +
      `<h2>回访要点</h2><p>${escapeHtml(c.instructions)}</p></div>` +
      summary +
      `<form method="post" action="${escapeHtml(options.action)}" novalidate>` +
      questionnaire +
      `<section class="card">` +
      `<fieldset class="q${oe.action ? ' invalid' : ''}" id="f-action"${oe.action ? ' aria-describedby="f-action-error" aria-invalid="true"' : ''}><legend>回访结果<span class="req">（必选）</span></legend>` +
      `<div class="choices">${outcomes}</div>` +
      `<p class="note">“未接通”计为一次无法联系（本次为第${c.attempt}次，最多${c.maxAttempts}次；达到后记为多次未接通并通知负责人）。</p>` +
      `${oe.action ? `<p class="error" id="f-action-error">${escapeHtml(oe.action)}</p>` : ''}</fieldset>` +
      `<div class="q${oe.rescheduleAt ? ' invalid' : ''}"><label class="t" for="f-rescheduleAt">改期时间<span class="opt">（选“改期”时填写，客户方便的时间）</span></label>` +
      `<input type="datetime-local" id="f-rescheduleAt" name="rescheduleAt" min="${escapeHtml(options.minRescheduleAt)}" value="${escapeHtml(one('rescheduleAt'))}"${oe.rescheduleAt ? ' aria-invalid="true" aria-describedby="f-rescheduleAt-error"' : ''}>` +
      `${oe.rescheduleAt ? `<p class="error" id="f-rescheduleAt-error">${escapeHtml(oe.rescheduleAt)}</p>` : ''}</div>` +
      `<div class="q${oe.note ? ' invalid' : ''}"><label class="t" for="f-note">备注<span class="opt">（选填，如客户反映的问题、未接通原因）</span></label>` +
      `<textarea id="f-note" name="note" maxlength="1000"${oe.note ? ' aria-invalid="true" aria-describedby="f-note-error"' : ''}>${escapeHtml(one('note'))}</textarea>` +
      `${oe.note ? `<p class="error" id="f-note-error">${escapeHtml(oe.note)}</p>` : ''}</div>` +
      `<button type="submit">提交回访记录</button></section></form>` +
      (c.canCall ? `<script src="${STAFF_FORM_SCRIPT_PATH}" defer></script>` : ''),
  );
}

/**
 * The answer to 拨打 without the script: the full number once, with its `tel:` link, and the way back
 * to the form to record the call.
 */
export function staffCallPage(organisation: string, input: { e164: string; remainingToday: number; formUrl: string }): string {
  const shown = input.e164.startsWith('+86') ? input.e164.slice(3) : input.e164;
  return htmlDocument(
    `拨打客户电话 · ${organisation}`,
    `<h1>拨打客户电话</h1><div class="card"><p class="note">此次查看已记录。今日还可查看 ${input.remainingToday} 次。</p>` +
      `<p><a class="button" href="tel:${escapeHtml(input.e164)}">拨打 ${escapeHtml(shown)}</a></p>` +
      `<p>通话结束后请<a href="${escapeHtml(input.formUrl)}">返回回访详情</a>，记录已接通或未接通。</p></div>`,
  );
}
