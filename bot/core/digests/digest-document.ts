import type { DocumentLine, StaffDocument, TextRun } from '../messages.js';
import type { MessageTemplates } from '../templates/catalogue.js';
import type { EscalationReason } from '../escalation/rules.js';
import { joinRuns, renderRuns, renderText, textAroundCount, textRuns } from '../templates/render.js';
import { formatChineseDate, formatLocalDate, formatLocalDateTime } from '../time.js';
import { weekdayName } from '../calendar/local-date.js';
import type { DigestEscalation, DigestFigures, WeeklyDigest } from './build-digest.js';
import { maskPhonesInText } from '../phone.js';

/**
 * The weekly digest as a staff document, worded by templates/messages `weekly_digest`: the title, the
 * period, the figures (never shortened), then the lists in order of importance — open escalations
 * (oldest first), staff, tasks becoming overdue, departments (only with more than one) — which a
 * channel with a size limit shortens, each ending in `more` ("…另有N项"). `detailUrl` (the signed link
 * to the full tables) is the footer, which is never cut. Pure.
 */
export function buildDigestDocument(
  digest: WeeklyDigest,
  templates: Pick<MessageTemplates, 'weeklyDigest' | 'labels'>,
  options: { detailUrl?: string; /** Next year, when its holiday schedule is missing (administrators' digests from 1 November). */ missingCalendarYear?: number } = {},
): StaffDocument {
  const t = templates.weeklyDigest;
  const tz = digest.period.timeZone;
  const f = digest.figures;
  const day = (instant: Date) => renderText(t.day, { date: formatChineseDate(instant, tz), weekday: weekdayName(formatLocalDate(instant, tz)) });
  const last = new Date(digest.period.to.getTime() - 1);
  const change =
    digest.satisfactionChange === null
      ? renderRuns(digest.previousSatisfactionRate === null ? t.noPrevious : t.noRating, {})
      : renderRuns(digest.satisfactionChange < 0 ? t.changeDown : t.changeUp, { points: signed(digest.satisfactionChange * 100) });
  const body: DocumentLine[] = [
    { kind: 'quote', runs: renderRuns(t.period, { manager: digest.manager, from: day(digest.period.from), to: day(last), asOf: formatLocalDateTime(digest.asOf, tz) }) },
    { kind: 'blank' },
    // Above the figures: the one item the administrator has to act on, and a channel never cuts it.
    ...(options.missingCalendarYear !== undefined ? [{ kind: 'text' as const, runs: renderRuns(t.calendarMissing, { year: options.missingCalendarYear }) }, { kind: 'blank' as const }] : []),
    { kind: 'text', runs: renderRuns(t.totals, { due: f.due, staffTasks: f.staffTasks, surveys: f.surveys, done: f.done, unreachable: f.unreachable, cancelled: f.cancelled, open: f.open }) },
    {
      kind: 'text',
      runs: renderRuns(t.timeliness, {
        doneOnTime: f.doneOnTime,
        overdue: renderRuns(f.overdue > 0 ? t.overdue : t.noOverdue, { count: f.overdue }),
        overdueOpen: f.overdueOpen,
        doneLate: f.doneLate,
        onTimeRate: percent(f.onTimeRate),
      }),
    },
    { kind: 'text', runs: renderRuns(t.rates, { contactRate: percent(f.contactRate), satisfactionRate: percent(f.satisfactionRate), change }) },
    ...(digest.overdueBacklog > 0 ? [{ kind: 'text' as const, runs: renderRuns(t.backlog, { count: digest.overdueBacklog }) }] : []),
  ];
  const row = (r: DigestFigures) => {
    const parts = [renderRuns(t.rowDue, { due: r.due }), renderRuns(t.rowDone, { done: r.done, doneOnTime: r.doneOnTime })];
    if (r.unreachable) parts.push(renderRuns(t.rowUnreachable, { count: r.unreachable }));
    if (r.overdue) parts.push(renderRuns(t.rowOverdue, { count: r.overdue }));
    if (r.open) parts.push(renderRuns(t.rowOpen, { count: r.open }));
    return joinRuns(parts, '｜');
  };
  const sections: { heading: string; items: TextRun[][] }[] = [
    {
      heading: renderText(t.escalations, { count: digest.openEscalations.length }),
      items: digest.openEscalations.map((e) =>
        // The deadline, not the opening date, is what the owner acts on (the opening date plus the policy's SLA).
        [
          ...renderRuns(e.isPastDeadline ? t.escalationPastDeadline : t.escalation, {
            owner: e.ownerName,
            customer: e.customer,
            reason: templates.labels.escalationReasons[e.reason as EscalationReason] ?? e.reason,
            level: e.level !== undefined && e.level > 1 ? renderRuns(t.escalationLevel, { level: e.level }) : '',
            date: formatChineseDate(e.deadlineAt, tz),
          }),
          ...evidenceRuns(e, t, tz),
        ],
      ),
    },
    { heading: t.byStaff, items: digest.byStaff.map((r) => renderRuns(t.staffRow, { name: r.name ?? t.unassigned, figures: row(r) })) },
    {
      heading: renderText(t.becomingOverdue, { count: digest.becomingOverdue.length }),
      items: digest.becomingOverdue.map((u) => textRuns([formatLocalDateTime(u.deadlineAt, tz).slice(5), u.assigneeName ?? t.unassigned, u.title, u.customer].filter(Boolean).join('｜'))),
    },
    {
      heading: t.byDepartment,
      // A single department repeats the totals above: the breakdown only when there is one.
      items: digest.byDepartment.length > 1 ? digest.byDepartment.map((r) => renderRuns(t.departmentRow, { name: r.name, figures: row(r), satisfactionRate: percent(r.satisfactionRate) })) : [],
    },
  ];
  const more = { ...textAroundCount(t.more), count: 'left_out' as const };
  for (const s of sections) {
    if (s.items.length === 0) continue;
    body.push({ kind: 'blank' }, { kind: 'heading', text: s.heading }, { kind: 'list', layout: 'lines', items: s.items, more });
  }
  const title = renderText(t.title, { departments: digest.departments.join('、') });
  return { title, body, footer: options.detailUrl ? [{ kind: 'blank' }, { kind: 'text', runs: renderRuns(t.detailLink, { url: options.detailUrl }) }] : [] };
}

