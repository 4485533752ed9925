import type { DocumentLine, DocumentList, StaffDocument, TextRun } from '../../core/messages.js';
import { truncateUtf8, utf8Length } from './text-limits.js';

/** WeCom's markdown content limit in UTF-8 bytes (docs/protocols/wecom.md §4.3). */
export const MARKDOWN_BYTES = 2048;

/** A run in WeCom's markdown subset: bold, `<font color>` for info (green), comment (grey), warning (orange-red), links. */
function formatRun(run: TextRun): string {
  if ('href' in run) return `[${run.text}](${run.href})`;
  switch (run.mark) {
    case 'plain':
      return run.text;
    case 'strong':
      return `**${run.text}**`;
    default:
      return `<font color="${run.mark}">${run.text}</font>`;
  }
}

function formatRuns(runs: readonly TextRun[]): string {
  return runs.map(formatRun).join('');
}

/** A line of a document without lists: a heading, a quote, a line of runs or an empty line. */
function formatLine(line: Exclude<DocumentLine, DocumentList>): string {
  switch (line.kind) {
    case 'heading':
      return `#### ${line.text}`;
    case 'quote':
      return `> ${formatRuns(line.runs)}`;
    case 'text':
      return formatRuns(line.runs);
    case 'blank':
      return '';
  }
}

/** A list showing its first `shown` items, as plain lines: the items, then what was left out. */
function listLines(list: DocumentList, shown: number): Exclude<DocumentLine, DocumentList>[] {
  const count = list.more.count === 'all' ? list.items.length : list.items.length - shown;
  const more: TextRun[] = shown < list.items.length ? [{ text: `${list.more.before}${count}${list.more.after}`, mark: 'plain' }] : [];
  const kept = list.items.slice(0, shown);
  if (list.layout === 'lines') return [...kept.map((runs) => ({ kind: 'text' as const, runs })), ...(more.length > 0 ? [{ kind: 'text' as const, runs: more }] : [])];
  const separator: TextRun = { text: list.separator ?? '', mark: 'plain' };
  return [{ kind: 'text', runs: [...(list.lead ?? []), ...kept.flatMap((runs, i) => (i === 0 ? runs : [separator, ...runs])), ...more] }];
}

function bodyLines(document: StaffDocument, shown: readonly number[]): Exclude<DocumentLine, DocumentList>[] {
  let i = 0;
  return document.body.flatMap((line) => (line.kind === 'list' ? listLines(line, shown[i++]!) : [line]));
}

function formatBody(title: string, lines: readonly Exclude<DocumentLine, DocumentList>[]): string {
  return [`### ${title}`, ...lines.map(formatLine)].join('\n');
}

function formatFooter(document: StaffDocument): string {
  const lines = document.footer.flatMap((line) => (line.kind === 'list' ? listLines(line, line.items.length) : [line]));
  return lines.length === 0 ? '' : `\n${lines.map(formatLine).join('\n')}`;
}

/**
 * The document as WeCom will show it within `maxBytes` of markdown [2048]: its lists shortened to fit —
 * the list showing most items gives way first, on a tie the later (less important) one — each ending
 * with its "more" line; the footer is never shortened and its bytes are reserved first. The result has
 * no lists left (the sandbox shows it as WeCom would).
 */
export function fitWecomDocument(document: StaffDocument, options: { maxBytes?: number } = {}): StaffDocument {
  const budget = (options.maxBytes ?? MARKDOWN_BYTES) - utf8Length(formatFooter(document));
  const lists = document.body.filter((line): line is DocumentList => line.kind === 'list');
  const shown = lists.map((l) => l.items.length);
  while (utf8Length(formatBody(document.title, bodyLines(document, shown))) > budget) {
    let pick = -1;
    for (let i = 0; i < shown.length; i++) if (shown[i]! > 0 && (pick < 0 || shown[i]! >= shown[pick]!)) pick = i;
    if (pick < 0) break;
    shown[pick]!--;
  }
  return { title: document.title, body: bodyLines(document, shown), footer: document.footer.flatMap((line) => (line.kind === 'list' ? listLines(line, line.items.length) : [line])) };
}

/**
 * A staff document as WeCom markdown (headings, bold, `>` quotes, `<font color>`, links) within
 * `maxBytes` UTF-8 bytes [2048, WeCom's limit]: lists shortened as {@link fitWecomDocument} says, then,
 * as a last resort, the body cut at a character boundary with an ellipsis. The footer (detail and
 * download links) always ends the message whole.
 */
export function formatWecomMarkdown(document: StaffDocument, options: { maxBytes?: number } = {}): string {
  const footer = formatFooter(document);
  const budget = (options.maxBytes ?? MARKDOWN_BYTES) - utf8Length(footer);
  const fitted = fitWecomDocument(document, options);
  const body = formatBody(fitted.title, fitted.body as Exclude<DocumentLine, DocumentList>[]);
  return (utf8Length(body) > budget ? truncateUtf8(body, Math.max(0, budget)) : body) + footer;
}
