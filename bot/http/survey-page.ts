/**
 * The customer's survey page behind the SMS link: server-rendered, no scripts needed, readable in
 * WeChat's built-in browser and on small phones. Every value is HTML-escaped.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{margin:0;font:17px/1.6 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;background:#f4f6f8;color:#1a1a1a}
main{max-width:34rem;margin:0 auto;padding:1.25rem}h1{font-size:1.3rem;margin:.2rem 0 1rem}
.card{background:#fff;border-radius:12px;padding:1.1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:600;margin-bottom:.6rem}
.scale{display:grid;grid-template-columns:repeat(5,1fr);gap:.4rem}
.scale label{display:flex;flex-direction:column;align-items:center;border:2px solid #c9d1d9;border-radius:10px;padding:.5rem .2rem;font-size:.85rem;text-align:center}
.scale input{width:1.3rem;height:1.3rem;margin-bottom:.2rem}.scale label:has(input:checked){border-color:#0b57d0;background:#e8f0fe}
.scale strong{font-size:1.2rem}textarea{width:100%;box-sizing:border-box;min-height:5rem;font:inherit;border:1px solid #c9d1d9;border-radius:8px;padding:.5rem}
button{width:100%;margin-top:1rem;padding:.8rem;font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:0;border-radius:10px}
.note{color:#555;font-size:.9rem}.error{color:#b3261e;font-weight:600}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

const LABELS = ['很不满意', '不满意', '一般', '满意', '非常满意'];

export function surveyFormPage(options: { organisation: string; salutation: string; action: string; error?: string }): string {
  const choices = LABELS.map(
    (label, i) => `<label><input type="radio" name="score" value="${i + 1}" required><strong>${i + 1}</strong>${label}</label>`,
  ).join('');
  return page(
    `${options.organisation} 服务评价`,
    `<h1>${escapeHtml(options.organisation)} 服务评价</h1><div class="card"><p>${escapeHtml(options.salutation)}您好，感谢您抽空为本次服务评分。</p>` +
      (options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : '') +
      `<form method="post" action="${escapeHtml(options.action)}"><fieldset><legend>您对本次服务的总体评价（5 = 非常满意）</legend><div class="scale">${choices}</div></fieldset>` +
      `<label for="comment">意见或建议（选填）</label><textarea id="comment" name="comment" maxlength="500"></textarea>` +
      `<button type="submit">提交评价</button></form><p class="note">每份问卷只能提交一次。</p></div>`,
  );
}

export function surveyMessagePage(organisation: string, title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><div class="card"><p>${escapeHtml(message)}</p><p class="note">${escapeHtml(organisation)}</p></div>`);
}
