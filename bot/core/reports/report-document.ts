import type { DocumentLine, StaffDocument } from '../messages.js';
import type { MessageTemplates } from '../templates/catalogue.js';
import { renderRuns, renderText, textAroundCount, textRuns } from '../templates/render.js';
import { formatLocalDateTime } from '../time.js';
import { formatRate, type MonthlyReport, type ReportLinks, type SatisfactionBand } from './build-monthly-report.js';

/** The bands the staff rule acts on, in the order the summary lists them; the middle band is in the files. */
const LISTED_BANDS: readonly SatisfactionBand[] = ['ABOVE_90', 'BELOW_70', 'BELOW_50'];

/**
 * The monthly report's summary as a staff document, worded by templates/messages `monthly_report`: the
 * totals, the staff above 90 %, below 70 % and below 50 % (name lists a channel may shorten, ending
 * "…等N人"), the reporting deadline and the signed download links (the footer, never cut). Pure.
 */
export function buildReportDocument(report: MonthlyReport, links: ReportLinks, templates: Pick<MessageTemplates, 'monthlyReport'>, options: { deadlineAt?: Date } = {}): StaffDocument {
  const t = templates.monthlyReport;
  const f = report.totals;
  const more = { ...textAroundCount(t.moreNames), count: 'all' as const };
  const body: DocumentLine[] = [
    ...(options.deadlineAt ? [{ kind: 'quote' as const, runs: renderRuns(t.deadline, { deadline: formatLocalDateTime(options.deadlineAt, report.timeZone) }) }] : []),
    { kind: 'blank' },
    { kind: 'text', runs: renderRuns(t.totals, { due: f.due, done: f.done, unreachable: f.unreachable, cancelled: f.cancelled, open: f.open }) },
    { kind: 'text', runs: renderRuns(t.rates, { onTimeRate: formatRate(f.onTimeRate), contactRate: formatRate(f.contactRate), satisfactionRate: formatRate(f.satisfactionRate) }) },
    { kind: 'blank' },
    { kind: 'heading', text: t.bandsHeading },
    ...LISTED_BANDS.map((b): DocumentLine => {
      const lead = renderRuns(t.band, { band: t.bands[b] });
      const names = report.bands[b];
      if (names.length === 0) return { kind: 'text', runs: [...lead, ...textRuns(t.noNames)] };
      return { kind: 'list', layout: 'inline', lead, items: names.map((n) => textRuns(n)), separator: '、', more };
    }),
  ];
  const linkVars = { xlsx: links.xlsx, staffCsv: links.staffCsv, departmentsCsv: links.departmentsCsv, chart: links.chart };
  return {
    title: renderText(t.title, { scope: report.scopeName, year: report.month.slice(0, 4), month: Number(report.month.slice(5, 7)) }),
    body,
    footer: [{ kind: 'blank' }, { kind: 'text', runs: renderRuns(t.downloads, linkVars) }, { kind: 'text', runs: renderRuns(t.files, linkVars) }],
  };
}
