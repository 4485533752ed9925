import type { DocumentLine, StaffDocument, TextRun } from '../../core/messages.js';

function runsText(runs: readonly TextRun[]): string {
  return runs.map((r) => ('href' in r ? `${r.text} <${r.href}>` : r.text)).join('');
}

function lineTexts(line: DocumentLine): string[] {
  switch (line.kind) {
    case 'heading':
      return [line.text];
    case 'quote':
      return [`  ${runsText(line.runs)}`];
    case 'text':
      return [runsText(line.runs)];
    case 'blank':
      return [''];
    case 'list':
      return line.layout === 'lines'
        ? line.items.map(runsText)
        : [`${runsText(line.lead ?? [])}${line.items.map(runsText).join(line.separator ?? '')}`];
  }
}

/**
 * A staff document as plain text for a terminal (the demo, the CLI): the title, then each line, marks
 * dropped, links written `text <url>`, the quote indented. Lists are shown whole; fit the document to a
 * channel's limit first (`fitWecomDocument`) to show what that channel shows.
 */
export function formatDocumentText(document: StaffDocument): string {
  return [document.title, ...[...document.body, ...document.footer].flatMap(lineTexts)].join('\n');
}
