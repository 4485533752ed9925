import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Huifang } from '../../huifang.js';
import { readFormBody } from '../read-body.js';
import { noteFailedAuth, refuseIfThrottled } from '../failed-auth.js';
import { escapeHtml, htmlDocument } from '../survey-page.js';
import type { EscalationReason } from '../../core/escalation/rules.js';
import { formatLocalDateTime } from '../../core/time.js';
import { maskPhonesInText } from '../../core/phone.js';

/** `<escalationId>_<level>.<signature>` (bot/links.ts, purpose `escalation`). */
const SIGNED = /^[0-9A-Za-z]{10,40}_\d{1,2}\.[A-Za-z0-9_-]{16}$/;
const FORM_LIMIT_BYTES = 16 * 1024;

const REJECTIONS: Record<string, string> = {
  STALE_ESCALATION: '该事项已升级到更高一级，此链接不再可操作。',
  NOTE_REQUIRED: '请填写处理说明。',
  NOTE_TOO_LONG: '处理说明最多 1000 字。',
  UNKNOWN_ESCALATION: '未找到这条升级事项。',
};

const STATUS_LABELS: Record<string, string> = { OPEN: '待受理', ACKNOWLEDGED: '已受理，处理中', RESOLVED: '已处理，待二次回访', CLOSED: '已关闭' };
/** Where a report of the incident came from (EscalationEvidence.source). */
const EVIDENCE_SOURCES: Record<string, string> = { staff: '员工回访', sms: '客户短信', web: '问卷页面', system: '系统' };

const ACTION_LABELS: Record<string, string> = {
  'escalation.opened': '升级',
  'escalation.viewed': '查看',
  'escalation.acknowledged': '确认受理',
  'escalation.climbed': '超时升级',
  'escalation.breached': '超过最终时限',
  'escalation.resolved': '处理完成',
  'escalation.evidence_added': '补充反馈',
  'escalation.closed': '二次回访完成，关闭',
};

/**
 * The escalation owner's page behind the card's 详情 link: what happened, the history (who saw, who
 * acted, when), and the forms to acknowledge and to resolve with a note. The link names the
 * escalation and its level and is signed; after a climb the earlier level's link only shows the
 * history. Actions go through the inbox (kind `escalation_action`, deduplicated per level and
 * action), like card taps.
 */
