import type Router from '@koa/router';
import { checkCalendarEntryChange } from '../../core/calendar/calendar-entry-change.js';
import type { Huifang } from '../../huifang.js';
import { html, type Html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { csrfField, dateTime } from './common.js';
import { DomainError } from '../../core/errors.js';
import { toLocal } from '../../core/time.js';
import type { DayInfo } from '../../core/calendar/working-calendar.js';
import { checkCalendarYearImport, installCalendarYearImport, type CalendarImportCheck } from '../../calendar-year-import.js';
import type { ConsoleSessionState } from '../session.js';

const KIND_LABELS: Readonly<Record<string, string>> = { holiday: '放假', workday: '调休上班', closure: '本单位停业' };
const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Monday-first weekday index (0 = Monday) of a date. */
function weekdayIndex(year: number, month: number, day: number): number {
  return (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
}

/** 日历: a year's working days with 调休; administrators add next year's schedule and local closures. */
export function calendarPage(router: Router, app: Huifang): void {
  router.get(
    '/console/calendar',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const today = toLocal(app.clock.now(), tz);
      const thisYear = today.year;
      const todayDate = `${today.year}-${pad(today.month)}-${pad(today.day)}`;
      const asked = Number(ctx.query.year);
      const year = Number.isInteger(asked) && asked >= 2000 && asked <= 2100 ? asked : thisYear;
      const calendar = app.deps.calendar;
      const covered = calendar.isCovered(year);
      const entries = (await app.console.admin.listCalendarEntries()).filter((e) => e.date.startsWith(`${year}-`));
      const info = (date: string): DayInfo => calendar.dayInfo(date);
      const months = Array.from({ length: 12 }, (_, m) => {
        const month = m + 1;
        const blanks = weekdayIndex(year, month, 1);
        const days = Array.from({ length: daysInMonth(year, month) }, (_, d) => {
          const date = `${year}-${pad(month)}-${pad(d + 1)}`;
          const i = info(date);
          const cls = i.kind === 'holiday' || i.kind === 'weekend' ? 'off' : i.kind === 'makeup_workday' ? 'make' : i.kind === 'closure' ? 'closed' : '';
          const title = i.name ? `${date} ${i.name}` : date;
          return html`<div class="${cls}${date === todayDate ? ' today' : ''}" title="${title}">${d + 1}${i.kind === 'makeup_workday' ? '班' : i.kind === 'holiday' ? '休' : ''}</div>`;
        });
        return html`<div class="card"><h2>${month} 月</h2><div class="cal">${WEEKDAYS.map((w) => html`<div class="head">${w}</div>`)}${Array.from({ length: blanks }, () => html`<div></div>`)}${days}</div></div>`;
      });
      const imported = Number(ctx.query.imported);
      const schedule = calendar.yearSchedule(year);
      const closures = calendar.closuresInYear(year);
      render(ctx, app, state, {
        title: `${year} 年工作日历`,
        current: '/console/calendar',
        body: html`<div class="card actions"><a class="button secondary" href="/console/calendar?year=${String(year - 1)}">← ${year - 1}</a><a class="button secondary" href="/console/calendar?year=${String(year + 1)}">${year + 1} →</a>
<span class="small legend"><span><span class="swatch off">休</span> 放假 / 周末</span><span><span class="swatch make">班</span> 调休上班</span><span><span class="swatch closed">停</span> 本单位停业</span><span><span class="swatch today">${String(today.day)}</span> 今天</span></span></div>
${imported === year ? html`<p class="alert ok" role="status">已导入 ${year} 年节假日安排，管理台和命令立即使用；各服务实例在 5 分钟内自动更新，无需重启。</p>` : ''}
${
  covered
    ? html`<p class="alert ok">${year} 年节假日安排${calendar.isShippedYear(year) ? '已随系统提供（依据国务院办公厅通知）' : '已在管理台中添加或导入'}。<span class="muted small">数据来源：${schedule?.source ?? '—'}</span></p>`
    : html`<p class="alert bad">尚无 ${year} 年的节假日安排，目前只按周末计算工作日（未确认）。国务院办公厅公布后，请${state.access.canAdminister ? `在下方逐日添加放假与调休上班日，或在下方「导入全年安排」中一次导入整份通知（与 huifang calendar import 的文件格式相同）` : '管理员添加'}。</p>`
}
${
  schedule && schedule.holidays.length
    ? html`<div class="card"><h2>节假日</h2><p class="small">${[...new Set(schedule.holidays.map((h) => h.name))].map((name) => `${name}：${schedule.holidays.filter((h) => h.name === name).map((h) => h.date.slice(5)).join('、')}`).join('；')}</p>${schedule.makeupWorkdays.length ? html`<p class="small">调休上班：${schedule.makeupWorkdays.map((m) => `${m.date.slice(5)}（${m.holiday}）`).join('、')}</p>` : ''}${closures.length ? html`<p class="small">本单位停业：${closures.map((c) => `${c.date.slice(5)} ${c.reason}`).join('、')}</p>` : ''}</div>`
    : ''
}
${
  state.access.canAdminister
    ? html`<div class="card"><h2>添加日期</h2><form method="post" action="/console/calendar/entries" class="filters">${csrfField(state)}
<div><label for="date">日期</label><input id="date" name="date" type="date" required value="${year}-01-01"></div>
<div><label for="kind">类型</label><select id="kind" name="kind"><option value="holiday">放假（国务院安排）</option><option value="workday">调休上班</option><option value="closure">本单位停业</option></select></div>
<div><label for="name">名称</label><input id="name" name="name" required maxlength="40" placeholder="如：春节 / 年终盘点"></div>
<div class="actions"><button type="submit">添加</button></div></form>
<p class="muted small">放假和调休上班日组成一年的安排，只能添加尚未随系统提供的年份；本单位停业日任何年份都可添加。</p>
${
  entries.length
    ? html`<table class="rows"><thead><tr><th>日期</th><th>类型</th><th>名称</th><th>添加时间</th><th></th></tr></thead><tbody>${entries.map(
        (e) => html`<tr><td data-label="日期">${e.date}</td><td data-label="类型">${KIND_LABELS[e.kind]}</td><td data-label="名称">${e.name}</td><td data-label="添加时间">${dateTime(e.createdAt, tz)}</td><td><form method="post" action="/console/calendar/entries/${e.date}/remove">${csrfField(state)}<button class="secondary" type="submit">删除</button></form></td></tr>`,
      )}</tbody></table>`
    : ''
}</div>
${importForm(state, calendar.isShippedYear(year) ? year + 1 : year, '')}`
    : ''
}
<div class="months">${months}</div>`,
      });
    }),
  );

  router.post(
    '/console/calendar/entries',
    consoleHandler(app, async (ctx, state, form) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const date = form!.get('date') ?? '';
      const kind = form!.get('kind') ?? '';
      const name = (form!.get('name') ?? '').trim();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !['holiday', 'workday', 'closure'].includes(kind) || name.length < 1 || name.length > 40) throw new DomainError('VALIDATION_FAILED', 'date, kind and name', {});
      const year = Number(date.slice(0, 4));
      const now = app.clock.now();
      const actor = state.access.staffId ? { actorType: 'STAFF' as const, actorId: state.access.staffId } : { actorType: 'CONSOLE' as const, actorId: state.access.account.id };
      const entry = { date, kind: kind as 'holiday' | 'workday' | 'closure', name, createdAt: now, createdBy: state.access.account.id };
      // Checked before anything is written, as `huifang calendar import` checks a year: a holiday for a
      // shipped year, or a day that would make the calendar contradictory (a make-up working day on a
      // weekday, two entries clashing), is refused and the entries stay as they were.
      const entries = await app.console.admin.listCalendarEntries();
      const previous = entries.find((e) => e.date === date) ?? null;
      const problems = checkCalendarEntryChange(app.deps.calendar, entries, { put: [entry], remove: [] });
      if (problems.some((p) => p.code === 'CALENDAR_YEAR_SHIPPED')) throw new DomainError('CALENDAR_YEAR_SHIPPED', `${year} comes with the shipped calendar`, { year });
      if (problems.length > 0) throw new DomainError('CALENDAR_DATA_INVALID', problems.map((p) => p.message).join('; '), { problems: problems.map((p) => p.message) });
      await app.console.admin.putCalendarEntry(entry, { at: now, ...actor, action: 'calendar.entry_added', entityType: 'CalendarEntry', entityId: date, details: { kind, name, replaced: previous ? { kind: previous.kind, name: previous.name } : null } });
      try {
        await app.reloadCalendarOverlay();
      } catch (err) {
        // Another replica's entry made the pair invalid meanwhile: put the day back as it was.
        if (previous) await app.console.admin.putCalendarEntry(previous, { at: now, ...actor, action: 'calendar.entry_added', entityType: 'CalendarEntry', entityId: date, details: { kind: previous.kind, name: previous.name, reason: 'restored: invalid calendar data' } });
        else await app.console.admin.removeCalendarEntry(date, { at: now, ...actor, action: 'calendar.entry_removed', entityType: 'CalendarEntry', entityId: date, details: { reason: 'invalid calendar data' } });
        await app.reloadCalendarOverlay();
        if (err instanceof DomainError) throw new DomainError('CALENDAR_DATA_INVALID', err.message, {});
        throw err;
      }
      ctx.redirect(`/console/calendar?year=${year}`);
    }),
  );

  router.post(
    '/console/calendar/entries/:date/remove',
    consoleHandler(app, async (ctx, state) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const date = String(ctx.params.date);
      const now = app.clock.now();
      const actor = state.access.staffId ? { actorType: 'STAFF' as const, actorId: state.access.staffId } : { actorType: 'CONSOLE' as const, actorId: state.access.account.id };
      await app.console.admin.removeCalendarEntry(date, { at: now, ...actor, action: 'calendar.entry_removed', entityType: 'CalendarEntry', entityId: date, details: {} });
      await app.reloadCalendarOverlay();
      ctx.redirect(`/console/calendar?year=${date.slice(0, 4)}`);
    }),
  );

  router.post(
    '/console/calendar/import',
    consoleHandler(app, async (ctx, state, form) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const yearText = (form!.get('year') ?? '').trim();
      const text = form!.get('content') ?? '';
      if (!/^\d{4}$/.test(yearText) || text.trim().length === 0) throw new DomainError('VALIDATION_FAILED', 'year and content', {});
      const year = Number(yearText);
      const file = fileName(form!.get('filename'));
      const install = form!.get('step') === 'install';
      const checked = await checkCalendarYearImport(app, { year, text, file, dryRun: !install, by: state.access.account.id });
      if (install && checked.status === 'ok') {
        const actor = state.access.staffId ? { actorType: 'STAFF' as const, actorId: state.access.staffId } : { actorType: 'CONSOLE' as const, actorId: state.access.account.id };
        const installed = await installCalendarYearImport(app, checked, actor);
        if (installed.installed) return ctx.redirect(`/console/calendar?year=${year}&imported=${year}`);
        return render(ctx, app, state, {
          title: `导入 ${year} 年节假日安排`,
          current: '/console/calendar',
          status: 409,
          body: html`<div class="card"><p class="alert bad" role="alert">导入期间日历已被修改（其他管理员或命令），本次导入未保留任何内容，请重新检查后再导入。<span class="muted small">${installed.reason}</span></p></div>${importForm(state, year, text, file)}`,
        });
      }
      render(ctx, app, state, { title: `导入 ${year} 年节假日安排`, current: '/console/calendar', status: checked.status === 'ok' ? 200 : 422, body: importPreview(state, checked, year, text, file) });
    }),
  );
}

