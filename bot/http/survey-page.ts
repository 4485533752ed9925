/**
 * The customer's survey page behind the survey link, and the question rendering it shares with the
 * staff 详情 form. Server-rendered and mobile-first: plain forms that submit without scripts (WeChat's
 * built-in browser, small phones), fieldsets with legends, labels around large tap targets, errors
 * next to their question. One small inline script autosaves the answers while they are typed; the
 * 保存 button does the same without it. Every value is HTML-escaped.
 */
import { createHash } from 'node:crypto';
import {
  choicesOf,
  fieldName,
  renderSurveyText,
  type AnswerErrors,
  type AnswerProblem,
  type SurveyDefinition,
  type SurveyQuestion,
} from '../core/surveys/definitions.js';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Form values to show (a draft, or what was just submitted): one string, or several for checkboxes. */
export type FormValues = Readonly<Record<string, string | readonly string[] | undefined>>;

export const PAGE_STYLE = `*{box-sizing:border-box}body{margin:0;font:17px/1.6 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f4f6f8;color:#1a1a1a;-webkit-text-size-adjust:100%}
main{max-width:36rem;margin:0 auto;padding:1rem}h1{font-size:1.3rem;margin:.2rem 0 .8rem;line-height:1.35}
.card{background:#fff;border-radius:12px;padding:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem}
fieldset{border:0;padding:0;margin:0 0 1.4rem;min-width:0}legend{font-weight:600;margin-bottom:.5rem;padding:0;display:block;width:100%}
.q{margin:0 0 1.4rem}.q>label.t{display:block;font-weight:600;margin-bottom:.5rem}.help{color:#555;font-size:.9rem;margin:-.3rem 0 .5rem}
.req{color:#b3261e;font-weight:400;font-size:.85rem;margin-left:.3rem}.opt{color:#666;font-weight:400;font-size:.85rem;margin-left:.3rem}
.choices{display:grid;gap:.45rem;grid-template-columns:1fr}.choices.row{grid-template-columns:repeat(auto-fit,minmax(4.2rem,1fr))}.choices.nps{grid-template-columns:repeat(6,1fr)}
.choices label{display:flex;align-items:center;gap:.55rem;min-height:48px;border:2px solid #c9d1d9;border-radius:10px;padding:.45rem .7rem;background:#fff;cursor:pointer}
.choices.row label,.choices.nps label{flex-direction:column;justify-content:center;gap:.1rem;text-align:center;padding:.4rem .2rem;font-size:.85rem}
.choices input{width:1.35rem;height:1.35rem;margin:0;flex:none}.choices label:has(input:checked){border-color:#0b57d0;background:#e8f0fe}
.choices label:has(input:focus-visible){outline:3px solid #0b57d0;outline-offset:2px}.choices strong{font-size:1.15rem}
.ends{display:flex;justify-content:space-between;color:#555;font-size:.8rem;margin-top:.25rem}
textarea,input[type=datetime-local]{width:100%;font:inherit;border:1px solid #8a949e;border-radius:8px;padding:.6rem;background:#fff}textarea{min-height:5.5rem}
button{width:100%;min-height:48px;margin-top:.6rem;padding:.8rem;font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:0;border-radius:10px}
button.secondary{background:#fff;color:#0b57d0;border:2px solid #0b57d0}
a.button{display:block;box-sizing:border-box;min-height:48px;padding:.8rem;text-align:center;font-weight:600;color:#fff;background:#0b57d0;border-radius:10px;text-decoration:none}
.call{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem .8rem;margin:0}.call button{width:auto;min-height:44px;margin:0;padding:.4rem 1.2rem}
.note{color:#555;font-size:.9rem}.error{color:#b3261e;font-weight:600;margin:.3rem 0 0}.invalid .choices label,.invalid textarea{border-color:#b3261e}
.summary{border:2px solid #b3261e;border-radius:10px;padding:.6rem .8rem;background:#fdecea}.summary a{color:#b3261e}
.saved{color:#1e6b34;font-size:.9rem;min-height:1.4em;margin:.4rem 0 0}.script{background:#fff8e1;border-left:4px solid #f5b400;padding:.6rem .8rem;border-radius:6px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:0}dt{color:#555}dd{margin:0}`;