export function escalationRoutes(router: Router, app: Huifang): void {
  const log = app.logger.child({ route: 'escalation' });

  async function verified(ctx: Context): Promise<{ id: string; level: number } | null> {
    const signed = String(ctx.params.signed ?? '');
    refuseIfThrottled(ctx);
    const value = SIGNED.test(signed) ? await app.deps.links.verify('escalation', signed) : null;
    if (!value) {
      noteFailedAuth(ctx);
      log.warn({ ip: ctx.ip, length: signed.length }, 'escalation link rejected: signature does not match');
      page(ctx, 404, '链接无效', '<p>未找到这条升级事项，请从企业微信卡片重新打开。</p>');
      return null;
    }
    const [id, level] = value.split('_');
    return { id: id!, level: Number(level) };
  }

  router.get('/e/:signed', async (ctx) => {
    const ref = await verified(ctx);
    if (!ref) return;
    await show(ctx, ref, null);
  });

  router.post('/e/:signed', async (ctx) => {
    const ref = await verified(ctx);
    if (!ref) return;
    const form = await readFormBody(ctx, FORM_LIMIT_BYTES);
    const action = form.get('action');
    const note = (form.get('note') ?? '').trim();
    if (action !== 'acknowledge' && action !== 'resolve') return show(ctx, ref, '请选择操作。', 400);
    if (action === 'resolve' && note.length < 2) return show(ctx, ref, '请填写处理说明（做了什么、结果如何），至少 2 个字。', 400);
    if (note.length > 1000) return show(ctx, ref, '处理说明最多 1000 字。', 400);
    const received = await app.receive(
      {
        source: 'web',
        dedupeKey: `escalation:${ref.id}:${ref.level}:${action}`,
        kind: 'escalation_action',
        payload: { escalationId: ref.id, level: ref.level, action, note: action === 'resolve' ? note : null },
        receivedAt: app.clock.now(),
      },
      { wait: true },
    );
    const result = received.processing ? await received.processing : null;
    if (result && result.status !== 'PROCESSED') {
      const code = (result.error as { code?: string } | undefined)?.code;
      return show(ctx, ref, REJECTIONS[code ?? ''] ?? '操作未成功，请稍后再试。', result.status === 'REJECTED' ? 409 : 503);
    }
    ctx.status = 303;
    ctx.redirect(ctx.path);
  });

  async function show(ctx: Context, ref: { id: string; level: number }, error: string | null, status = 200): Promise<void> {
    const e = await app.deps.escalations.findEscalation(ref.id);
    if (!e) return page(ctx, 404, '链接无效', '<p>未找到这条升级事项。</p>');
    const kase = await app.deps.cases.findCaseById(e.caseId);
    const customer = kase ? (await app.deps.customers.findCustomersByIds([kase.customerId])).get(kase.customerId) : undefined;
    const org = await app.deps.org.loadOrgSnapshot();
    const owner = org.staff.get(e.ownerId);
    const current = ref.level === e.level;
    if (current && ctx.method === 'GET') {
      // Who saw it, and when: part of the audit trail the issue asks for.
      await app.deps.audit.record({ at: app.clock.now(), actorType: 'STAFF', actorId: e.ownerId, action: 'escalation.viewed', entityType: 'Escalation', entityId: e.id, details: { level: e.level } });
    }
    const history = await app.deps.escalations.escalationHistory(e.id);
    const tz = app.config.timezone;
    const name = (id: string | null | undefined) => (id ? (org.staff.get(id)?.name ?? '—') : '系统');
    const rows = history
      .map((h) => `<tr><td>${escapeHtml(formatLocalDateTime(h.at, tz))}</td><td>${escapeHtml(name(h.actorId))}</td><td>${escapeHtml(ACTION_LABELS[h.action] ?? h.action)}${typeof h.details.note === 'string' ? `：${escapeHtml(maskPhonesInText(h.details.note))}` : ''}${h.details.toLevel ? `（第${Number(h.details.toLevel)}级：${escapeHtml(name(String(h.details.toOwnerId)))}）` : ''}</td></tr>`)
      .join('');
    // Every report of the incident (bot/core/escalation/incident.ts): the trigger that opened it and those added since.
    const evidence = await app.deps.escalations.listEscalationEvidence(e.id);
    const reasons = app.deps.templates.labels.escalationReasons as Record<string, string>;
    const evidenceRows = evidence
      .map((x) => `<tr><td>${escapeHtml(formatLocalDateTime(x.at, tz))}</td><td>${escapeHtml(EVIDENCE_SOURCES[x.source] ?? x.source)}</td><td>${escapeHtml(reasons[x.reason] ?? x.reason)}${x.note ? `：${escapeHtml(maskPhonesInText(x.note))}` : ''}</td></tr>`)
      .join('');
    const open = e.status === 'OPEN' || e.status === 'ACKNOWLEDGED';
    const forms = !current
      ? `<p class="note">该事项已升级至第${e.level}级（${escapeHtml(owner?.name ?? '—')}），此链接仅供查看。</p>`
      : open
        ? (e.status === 'OPEN'
            ? `<form method="post"><input type="hidden" name="action" value="acknowledge"><button type="submit">确认受理</button></form>`
            : '') +
          `<form method="post"><input type="hidden" name="action" value="resolve"><label for="note">处理说明（必填）</label>` +
          `<textarea id="note" name="note" rows="5" maxlength="1000" required aria-describedby="note-help"></textarea>` +
          `<p id="note-help" class="note">写明做了什么、结果如何。提交后将安排二次回访，二次回访的结果会关闭本事项。</p>` +
          `<button type="submit">标记已处理</button></form>`
        : `<p class="note">${escapeHtml(STATUS_LABELS[e.status] ?? e.status)}${e.note ? `：${escapeHtml(e.note)}` : ''}</p>`;
    page(
      ctx,
      status,
      `${app.deps.templates.labels.escalationReasons[e.reason as EscalationReason] ?? e.reason}`,
      (error ? `<p class="summary" role="alert">${escapeHtml(error)}</p>` : '') +
        `<dl><dt>状态</dt><dd>${escapeHtml(STATUS_LABELS[e.status] ?? e.status)}</dd><dt>级别</dt><dd>第${e.level}级 · ${escapeHtml(owner?.name ?? '—')}</dd>` +
        `<dt>截止</dt><dd>${escapeHtml(formatLocalDateTime(e.deadlineAt, tz))}</dd><dt>客户</dt><dd>${escapeHtml(customer?.name ?? '—')}（${escapeHtml(customer?.phoneMasked ?? '—')}）</dd>` +
        `<dt>案例</dt><dd>${escapeHtml(kase?.externalId ?? '—')}</dd></dl>` +
        `<p style="white-space:pre-line">${escapeHtml(e.summary)}</p>${forms}` +
        (evidence.length > 0 ? `<h2>反馈记录（${evidence.length}）</h2><table><thead><tr><th>时间</th><th>来源</th><th>内容</th></tr></thead><tbody>${evidenceRows}</tbody></table>` : '') +
        `<h2>记录</h2><table><thead><tr><th>时间</th><th>人员</th><th>事项</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  }

  function page(ctx: Context, status: number, title: string, body: string): void {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = htmlDocument(`${title} · 回访升级`, `<h1>${escapeHtml(title)}</h1>${body}`);
  }
}