const KIND_NAMES: Readonly<Record<string, string>> = { holiday: '放假', workday: '调休上班', closure: '本单位停业' };

/** `holiday 春节` (the import summary's wording) in Chinese: `放假 春节`. */
function describeEntry(text: string): string {
  const [kind, ...name] = text.split(' ');
  return `${KIND_NAMES[kind!] ?? kind} ${name.join(' ')}`;
}

/** The uploaded file's name as the browser gave it (no folders), or a name for pasted text. */
function fileName(given: string | null): string {
  const base = (given ?? '').split(/[\\/]/).pop()!.replace(/[^\p{L}\p{N}._ -]/gu, '').trim().slice(0, 80);
  return base || '粘贴的内容';
}

/** 导入全年安排: the year and the file's content (uploaded into the text box, or pasted), checked first. */
function importForm(state: ConsoleSessionState, year: number, text: string, file = ''): Html {
  return html`<div class="card" id="import"><h2>导入全年安排</h2>
<p class="small">国务院办公厅公布通知后，可一次导入整年的放假与调休上班日（以及本单位停业日）。文件格式与 <code>huifang calendar import</code> 相同，见 docs/calendar.md。先检查、预览将要写入的内容，确认后才导入。</p>
<form method="post" action="/console/calendar/import" class="import">${csrfField(state)}<input type="hidden" name="step" value="preview"><input type="hidden" name="filename" value="${file}" data-file-name>
<div class="import-year"><label for="import-year">年份</label><input id="import-year" name="year" inputmode="numeric" pattern="[0-9]{4}" required value="${String(year)}"></div>
<label for="import-file">选择文件（.yaml）</label><input id="import-file" type="file" accept=".yaml,.yml,text/yaml,text/plain" data-fills="import-content">
<label for="import-content">或粘贴文件内容</label><textarea id="import-content" name="content" required rows="10" spellcheck="false" placeholder="years:&#10;  - year: ${String(year)}&#10;    source: 国务院办公厅关于${String(year)}年部分节假日安排的通知（国办发明电〔…〕N号）&#10;    holidays: …">${text}</textarea>
<p><button type="submit">检查并预览</button></p></form></div>`;
}

