// The pages the WeCom simulator shows during sign-in (docs/protocols/wecom.md §11): WeCom's refusals
// (untrusted redirect domain, wrong parameters, no permission), the "open this in WeCom" notice, and the
// Web login page, where choosing a member stands for that member scanning the QR code and confirming.

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f2f3f5;margin:0;display:flex;justify-content:center}' +
  'main{background:#fff;border-radius:8px;padding:24px 28px;margin:48px 16px;max-width:420px;width:100%}' +
  'h1{font-size:18px;margin:0 0 12px}p{color:#4e5969;font-size:14px}small{color:#86909c}' +
  'ul{list-style:none;padding:0}li{margin:6px 0}a.member{display:block;padding:8px 12px;border:1px solid #e5e6eb;border-radius:6px;color:#1d2129;text-decoration:none}' +
  'a.member:hover,a.member.current{border-color:#2b7de9;background:#f0f6ff}a.cancel{color:#86909c;font-size:13px}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** A page WeCom shows instead of sending the browser back: `title` is WeCom's wording, `detail` the reason. */
export function renderSignInNotice(title: string, detail: string): string {
  return page(title, `<h1>${escape(title)}</h1><p>${escape(detail)}</p><small>企业微信模拟器 WeCom simulator</small>`);
}

/**
 * The Web login page (docs/protocols/wecom.md §11.2). WeCom shows a QR code; here each member of the
 * application's visible range is a link that stands for "this member scanned and confirmed"
 * (`confirmUrl(userid)`), and `cancelUrl` for the member refusing. `current` (the member chosen on the
 * standalone simulator's page) is listed first, as WeCom's desktop quick login would offer it.
 */
export function renderWebLoginPage(options: { members: readonly string[]; current: string | null; confirmUrl: (userid: string) => string; cancelUrl: string }): string {
  const ordered = options.current && options.members.includes(options.current) ? [options.current, ...options.members.filter((m) => m !== options.current)] : [...options.members];
  const items = ordered
    .map((userid) => `<li><a class="member${userid === options.current ? ' current' : ''}" href="${escape(options.confirmUrl(userid))}">${escape(userid)}</a></li>`)
    .join('');
  return page(
    '企业微信登录',
    `<h1>企业微信登录</h1><p>选择一位成员 = 该成员用企业微信扫码并确认登录。</p>` +
      (items ? `<ul>${items}</ul>` : '<p>应用可见范围内没有成员。</p>') +
      `<p><a class="cancel" href="${escape(options.cancelUrl)}">取消登录</a></p><small>企业微信模拟器 WeCom simulator</small>`,
  );
}
