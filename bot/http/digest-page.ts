import type { DigestFigures, DigestRow, WeeklyDigest } from '../core/digests/build-digest.js';
import { formatChineseDate, formatLocalDateTime } from '../core/time.js';

/**
 * The digest's detail page behind the signed link in the WeCom message: every figure, the full staff
 * and department tables, all open escalations and everything becoming overdue. One self-contained,
 * phone-sized HTML page (no script, no external assets); every value is HTML-escaped.
 */
export function digestDetailPage(digest: WeeklyDigest, options: { organisation: string }): string {
  const tz = digest.period.timeZone;
  const f = digest.figures;
  const last = new Date(digest.period.to.getTime() - 1);
  const change =
    digest.satisfactionChange === null
      ? digest.previousSatisfactionRate === null
        ? '上周无数据'
        : '本周无评价'
      : `较上周 ${digest.satisfactionChange > 0 ? '+' : ''}${(digest.satisfactionChange * 100).toFixed(1)} 个百分点`;
  const body = [
    `<h1>回访周报</h1>`,
    `<p class="sub">${esc(digest.departments.join('、'))}<br>${esc(digest.manager)}：${esc(formatChineseDate(digest.period.from, tz))} 至 ${esc(formatChineseDate(last, tz))}（截至 ${esc(formatLocalDateTime(digest.asOf, tz))}）</p>`,
    `<section class="cards">`,
    card('应回访', String(f.due), `员工 ${f.staffTasks}｜问卷 ${f.surveys}`),
    card('已完成', String(f.done), `按时 ${f.doneOnTime}｜迟办 ${f.doneLate}`),
    card('逾期', String(f.overdue), `未办 ${f.overdueOpen}｜迟办 ${f.doneLate}`, f.overdue > 0),
    card('按时率', pct(f.onTimeRate), `按时结案 ${f.closedOnTime} / ${f.due - f.cancelled}`),
    card('联系成功率', pct(f.contactRate), `${f.done} / ${f.done + f.unreachable}`),
    card('满意率', pct(f.satisfactionRate), change),
    `</section>`,
    digest.overdueBacklog > 0 ? `<p class="warn">此前逾期未办 ${digest.overdueBacklog} 项</p>` : '',
    `<h2>按人员（员工回访）</h2>`,
    figuresTable('人员', digest.byStaff.map((r) => ({ ...r, name: r.name ?? '未指派' }))),
    `<h2>按科室</h2>`,
    figuresTable('科室', digest.byDepartment),
    `<h2>待处理升级（${digest.openEscalations.length}，最早的在前）</h2>`,
    digest.openEscalations.length === 0
      ? '<p class="none">无</p>'
      : table(
          ['负责人', '级别', '客户', '原因', '开始', '答复期限'],
          digest.openEscalations.map((e) => [
            e.ownerName,
            String(e.level ?? 1),
            e.customer,
            e.reason === 'DISSATISFIED' ? '客户不满意' : e.reason,
            formatLocalDateTime(e.createdAt, tz),
            `${formatLocalDateTime(e.deadlineAt, tz)}${e.isPastDeadline ? '（已超期）' : ''}`,
          ]),
          digest.openEscalations.map((e) => e.isPastDeadline),
        ),
    `<h2>3天内将逾期（${digest.becomingOverdue.length}）</h2>`,
    digest.becomingOverdue.length === 0
      ? '<p class="none">无</p>'
      : table(
          ['期限', '负责人', '回访项目', '客户'],
          digest.becomingOverdue.map((u) => [formatLocalDateTime(u.deadlineAt, tz), u.assigneeName ?? '未指派', u.title ?? '', u.customer ?? '']),
        ),
    `<p class="foot">口径：截止时间在本周内的回访（抽样未选中的不计）。按时率 = 截止前结案（完成或确认未接通）÷（应回访 − 已取消）；联系成功率 = 已完成 ÷（已完成 + 未接通）；满意率 = 满意 ÷（满意 + 一般 + 不满意）。</p>`,
  ].join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>回访周报｜${esc(options.organisation)}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;padding:12px;color:#222;background:#f6f7f9;font-size:15px}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:18px 0 6px}.sub{color:#666;margin:0 0 10px;line-height:1.5}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}
.card{background:#fff;border-radius:8px;padding:10px}.card b{display:block;font-size:22px;margin:2px 0}.card small{color:#777}.card.warn b{color:#d4380d}
.scroll{overflow-x:auto;background:#fff;border-radius:8px}table{border-collapse:collapse;width:100%;white-space:nowrap}
th,td{padding:6px 8px;border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left;position:sticky;left:0;background:#fff}
th{background:#fafafa;font-weight:600}tr.late td{color:#d4380d}.warn{color:#d4380d}.none{color:#888}.foot{color:#888;font-size:12px;line-height:1.5;margin-top:18px}
</style></head><body>
${body}
</body></html>`;
}

function card(label: string, value: string, note: string, warn = false): string {
  return `<div class="card${warn ? ' warn' : ''}">${esc(label)}<b>${esc(value)}</b><small>${esc(note)}</small></div>`;
}

function figuresTable(first: string, rows: readonly DigestRow[]): string {
  if (rows.length === 0) return '<p class="none">无</p>';
  const cells = (r: DigestFigures & { name: string }) => [
    r.name,
    String(r.due),
    String(r.done),
    String(r.doneOnTime),
    String(r.unreachable),
    String(r.cancelled),
    String(r.open),
    String(r.overdue),
    pct(r.onTimeRate),
    pct(r.contactRate),
    pct(r.satisfactionRate),
  ];
  return table([first, '应回访', '已完成', '按时完成', '未接通', '已取消', '未结', '逾期', '按时率', '联系成功率', '满意率'], rows.map(cells), rows.map((r) => r.overdue > 0));
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], highlight: readonly boolean[] = []): string {
  const head = `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r, i) => `<tr${highlight[i] ? ' class="late"' : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<div class="scroll"><table>${head}${body}</table></div>`;
}

function pct(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A short page saying the link cannot be opened. */
export function digestMessagePage(title: string, message: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head>
<body style="font-family:sans-serif;padding:24px;color:#333"><h1 style="font-size:20px">${esc(title)}</h1><p>${esc(message)}</p></body></html>`;
}