/** The check's outcome: the problems with their lines, or what would be installed and replaced, with 确认导入. */
function importPreview(state: ConsoleSessionState, checked: CalendarImportCheck, year: number, text: string, file: string): Html {
  if (checked.status !== 'ok') {
    return html`<div class="card"><p class="alert bad" role="alert">${
      checked.status === 'shipped' ? `${year} 年的节假日安排已随系统提供，不能导入；如需更正，请在 templates/calendar/ 下添加文件（replacesPackageData: true）。` : `文件未通过检查，未导入任何内容。请按下列行号修改后重新检查：`
    }</p><ul class="problems">${checked.problems.map((p) => html`<li><code>${p}</code></li>`)}</ul></div>${importForm(state, year, text, file)}`;
  }
  const { result, content } = checked;
  const schedule = content.years.find((y) => y.schedule.year === year)!.schedule;
  const names = [...new Set(schedule.holidays.map((h) => h.name))];
  const nothing = checked.plan.change.put.length === 0 && checked.plan.change.remove.length === 0;
  return html`<div class="card"><h2>预览：${year} 年节假日安排</h2><p class="alert ok" role="status">检查通过（${file}）。确认后将在一次操作中写入，管理台和命令立即使用。</p>
<p class="small">依据：${result.source}</p>
<table class="rows"><thead><tr><th>类型</th><th>日期</th></tr></thead><tbody>
${names.map((name) => html`<tr><td data-label="放假">${name}</td><td data-label="日期">${schedule.holidays.filter((h) => h.name === name).map((h) => h.date).join('、')}</td></tr>`)}
${schedule.makeupWorkdays.length ? html`<tr><td data-label="调休上班">调休上班</td><td data-label="日期">${schedule.makeupWorkdays.map((m) => `${m.date}（${m.holiday}）`).join('、')}</td></tr>` : ''}
${content.closures.length ? html`<tr><td data-label="本单位停业">本单位停业</td><td data-label="日期">${content.closures.map((c) => `${c.date} ${c.reason}`).join('、')}</td></tr>` : ''}
</tbody></table>
<p class="small">放假 ${String(result.holidays)} 天，调休上班 ${String(result.makeupWorkdays)} 天，本单位停业 ${String(result.closures)} 天。将新增 ${String(result.added)} 条，替换 ${String(result.replaced.length)} 条，删除 ${String(result.removed.length)} 条，不变 ${String(result.unchanged)} 条。</p>
${result.replaced.length || result.removed.length ? html`<p class="alert">将替换或删除已有的日期：</p><ul class="problems">${result.replaced.map((r) => html`<li>替换 ${r.date}：${describeEntry(r.before)} → ${describeEntry(r.after)}</li>`)}${result.removed.map((r) => html`<li>删除 ${r.date}：${KIND_NAMES[r.kind] ?? r.kind} ${r.name}（文件中没有）</li>`)}</ul>` : ''}
${nothing ? html`<p class="muted">数据库中已是完全相同的安排，导入不会改变任何内容。</p>` : ''}
<form method="post" action="/console/calendar/import" class="actions">${csrfField(state)}<input type="hidden" name="step" value="install"><input type="hidden" name="year" value="${String(year)}"><input type="hidden" name="filename" value="${file}"><textarea name="content" hidden>${text}</textarea><button type="submit">确认导入</button><a class="button secondary" href="/console/calendar?year=${String(year)}">取消</a></form></div>
${importForm(state, year, text, file === '粘贴的内容' ? '' : file)}`;
}