/** A complete HTML document; `script` is inline and allowed by the page's content security policy. */
export function htmlDocument(title: string, body: string, script?: string): string {
  return (
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="robots" content="noindex"><meta name="format-detection" content="telephone=no"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>` +
    `<body><main>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`
  );
}

/** The content security policy of these pages: nothing external, only our inline style and script. */
export function contentSecurityPolicy(): string {
  return `default-src 'none'; style-src 'unsafe-inline'; script-src '${AUTOSAVE_HASH}'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

/**
 * Autosave: after a change (or a pause in typing) the form's fields are posted to `<action>/draft`.
 * Best effort — the 保存 button and the submission itself never depend on it.
 */
export const AUTOSAVE_SCRIPT =
  `(function(){var f=document.getElementById('survey');if(!f||!window.fetch||!window.FormData||!window.URLSearchParams)return;` +
  `var s=document.getElementById('saved'),t=null,busy=false,again=false;` +
  `function save(){if(busy){again=true;return}busy=true;var d=new URLSearchParams();new FormData(f).forEach(function(v,k){if(typeof v==='string'&&k.indexOf('q_')===0)d.append(k,v)});` +
  `fetch(f.getAttribute('action')+'/draft',{method:'POST',body:d,credentials:'same-origin',headers:{'content-type':'application/x-www-form-urlencoded'}})` +
  `.then(function(r){if(s)s.textContent=r.ok?'已自动保存，稍后回来可继续填写。':''})['catch'](function(){}).then(function(){busy=false;if(again){again=false;save()}})}` +
  `f.addEventListener('change',function(){clearTimeout(t);t=setTimeout(save,300)});` +
  `f.addEventListener('input',function(e){if(e.target&&e.target.tagName==='TEXTAREA'){clearTimeout(t);t=setTimeout(save,1200)}})})();`;

const AUTOSAVE_HASH = `sha256-${createHash('sha256').update(AUTOSAVE_SCRIPT).digest('base64')}`;

function valuesOf(values: FormValues, name: string): string[] {
  const v = values[name];
  return v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
}

function marker(question: SurveyQuestion, showRequired: boolean): string {
  if (!showRequired) return '';
  return question.required ? '<span class="req">（必答）</span>' : '<span class="opt">（选填）</span>';
}

/**
 * Renders a definition's questions as form controls. `showRequired: false` (the staff form) marks
 * nothing as required and adds no `required` attributes.
 */
export function renderQuestions(
  definition: SurveyDefinition,
  options: { values: FormValues; errors: AnswerErrors; org: string; showRequired: boolean },
): string {
  return definition.questions
    .map((q, index) => {
      const name = fieldName(q);
      const id = `f-${q.key}`;
      const error = options.errors[q.key];
      const errorId = `${id}-error`;
      const helpId = `${id}-help`;
      const text = `${index + 1}. ${escapeHtml(renderSurveyText(q.text, { org: options.org }))}`;
      const help = q.help ? `<p class="help" id="${helpId}">${escapeHtml(renderSurveyText(q.help, { org: options.org }))}</p>` : '';
      const errorHtml = error ? `<p class="error" id="${errorId}">${escapeHtml(answerProblemText(error))}</p>` : '';
      const described = [q.help ? helpId : '', error ? errorId : ''].filter(Boolean).join(' ');
      const describedBy = described ? ` aria-describedby="${described}"` : '';
      const required = options.showRequired && q.required;
      const current = valuesOf(options.values, name);
      if (q.type === 'text') {
        return (
          `<div class="q${error ? ' invalid' : ''}"><label class="t" for="${id}">${text}${marker(q, options.showRequired)}</label>${help}` +
          `<textarea id="${id}" name="${name}" maxlength="${q.maxLength}"${required ? ' required' : ''}${error ? ' aria-invalid="true"' : ''}${describedBy}>${escapeHtml(current[0] ?? '')}</textarea>${errorHtml}</div>`
        );
      }
      const multiple = q.type === 'multiple';
      const layout = q.type === 'nps' ? ' nps' : q.type === 'stars' || q.type === 'yes_no' ? ' row' : '';
      const choices = choicesOf(q)
        .map((c, i) => {
          const checked = current.includes(c.value) ? ' checked' : '';
          // Only the first radio carries `required` semantics for the browser's own check.
          const req = required && !multiple && i === 0 ? ' required' : '';
          const label = q.type === 'stars' ? `<strong>${escapeHtml(c.value)}</strong>${escapeHtml(c.label)}` : q.type === 'nps' ? `<strong>${escapeHtml(c.value)}</strong>` : q.type === 'score05' ? `<strong>${escapeHtml(c.value)}分</strong> ${escapeHtml(c.label)}` : escapeHtml(c.label);
          return `<label><input type="${multiple ? 'checkbox' : 'radio'}" name="${name}" value="${escapeHtml(c.value)}"${checked}${req}>${q.type === 'stars' || q.type === 'nps' ? label : `<span>${label}</span>`}</label>`;
        })
        .join('');
      const ends = q.type === 'nps' ? `<div class="ends" aria-hidden="true"><span>0 ${escapeHtml(q.lowLabel)}</span><span>10 ${escapeHtml(q.highLabel)}</span></div>` : '';
      return (
        `<fieldset class="q${error ? ' invalid' : ''}" id="${id}"${describedBy}${error ? ' aria-invalid="true"' : ''}><legend>${text}${marker(q, options.showRequired)}${multiple ? '<span class="opt">（可多选）</span>' : ''}</legend>${help}` +
        `<div class="choices${layout}">${choices}</div>${ends}${errorHtml}</fieldset>`
      );
    })
    .join('');
}

/** What the form says about a problem with an answer (survey page and staff form). */
export function answerProblemText(problem: AnswerProblem): string {
  switch (problem.code) {
    case 'REQUIRED':
      return problem.answer === 'text' ? '请填写此项。' : '请选择一项。';
    case 'TOO_LONG':
      return `请不要超过 ${problem.maxLength} 字。`;
    case 'NOT_A_CHOICE':
      return '请从所列选项中选择。';
    case 'TOO_FEW':
      return `请至少选择 ${problem.min} 项。`;
    case 'TOO_MANY':
      return `最多选择 ${problem.max} 项。`;
    case 'ONE_ONLY':
      return '只能选择一项。';
  }
}

/** The list of problems at the top of a form, each linking to its question. */
export function errorSummary(definition: SurveyDefinition | null, errors: AnswerErrors, extra: { href: string; text: string }[] = []): string {
  const questions = definition?.questions ?? [];
  const items = [
    ...questions.flatMap((q, i) => {
      const problem = errors[q.key];
      return problem ? [{ href: `#f-${q.key}`, text: `第 ${i + 1} 题：${answerProblemText(problem)}` }] : [];
    }),
    ...extra,
  ];
  if (items.length === 0) return '';
  return `<div class="summary" role="alert" tabindex="-1"><p class="error">请检查以下 ${items.length} 处后再提交：</p><ul>${items.map((e) => `<li><a href="${escapeHtml(e.href)}">${escapeHtml(e.text)}</a></li>`).join('')}</ul></div>`;
}

export interface SurveyFormOptions {
  organisation: string;
  salutation: string;
  definition: SurveyDefinition;
  /** The form's action: `/s/<signed token>`. */
  action: string;
  values?: FormValues;
  errors?: AnswerErrors;
  /** A line above the form, e.g. after saving a draft. */
  notice?: string;
}

/** The survey form for the customer. */
export function surveyFormPage(options: SurveyFormOptions): string {
  const { definition } = options;
  const org = options.organisation;
  const errors = options.errors ?? {};
  const intro = definition.intro ? `<p>${escapeHtml(renderSurveyText(definition.intro, { org }))}</p>` : '';
  const closing = definition.closing ? `<p class="note">${escapeHtml(renderSurveyText(definition.closing, { org }))}</p>` : '';
  const required = definition.questions.some((q) => q.required) ? '<p class="note">标有“必答”的题目需要作答，其余可不填。</p>' : '';
  return htmlDocument(
    `${definition.title} · ${org}`,
    `<h1>${escapeHtml(definition.title)}</h1>` +
      `<div class="card"><p>${escapeHtml(options.salutation)}您好，${escapeHtml(org)}邀请您参加本次调查。</p>${intro}${required}</div>` +
      errorSummary(definition, errors) +
      (options.notice ? `<p class="saved" role="status">${escapeHtml(options.notice)}</p>` : '') +
      `<form class="card" id="survey" method="post" action="${escapeHtml(options.action)}" novalidate>` +
      renderQuestions(definition, { values: options.values ?? {}, errors, org, showRequired: true }) +
      `<p class="saved" id="saved" aria-live="polite"></p>` +
      `<button type="submit" name="intent" value="submit">提交</button>` +
      `<button type="submit" name="intent" value="save" class="secondary">暂存，稍后继续</button>` +
      `</form>${closing}<p class="note">每份问卷只能提交一次。您的回答仅用于改进服务。</p>`,
    AUTOSAVE_SCRIPT,
  );
}

/** A short page with a title and a message (thanks, expiry, invalid link). */
export function surveyMessagePage(organisation: string, title: string, message: string): string {
  return htmlDocument(title, `<h1>${escapeHtml(title)}</h1><div class="card"><p>${escapeHtml(message)}</p><p class="note">${escapeHtml(organisation)}</p></div>`);
}
