import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { parseReportLinkId } from '../../core/reports/send-monthly-reports.js';
import { noteFailedAuth, refuseIfThrottled } from '../failed-auth.js';

/**
 * `GET /r/:signed`: a monthly report file (XLSX, CSV or the trend PNG) behind a signed download link.
 * The signature covers the month, the department scope and the file, and is checked before the database
 * is asked; the file is generated on demand from the database, so replicas need no shared disk.
 */
export function reportRoutes(router: Router, app: Huifang): void {
  router.get('/r/:signed', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    refuseIfThrottled(ctx);
    const id = await app.deps.links.verify('report', ctx.params.signed!);
    if (!id) noteFailedAuth(ctx);
    const link = id ? parseReportLinkId(id) : null;
    const department = link?.rootDepartmentId ? ((await app.deps.org.loadOrgSnapshot()).departments.get(link.rootDepartmentId) ?? null) : null;
    if (!link || (link.rootDepartmentId !== null && !department)) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = '链接无效：未找到这份报表（链接不完整或已被修改）。';
      return;
    }
    const report = await app.deps.reports.loadMonthlyReport({ rootDepartmentId: link.rootDepartmentId }, link.month, app.clock.now());
    // exceljs, ECharts and resvg load with the first report file asked for, not at start-up (README, "Memory").
    const { reportFile } = await import('../../reports/report-files.js');
    const file = await reportFile(report, link.file, app.deps.templates.monthlyReport);
    ctx.type = file.contentType;
    ctx.set('X-Content-Type-Options', 'nosniff');
    const disposition = link.file === 'trend-png' ? 'inline' : 'attachment';
    ctx.set('Content-Disposition', `${disposition}; filename="${file.filename.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`);
    ctx.body = file.body;
  });
}
