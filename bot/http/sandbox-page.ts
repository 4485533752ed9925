/**
 * The /sandbox page (Chinese UI, phone-sized): every staff member's WeCom inbox and every customer's
 * phone, as the sandbox channels delivered them, rendered client-side from `GET /sandbox/api/state`.
 * Staff taps and customer replies go to `/sandbox/api/tap` and `/sandbox/api/reply`, which use the real
 * inbound path. One self-contained document: inline CSS and JS, no external assets. Data only ever
 * reaches the DOM through `textContent` and attributes, never as markup.
 */
import { createHash } from 'node:crypto';

export function sandboxPageHtml(): string {
  return PAGE;
}

/** The sandbox page's policy: its one inline script by hash, its calls to its own API. */
export function sandboxContentSecurityPolicy(): string {
  const script = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;
  return `default-src 'none'; style-src 'unsafe-inline'; script-src ${script}; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

const STYLE = `
:root{--bg:#f3f4f6;--fg:#111827;--muted:#4b5563;--line:#d1d5db;--card:#fff;--primary:#0b57d0;--primary-dark:#0842a0;--danger:#b3261e;--ok:#146c2e;--ok-bg:#e6f4ea;--err-bg:#fce8e6;--warn-bg:#fef7e0;--focus:#f59e0b}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
.skip{position:absolute;left:-9999px;top:0}
.skip:focus{left:8px;top:8px;z-index:10;background:#fff;padding:8px 12px;border:2px solid var(--primary)}
header.top{background:#1f2937;color:#fff;padding:12px 16px}
header.top h1{margin:0;font-size:1.25rem}
header.top p{margin:2px 0 0;color:#e5e7eb;font-size:.875rem}
main{max-width:1100px;margin:0 auto;padding:12px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:12px;margin-bottom:12px}
.panel h2{margin:0 0 8px;font-size:1.05rem}
.setup{border:2px solid var(--primary);background:#eef3fd}
.setup p{margin:0 0 10px}
.actions{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin-bottom:8px}
.actions.cases>:last-child:nth-child(odd){grid-column:1/-1}
.actions.two{grid-template-columns:2fr 1fr}
@media (min-width:600px){.actions.cases{grid-template-columns:repeat(3,1fr)}.actions.cases>:last-child:nth-child(odd){grid-column:auto}}
.btn{appearance:none;font:inherit;font-weight:600;line-height:1.3;min-height:44px;padding:8px 10px;border-radius:8px;border:1px solid #6b7280;background:#fff;color:var(--fg);cursor:pointer}
.btn:hover{background:#f3f4f6}
.btn.primary{background:var(--primary);border-color:var(--primary);color:#fff}
.btn.primary:hover{background:var(--primary-dark)}
.btn.big{width:100%;font-size:1.1rem;min-height:52px}
.btn[disabled],.btn[aria-busy=true]{opacity:.6;cursor:progress}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.status{margin:4px 0 0;min-height:1.5em;font-size:.95rem}
.status:empty{min-height:0;margin:0}
.status.ok{color:var(--ok)}
.status.err{color:var(--danger)}
.filter{display:flex;align-items:center;gap:8px;margin:4px 0 0;font-size:.95rem}
.filter input{width:20px;height:20px}
.jump{display:flex;gap:8px;flex-wrap:wrap;margin:0 0 12px}
.jump a{color:var(--primary);font-weight:600;padding:6px 10px;background:#fff;border:1px solid var(--line);border-radius:999px;text-decoration:none}
.cols{display:grid;gap:12px}
@media (min-width:900px){.cols{grid-template-columns:1fr 1fr;align-items:start}}
.col>h2{font-size:1.1rem;margin:4px 0 8px}
.hint{color:var(--muted);font-size:.95rem;margin:0 0 8px}
.who{background:var(--card);border:1px solid var(--line);border-radius:12px;margin-bottom:12px;overflow:hidden}
.who>header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 8px;padding:10px 12px;border-bottom:1px solid var(--line);background:#f9fafb}
.who h3{margin:0;font-size:1.05rem}
.who .meta{color:var(--muted);font-size:.875rem}
.who .count{margin-left:auto}
.who .badge{font-size:.75rem;font-weight:600;padding:1px 8px;border-radius:999px;background:var(--err-bg);color:var(--danger)}
.msgs{list-style:none;margin:0;padding:8px 12px;display:flex;flex-direction:column;gap:10px}
.empty{color:var(--muted);font-size:.9rem;margin:0;padding:10px 12px}
.msg time{display:block;color:var(--muted);font-size:.8rem}
.tcard{border:1px solid var(--line);border-radius:10px;padding:10px;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.tcard .src{color:var(--muted);font-size:.8rem;display:flex;justify-content:space-between;gap:8px}
.tcard h4{margin:4px 0 2px;font-size:1rem}
.tcard .desc{margin:0;color:var(--danger);font-size:.9rem;font-weight:600}
.tcard .sub{margin:4px 0;font-size:.9rem;color:#374151}
.tcard dl{margin:6px 0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:.9rem}
.tcard dt{color:var(--muted)}
.tcard dd{margin:0;word-break:break-all}
.cbtns{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin-top:8px}
.cbtn{appearance:none;font:inherit;font-size:.95rem;font-weight:600;min-height:44px;padding:6px 8px;border-radius:8px;cursor:pointer;border:1px solid #6b7280;background:#fff;color:var(--fg)}
.cbtn.s1{background:var(--primary);border-color:var(--primary);color:#fff}
.cbtn.s3{background:#fff;border-color:var(--danger);color:var(--danger)}
.cbtn.s4{background:#f3f4f6;border-color:#9ca3af}
.cbtn[disabled]{cursor:not-allowed;background:#e5e7eb;border-color:#d1d5db;color:#374151}
.cbtn.done{grid-column:1/-1}
.outcome{margin:8px 0 0;padding:6px 10px;border-radius:8px;font-size:.95rem;font-weight:600}
.outcome:empty{display:none}
.outcome.ok{background:var(--ok-bg);color:var(--ok)}
.outcome.err{background:var(--err-bg);color:var(--danger)}
.stext{border-left:4px solid var(--primary);background:#eef3fd;border-radius:6px;padding:8px 10px}
.stext.esc{border-left-color:var(--danger);background:var(--warn-bg)}
.stext p,.bubble p{margin:0;white-space:pre-wrap;word-break:break-word}
.doc h4{margin:0 0 4px;font-size:1rem}
.doc h5{margin:8px 0 2px;font-size:.95rem}
.doc blockquote{margin:0 0 4px;padding-left:8px;border-left:3px solid #d1d5db;color:var(--muted)}
.doc .info{color:#15803d}
.doc .comment{color:var(--muted)}
.doc .warning{color:#c2410c}
.note{color:var(--muted);font-size:.85rem}
.bubble{align-self:flex-start;max-width:92%;background:#e5e7eb;border-radius:14px 14px 14px 4px;padding:8px 12px}
.reply{padding:10px 12px;border-top:1px solid var(--line);background:#f9fafb}
.reply label{display:block;font-size:.9rem;font-weight:600;margin-bottom:4px}
.reply .row{display:flex;gap:8px}
.reply input{flex:1;min-width:0;font:inherit;min-height:44px;padding:8px 10px;border:1px solid #6b7280;border-radius:8px;background:#fff;color:var(--fg)}
.reply .tip{margin:4px 0 0;color:var(--muted);font-size:.8rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

// Plain JS (no template literals, no `${`): it sits inside this TypeScript template string.
const SCRIPT = `
(function () {
  'use strict';
  var CODE_TEXT = {
    NOT_ASSIGNEE: '该回访已改派他人',
    STALE_CARD: '这张卡片属于之前的一次回访，已失效',
    UNKNOWN_TASK: '找不到这张卡片对应的回访',
    UNKNOWN_STAFF: '未知的员工',
    INVALID_ACTION_KEY: '无法识别的按钮',
    FOLLOW_UP_NOT_OPEN: '该回访已结束',
    UNKNOWN_NUMBER: '该号码不是已登记的客户',
    NO_OPEN_SURVEY: '没有待回答的问卷',
    MALFORMED_EVENT: '消息格式有误',
    UNKNOWN_EVENT_KIND: '无法处理的消息类型',
    VALIDATION_FAILED: '输入不完整或格式有误',
    MALFORMED_JSON: '请求格式有误',
    BODY_TOO_LARGE: '内容太长',
    NOT_FOUND: '找不到该对象',
    SANDBOX_CHANNEL_LIVE: '该通道已接入真实服务，沙盒不能代为操作',
    EXAMPLE_ORG_MISSING: '示例机构尚未载入，请先点击「载入示例机构」',
    UNKNOWN_CASE_TYPE: '没有适用于该类型的回访制度',
    UNKNOWN_DEPARTMENT: '未知的科室或部门',
    INVALID_PHONE: '手机号码无效',
    INTERNAL: '服务器内部错误'
  };
  var SATISFACTION_TEXT = { SATISFIED: '满意', NEUTRAL: '一般', DISSATISFIED: '不满意' };
  var KIND_TEXT = { discharge: '出院病例', discharge_serious: '重症出院病例', complaint: '物业投诉' };
  var ROLE_TEXT = { manager: '经理/院长', department_head: '科室/部门负责人', doctor: '医生', head_nurse: '护士长', supervisor: '主管', nurse: '护士', property_assistant: '物业助理', repair: '维修' };

  var state = null;
  var timeFormat = null;
  var loading = null;
  var reloadQueued = false;
  var staffViews = new Map();
  var customerViews = new Map();
  var tapOutcomes = new Map();   // taskId -> {ok, text}
  var locallyHandled = new Map(); // taskId -> label recorded by a tap in this page
  var pendingTaps = new Set();    // taskId while a tap is in flight
  var replyOutcomes = new Map();  // customerId -> {ok, text}

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function $(id) { return document.getElementById(id); }

  function codeText(code, fallback) {
    if (code && CODE_TEXT[code]) return CODE_TEXT[code];
    return (fallback || '操作被拒绝') + (code ? '（' + code + '）' : '');
  }

  function api(path, body) {
    var init = { method: body === undefined ? 'GET' : 'POST', cache: 'no-store', headers: {} };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) {
          var err = new Error('HTTP ' + res.status);
          err.code = data && data.error ? data.error.code : 'HTTP_' + res.status;
          throw err;
        }
        return data;
      });
    });
  }

  function setStatus(text, ok) {
    var s = $('status');
    s.textContent = text;
    s.className = 'status ' + (ok ? 'ok' : 'err');
  }

  function failureText(err) {
    if (err && err.code) return codeText(err.code, '请求失败');
    return '网络错误，请检查服务是否在运行';
  }

  function busy(button, on) {
    if (on) button.setAttribute('aria-busy', 'true'); else button.removeAttribute('aria-busy');
    button.disabled = on;
  }

  function formatTime(iso) {
    try { return timeFormat ? timeFormat.format(new Date(iso)) : iso; } catch (e) { return iso; }
  }

  function timeEl(iso) {
    var t = el('time', null, formatTime(iso));
    t.setAttribute('datetime', iso);
    return t;
  }

  /* ---------------------------------------------------------------- outcomes */

  function describeTap(res) {
    if (res.duplicate) return { ok: true, text: '重复提交，已忽略（同一次点击只记录一次）' };
    var o = res.result;
    if (!o) return { ok: true, text: '已收到，正在处理' };
    var r = o.result || {};
    if (o.status === 'PROCESSED') {
      if (r.status === 'recorded') return { ok: true, text: '已记录：' + r.label + (r.escalated ? '（已升级给上级处理）' : ''), label: r.label };
      if (r.status === 'already_recorded') return { ok: true, text: '此前已记录，本次未重复处理' };
      return { ok: true, text: '已处理' };
    }
    if (o.status === 'REJECTED') return { ok: false, text: codeText(r.code) };
    if (o.status === 'FAILED') return { ok: false, text: '处理失败，系统稍后会自动重试' };
    return { ok: true, text: '已收到，正在处理' };
  }

  function describeReply(text, res) {
    var prefix = '「' + text + '」— ';
    if (res.duplicate) return { ok: true, text: prefix + '重复提交，已忽略' };
    var o = res.result;
    if (!o) return { ok: true, text: prefix + '已收到，正在处理' };
    var r = o.result || {};
    if (o.status === 'PROCESSED') {
      if (r.status === 'answered') return { ok: true, text: prefix + '已记录：' + r.score + '分（' + (SATISFACTION_TEXT[r.satisfaction] || r.satisfaction) + '）' + (r.escalated ? '，已升级给上级处理' : '') };
      if (r.status === 'already_answered') return { ok: true, text: prefix + '该问卷已回答过，本次未重复记录' };
      if (r.status === 'opted_out') return { ok: true, text: prefix + '已退订，今后不再发送问卷' };
      if (r.status === 'kept_unparsed') return { ok: true, text: prefix + '未识别为评分，已留给工作人员查看' };
      return { ok: true, text: prefix + '已处理' };
    }
    if (o.status === 'REJECTED') return { ok: false, text: prefix + codeText(r.code) };
    if (o.status === 'FAILED') return { ok: false, text: prefix + '处理失败，系统稍后会自动重试' };
    return { ok: true, text: prefix + '已收到，正在处理' };
  }

  function outcomeEl(outcome) {
    var p = el('p', 'outcome');
    p.setAttribute('role', 'status');
    if (outcome) { p.textContent = outcome.text; p.className = 'outcome ' + (outcome.ok ? 'ok' : 'err'); }
    return p;
  }

  /* ---------------------------------------------------------------- actions */

  function tap(wecomUserId, taskId, key) {
    if (pendingTaps.has(taskId)) return;
    pendingTaps.add(taskId);
    renderStaff();
    api('/sandbox/api/tap', { wecomUserId: wecomUserId, taskId: taskId, key: key }).then(function (res) {
      var d = describeTap(res);
      tapOutcomes.set(taskId, d);
      if (d.label) locallyHandled.set(taskId, d.label);
    }, function (err) {
      tapOutcomes.set(taskId, { ok: false, text: failureText(err) });
    }).then(function () {
      pendingTaps.delete(taskId);
      renderStaff();
      return load();
    });
  }

  function reply(customerId, input, button, outcome) {
    var text = input.value.trim();
    if (!text) { outcome.textContent = '请先输入回复内容'; outcome.className = 'outcome err'; input.focus(); return; }
    busy(button, true);
    api('/sandbox/api/reply', { customerId: customerId, text: text }).then(function (res) {
      var d = describeReply(text, res);
      replyOutcomes.set(customerId, d);
      if (d.ok) input.value = '';
    }, function (err) {
      replyOutcomes.set(customerId, { ok: false, text: failureText(err) });
    }).then(function () {
      busy(button, false);
      var d = replyOutcomes.get(customerId);
      outcome.textContent = d.text;
      outcome.className = 'outcome ' + (d.ok ? 'ok' : 'err');
      return load();
    });
  }

  function seed(button) {
    busy(button, true);
    setStatus('正在载入示例机构…', true);
    api('/sandbox/api/seed', {}).then(function (res) {
      setStatus('已载入示例机构：' + res.departments + ' 个部门、' + res.staff + ' 名员工、' + res.customers + ' 位客户。下一步：新建病例或投诉。', true);
    }, function (err) { setStatus('载入失败：' + failureText(err), false); })
      .then(function () { busy(button, false); return load(); });
  }

  function createCase(button, kind) {
    busy(button, true);
    setStatus('正在新建' + KIND_TEXT[kind] + '…', true);
    api('/sandbox/api/example-case', { kind: kind }).then(function (res) {
      setStatus('已新建' + KIND_TEXT[kind] + '（客户：' + res.customer + '，编号 ' + res.externalId + '）。点「立即运行定时任务」推送回访。', true);
    }, function (err) { setStatus('新建失败：' + failureText(err), false); })
      .then(function () { busy(button, false); return load(); });
  }

  function runJobs(button) {
    busy(button, true);
    setStatus('正在运行定时任务…', true);
    api('/sandbox/api/tick', {}).then(function (res) {
      var a = res['activate-due-follow-ups'] || {};
      var d = res['dispatch-outbox'] || {};
      var o = res['mark-overdue'] || {};
      var parts = ['激活回访 ' + (a.activated || 0) + ' 项', '发出消息 ' + (d.sent || 0) + ' 条'];
      if (d.retried) parts.push('待重试 ' + d.retried + ' 条');
      if (d.dead) parts.push('发送失败 ' + d.dead + ' 条');
      if (typeof o.marked === 'number' && o.marked) parts.push('标记逾期 ' + o.marked + ' 项');
      setStatus('定时任务已运行：' + parts.join('，') + '。', true);
    }, function (err) { setStatus('运行失败：' + failureText(err), false); })
      .then(function () { busy(button, false); return load(); });
  }

  /* ---------------------------------------------------------------- rendering */

  // Re-renders a message list only when its content changed, keeping keyboard focus on the same control.
  function replaceChildrenKeepingFocus(list, nodes) {
    var active = document.activeElement;
    var focusKey = active && list.contains(active) ? active.getAttribute('data-fk') : null;
    list.replaceChildren.apply(list, nodes);
    if (focusKey) {
      var again = list.querySelector('[data-fk="' + CSS.escape(focusKey) + '"]');
      if (again && !again.disabled) again.focus();
    }
  }

  function taskCardEl(staff, msg, updates) {
    var card = msg.content.card || {};
    var taskId = card.taskId;
    var li = el('li', 'msg tcard');
    li.setAttribute('data-task-id', taskId);
    var src = el('div', 'src');
    src.appendChild(el('span', null, card.source || '任务卡片'));
    src.appendChild(timeEl(msg.deliveredAt));
    li.appendChild(src);
    li.appendChild(el('h4', null, card.title));
    if (card.description) li.appendChild(el('p', 'desc', card.description));
    if (card.subtitle) li.appendChild(el('p', 'sub', card.subtitle));
    if (card.fields && card.fields.length) {
      var dl = el('dl');
      card.fields.forEach(function (f) { dl.appendChild(el('dt', null, f.label)); dl.appendChild(el('dd', null, f.value)); });
      li.appendChild(dl);
    }
    if (card.detailUrl) {
      // The card's 详情 link: the staff form of a follow-up, the page of an escalation.
      var detail = el('a', 'detail', '详情 ›');
      detail.href = card.detailUrl;
      detail.target = '_blank';
      detail.rel = 'noopener';
      li.appendChild(detail);
    }
    var group = el('div', 'cbtns');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', '回访结果（以' + staff.name + '的身份点击）');
    var update = updates.get(taskId);
    var handledLabel = update ? update.replaceName : locallyHandled.get(taskId);
    if (handledLabel) {
      var done = el('button', 'cbtn done', update ? update.replaceName : '已记录：' + handledLabel + '（等待卡片更新）');
      done.type = 'button';
      done.disabled = true;
      done.setAttribute('data-handled', 'true');
      group.appendChild(done);
      li.setAttribute('data-handled', update ? 'updated' : 'recorded');
    } else {
      (card.buttons || []).forEach(function (b) {
        var btn = el('button', 'cbtn s' + b.style, b.text);
        btn.type = 'button';
        btn.setAttribute('data-key', b.key);
        btn.setAttribute('data-fk', b.key);
        if (pendingTaps.has(taskId)) { btn.disabled = true; btn.setAttribute('aria-busy', 'true'); }
        btn.addEventListener('click', function () { tap(staff.wecomUserId, taskId, b.key); });
        group.appendChild(btn);
      });
    }
    li.appendChild(group);
    li.appendChild(outcomeEl(tapOutcomes.get(taskId)));
    return li;
  }

  function staffMessageEl(staff, msg, updates, cardIds) {
    var c = msg.content || {};
    if (msg.kind === 'task_card') return taskCardEl(staff, msg, updates);
    if (msg.kind === 'card_update') {
      if (cardIds.has(c.taskId)) return null; // shown on its card, as WeCom updates the card in place
      var u = el('li', 'msg note');
      u.appendChild(el('span', null, '卡片已更新：' + c.replaceName));
      u.appendChild(timeEl(msg.deliveredAt));
      return u;
    }
    if (msg.kind === 'staff_text') {
      var text = String(c.text || '');
      var li = el('li', 'msg stext' + (text.indexOf('【回访升级】') === 0 ? ' esc' : ''));
      li.setAttribute('data-kind', 'staff_text');
      li.appendChild(el('p', null, text));
      li.appendChild(timeEl(msg.deliveredAt));
      return li;
    }
    if (typeof msg.html === 'string') {
      // Digests and reports (staff_document, and staff_markdown of earlier versions): the server renders
      // them as WeCom shows them (bold, colours, links), every text escaped.
      var mli = el('li', 'msg stext md');
      mli.setAttribute('data-kind', msg.kind);
      var body = el('div');
      body.innerHTML = msg.html;
      mli.appendChild(body);
      mli.appendChild(timeEl(msg.deliveredAt));
      return mli;
    }
    var other = el('li', 'msg note', '其他消息（' + msg.kind + '）');
    other.appendChild(timeEl(msg.deliveredAt));
    return other;
  }

  function staffView(s) {
    var v = staffViews.get(s.wecomUserId);
    if (v) return v;
    var root = el('article', 'who');
    root.setAttribute('data-staff', s.wecomUserId);
    var hid = 'staff-h-' + staffViews.size;
    root.setAttribute('aria-labelledby', hid);
    var header = el('header');
    var h = el('h3', null, s.name);
    h.id = hid;
    header.appendChild(h);
    var roles = String(s.roles || '').split(',').filter(Boolean).map(function (r) { return ROLE_TEXT[r] || r; }).join('、');
    header.appendChild(el('span', 'meta', s.department + (roles ? ' · ' + roles : '')));
    var count = el('span', 'meta count');
    header.appendChild(count);
    root.appendChild(header);
    var list = el('ol', 'msgs');
    list.setAttribute('aria-label', s.name + '的企业微信消息（最新在上）');
    var empty = el('p', 'empty', '暂无消息');
    root.appendChild(list);
    root.appendChild(empty);
    v = { root: root, list: list, empty: empty, count: count, sig: null };
    staffViews.set(s.wecomUserId, v);
    return v;
  }

  function renderStaff() {
    if (!state) return;
    var onlyActive = $('only-active').checked;
    var container = $('staff-list');
    var shown = 0;
    var seen = new Set();
    state.staff.forEach(function (s) {
      seen.add(s.wecomUserId);
      var v = staffView(s);
      if (v.root.parentNode !== container) container.appendChild(v.root);
      var updates = new Map();
      var cardIds = new Set();
      s.messages.forEach(function (m) {
        if (m.kind === 'card_update' && m.content && !updates.has(m.content.taskId)) updates.set(m.content.taskId, m.content);
        if (m.kind === 'task_card' && m.content && m.content.card) cardIds.add(m.content.card.taskId);
      });
      var local = [];
      cardIds.forEach(function (id) {
        local.push([id, tapOutcomes.get(id) || null, locallyHandled.get(id) || null, pendingTaps.has(id)]);
      });
      var sig = JSON.stringify([s.messages.map(function (m) { return m.id; }), local, timeFormat ? 1 : 0]);
      if (sig !== v.sig) {
        v.sig = sig;
        // What asks for action comes first: task cards and texts (newest first), then digests and
        // reports (newest first), which a manager reads at leisure.
        var work = [];
        var reading = [];
        s.messages.forEach(function (m) {
          var n = staffMessageEl(s, m, updates, cardIds);
          if (n) (typeof m.html === 'string' ? reading : work).push(n);
        });
        var nodes = work.concat(reading);
        replaceChildrenKeepingFocus(v.list, nodes);
        v.empty.hidden = nodes.length > 0;
        v.list.hidden = nodes.length === 0;
        v.count.textContent = nodes.length ? nodes.length + ' 条' : '';
      }
      var has = s.messages.length > 0;
      v.root.hidden = onlyActive && !has;
      if (!v.root.hidden) shown++;
    });
    staffViews.forEach(function (v, id) { if (!seen.has(id)) { v.root.remove(); staffViews.delete(id); } });
    $('staff-empty').hidden = shown > 0;
    $('staff-empty').textContent = state.staff.length === 0 ? '还没有员工。请先载入示例机构。' : '员工的企业微信里还没有消息。新建病例后点「立即运行定时任务」。';
    $('staff-count').textContent = '（' + state.staff.length + ' 人）';
  }

  function customerView(c) {
    var v = customerViews.get(c.id);
    if (v) return v;
    var n = customerViews.size;
    var root = el('article', 'who');
    root.setAttribute('data-customer', c.id);
    var hid = 'cust-h-' + n;
    root.setAttribute('aria-labelledby', hid);
    var header = el('header');
    var h = el('h3', null, c.name);
    h.id = hid;
    header.appendChild(h);
    header.appendChild(el('span', 'meta', c.phone || ''));
    var badge = el('span', 'badge', '已退订');
    header.appendChild(badge);
    root.appendChild(header);
    var list = el('ol', 'msgs');
    list.setAttribute('aria-label', c.name + '收到的短信（最新在上）');
    var empty = el('p', 'empty', '暂无短信');
    root.appendChild(list);
    root.appendChild(empty);

    var form = el('form', 'reply');
    form.noValidate = true;
    var inputId = 'reply-' + n;
    var label = el('label', null, '以' + c.name + '的身份回复短信');
    label.setAttribute('for', inputId);
    var row = el('div', 'row');
    var input = el('input');
    input.id = inputId;
    input.name = 'text';
    input.type = 'text';
    input.maxLength = 500;
    input.autocomplete = 'off';
    input.placeholder = '例如：5、满意、不满意，护士态度差、R（退订）';
    var tipId = 'reply-tip-' + n;
    input.setAttribute('aria-describedby', tipId);
    var send = el('button', 'btn primary', '发送');
    send.type = 'submit';
    row.appendChild(input);
    row.appendChild(send);
    form.appendChild(label);
    form.appendChild(row);
    var tip = el('p', 'tip', '回复 1–5 分（5＝非常满意），可附一句说明；回复 R 退订。');
    tip.id = tipId;
    form.appendChild(tip);
    var outcome = outcomeEl(replyOutcomes.get(c.id));
    form.appendChild(outcome);
    form.addEventListener('submit', function (e) { e.preventDefault(); reply(c.id, input, send, outcome); });
    root.appendChild(form);
    v = { root: root, list: list, empty: empty, badge: badge, sig: null };
    customerViews.set(c.id, v);
    return v;
  }

  function renderCustomers() {
    if (!state) return;
    var onlyActive = $('only-active').checked;
    var container = $('customer-list');
    var shown = 0;
    var seen = new Set();
    state.customers.forEach(function (c) {
      seen.add(c.id);
      var v = customerView(c);
      if (v.root.parentNode !== container) container.appendChild(v.root);
      v.badge.hidden = !c.optedOut;
      var sig = JSON.stringify([c.messages.map(function (m) { return m.id; }), timeFormat ? 1 : 0]);
      if (sig !== v.sig) {
        v.sig = sig;
        var nodes = c.messages.map(function (m) {
          var li = el('li', 'msg bubble');
          li.setAttribute('data-kind', m.kind);
          var text = m.content && typeof m.content.text === 'string' ? m.content.text : '（' + m.kind + '）';
          li.appendChild(el('p', null, text));
          // The survey page behind the invitation (WeChat carries it; the SMS text may not).
          var link = m.content && typeof m.content.link === 'string' ? m.content.link : null;
          if (link && text.indexOf(link) < 0) {
            var a = el('a', 'detail', '打开问卷页面 ›');
            a.href = link;
            a.target = '_blank';
            a.rel = 'noopener';
            li.appendChild(a);
          }
          li.appendChild(timeEl(m.deliveredAt));
          return li;
        });
        v.list.replaceChildren.apply(v.list, nodes);
        v.empty.hidden = nodes.length > 0;
        v.list.hidden = nodes.length === 0;
      }
      v.root.hidden = onlyActive && c.messages.length === 0;
      if (!v.root.hidden) shown++;
    });
    customerViews.forEach(function (v, id) { if (!seen.has(id)) { v.root.remove(); customerViews.delete(id); } });
    $('customer-empty').hidden = shown > 0;
    $('customer-empty').textContent = state.customers.length === 0 ? '还没有客户。请先载入示例机构。' : '客户手机上还没有短信。出院 3 天后的满意度问卷会出现在这里。';
    $('customer-count').textContent = '（' + state.customers.length + ' 人）';
  }

  function render() {
    if (!state) return;
    if (!timeFormat && state.timeZone) {
      try {
        timeFormat = new Intl.DateTimeFormat('zh-CN', { timeZone: state.timeZone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      } catch (e) { timeFormat = null; }
    }
    $('setup').hidden = state.staff.length > 0;
    $('clock').textContent = '系统时间：' + formatTime(state.now) + (state.timeZone ? '（' + state.timeZone + '）' : '');
    $('loading').hidden = true;
    renderStaff();
    renderCustomers();
  }

  // One state request at a time; a request asked for meanwhile runs right after it, so an action's
  // effect is never hidden behind a poll that started before the action.
  function load() {
    if (loading) { reloadQueued = true; return loading; }
    loading = api('/sandbox/api/state').then(function (data) {
      state = data;
      render();
    }, function (err) {
      $('loading').hidden = false;
      $('loading').textContent = '无法读取沙盒状态：' + failureText(err);
    }).then(function () {
      loading = null;
      if (reloadQueued) { reloadQueued = false; return load(); }
    });
    return loading;
  }

  $('seed').addEventListener('click', function (e) { seed(e.currentTarget); });
  Array.prototype.forEach.call(document.querySelectorAll('[data-case]'), function (b) {
    b.addEventListener('click', function () { createCase(b, b.getAttribute('data-case')); });
  });
  $('tick').addEventListener('click', function (e) { runJobs(e.currentTarget); });
  $('refresh').addEventListener('click', function (e) {
    var b = e.currentTarget;
    busy(b, true);
    load().then(function () { busy(b, false); setStatus('已刷新', true); });
  });
  $('only-active').addEventListener('change', function () { renderStaff(); renderCustomers(); });
  // Poll while the page is visible; catch up at once when it becomes visible again.
  setInterval(function () { if (document.visibilityState === 'visible') load(); }, 3000);
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'visible') load(); });
  load();
})();
`;

const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light">
<title>回访沙盒</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">跳到主要内容</a>
<header class="top">
<h1>回访沙盒</h1>
<p>这里显示沙盒通道“发出”的消息：员工的企业微信和客户的手机短信。不会发送任何真实消息。</p>
<p id="clock"></p>
</header>
<main id="main">
<section id="setup" class="panel setup" aria-labelledby="setup-h" hidden>
<h2 id="setup-h">第一步：载入示例机构</h2>
<p>还没有员工。示例机构包含一家医院病区和一家物业公司，以及员工、上级和客户。</p>
<button type="button" id="seed" class="btn primary big">载入示例机构</button>
</section>
<section class="panel" aria-labelledby="actions-h">
<h2 id="actions-h">操作</h2>
<div class="actions cases">
<button type="button" class="btn" data-case="discharge">新建出院病例</button>
<button type="button" class="btn" data-case="discharge_serious">新建重症出院病例</button>
<button type="button" class="btn" data-case="complaint">新建物业投诉</button>
</div>
<div class="actions two">
<button type="button" id="tick" class="btn primary">立即运行定时任务</button>
<button type="button" id="refresh" class="btn">刷新</button>
</div>
<p id="status" class="status" role="status" aria-live="polite"></p>
<label class="filter"><input type="checkbox" id="only-active" checked>只显示有消息的人</label>
</section>
<p id="loading" role="status">加载中…</p>
<nav class="jump" aria-label="页面导航"><a href="#staff-h">员工企业微信</a><a href="#customers-h">客户手机</a></nav>
<div class="cols">
<section class="col" aria-labelledby="staff-h">
<h2 id="staff-h" tabindex="-1">员工企业微信<span id="staff-count" class="note"></span></h2>
<p class="hint">以员工身份点击任务卡片上的按钮，记录回访结果。</p>
<p id="staff-empty" class="empty" hidden></p>
<div id="staff-list"></div>
</section>
<section class="col" aria-labelledby="customers-h">
<h2 id="customers-h" tabindex="-1">客户手机<span id="customer-count" class="note"></span></h2>
<p class="hint">以客户身份回复收到的短信。号码已打码。</p>
<p id="customer-empty" class="empty" hidden></p>
<div id="customer-list"></div>
</section>
</div>
</main>
<script>${SCRIPT}</script>
</body>
</html>`;
