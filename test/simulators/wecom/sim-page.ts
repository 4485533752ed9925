// The standalone WeCom simulator's page: one column per member with the cards and texts they
// received; card buttons and the text box post to /ui/tap and /ui/text, which send real signed and
// encrypted callbacks to the service. 「用企业微信登录」 posts to /ui/sign-in in a new tab: the member
// becomes the person using WeCom, and the tab goes on to Huifang's sign-in page. Refreshes itself
// every two seconds.
import type { UiMessage, UiState } from './standalone.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function renderMessage(userid: string, m: UiMessage): string {
  const buttons = m.done
    ? `<div class="done">${escape(m.done)}</div>`
    : m.buttons
        .map(
          (b) =>
            `<button data-user="${escape(userid)}" data-task="${escape(m.taskId ?? '')}" data-key="${escape(b.key)}">${escape(b.text)}</button>`,
        )
        .join('');
  return (
    `<div class="msg ${m.msgtype === 'template_card' ? 'card' : 'text'}"><div class="title">${escape(m.title)}</div>` +
    m.lines.map((l) => `<div class="line">${escape(l)}</div>`).join('') +
    `<div class="buttons">${buttons}</div><div class="at">${escape(m.at.replace('T', ' ').slice(0, 19))} UTC</div></div>`
  );
}

/** The whole page for `state`; `signInUrl` is the Huifang page 「用企业微信登录」 opens. */
export function renderSimulatorPage(state: UiState, callbackUrl: string, signInUrl: string): string {
  const columns = state.members
    .map(
      (member) =>
        `<section><h2>${escape(member.userid)}${member.userid === state.wecomUser ? ' <span class="me">企业微信当前用户</span>' : ''}</h2>` +
        `<form class="sign-in" method="post" action="/ui/sign-in" target="_blank"><input type="hidden" name="userid" value="${escape(member.userid)}"><button>用企业微信登录</button></form>` +
        `<form class="text" data-user="${escape(member.userid)}"><input name="content" placeholder="发消息，如 我的任务" autocomplete="off"><button>发送</button></form>` +
        (member.messages.length ? member.messages.map((m) => renderMessage(member.userid, m)).join('') : '<p class="empty">还没有消息</p>') +
        `</section>`,
    )
    .join('');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>企业微信模拟器</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f2f3f5}header{padding:12px 16px;background:#2b7de9;color:#fff}
header small{display:block;opacity:.85}main{display:flex;gap:12px;padding:12px;overflow-x:auto;align-items:flex-start}
section{min-width:260px;max-width:320px;background:#fff;border-radius:8px;padding:8px}h2{font-size:15px;margin:4px 0 8px}
.msg{border:1px solid #e5e6eb;border-radius:6px;padding:8px;margin:8px 0}.card .title{font-weight:600}.line{font-size:13px;color:#4e5969}
.buttons button{margin:6px 6px 0 0}.done{margin-top:6px;color:#86909c}.at{font-size:11px;color:#c9cdd4;margin-top:4px}
form{display:flex;gap:4px}form input{flex:1}.empty{color:#86909c;font-size:13px}#status{font-size:13px}
form.sign-in{margin-bottom:6px}form.sign-in button{background:#2b7de9;color:#fff;border:0;border-radius:4px;padding:4px 10px}.me{font-size:12px;color:#2b7de9;font-weight:400}
</style></head><body>
<header><b>企业微信模拟器 WeCom simulator</b><small>点击按钮 = 成员在企业微信里点击任务卡片；回调发往 ${escape(callbackUrl)}</small><small>用企业微信登录 = 以该成员身份打开 ${escape(signInUrl)}（企业微信内的网页授权静默登录；扫码登录页上也可选择成员）</small><span id="status"></span></header>
<main id="members">${columns}</main>
<script>
const status = (t) => { document.getElementById('status').textContent = t; };
async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  status(r.ok ? ' — 已发送，回调 HTTP ' + j.status : ' — 失败：' + (j.error || r.status));
  setTimeout(refresh, 300);
}
document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-key]');
  if (b) post('/ui/tap', { userid: b.dataset.user, taskId: b.dataset.task, key: b.dataset.key });
});
document.addEventListener('submit', (e) => {
  const f = e.target;
  if (!f.matches('form.text')) { setTimeout(refresh, 500); return; }
  e.preventDefault();
  const content = f.content.value; f.content.value = '';
  post('/ui/text', { userid: f.dataset.user, content });
});
async function refresh() {
  if (document.activeElement && document.activeElement.tagName === 'INPUT') return;
  const r = await fetch('/'); const html = await r.text();
  const doc = new DOMParser().parseFromString(html, 'text/html');
  document.getElementById('members').replaceWith(doc.getElementById('members'));
}
setInterval(refresh, 2000);
</script></body></html>`;
}