/** A rate as `87.5%`, or `—` without a denominator. */
function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** Percentage points with their sign: `+25.0`, `-3.5`, `0.0`. */
function signed(n: number): string {
  const s = n.toFixed(1);
  return n > 0 ? `+${s}` : s === '-0.0' ? '0.0' : s;
}

/** Longest excerpt of a report's words in a digest line. */
const EVIDENCE_NOTE_CHARS = 20;

/** The reports of an escalation, for its digest line: source, local time, the words shortened with phones masked. */
function evidenceRuns(e: DigestEscalation, t: MessageTemplates['weeklyDigest'], tz: string): TextRun[] {
  const evidence = e.evidence ?? [];
  if (evidence.length === 0) return [];
  const items = evidence.map((x) => {
    const source = t.evidenceSources[x.source as keyof typeof t.evidenceSources] ?? x.source;
    const time = formatLocalDateTime(x.at, tz).slice(5);
    const words = x.note ? maskPhonesInText(x.note).replace(/\s+/g, ' ').trim() : '';
    const note = [...words].length > EVIDENCE_NOTE_CHARS ? `${[...words].slice(0, EVIDENCE_NOTE_CHARS).join('')}…` : words;
    return note ? renderRuns(t.evidenceItem, { source, time, note }) : renderRuns(t.evidenceItemBare, { source, time });
  });
  return renderRuns(t.escalationEvidence, { count: e.evidenceCount ?? evidence.length, items: joinRuns(items, '；') });
}
