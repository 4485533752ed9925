import type { DocumentLine, DocumentList, StaffDocument, TextRun } from '../../core/messages.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function formatRun(run: TextRun): string {
  if ('href' in run) {
    // Only web links become links: a stored message is data, never a script.
    if (!/^https?:\/\//i.test(run.href)) return escapeHtml(run.text);
    return `<a href="${escapeHtml(run.href)}" target="_blank" rel="noopener">${escapeHtml(run.text)}</a>`;
  }
  const text = escapeHtml(run.text);
  return run.mark === 'plain' ? text : run.mark === 'strong' ? `<strong>${text}</strong>` : `<span class="${run.mark}">${text}</span>`;
}

function formatLine(line: DocumentLine): string {
  switch (line.kind) {
    case 'heading':
      return `<h5>${escapeHtml(line.text)}</h5>`;
    case 'quote':
      return `<blockquote>${line.runs.map(formatRun).join('')}</blockquote>`;
    case 'text':
      return `<p>${line.runs.map(formatRun).join('')}</p>`;
    case 'blank':
      return '';
    case 'list':
      return listHtml(line);
  }
}

/** A list not fitted to any limit: every item. */
function listHtml(list: DocumentList): string {
  if (list.layout === 'lines') return list.items.map((runs) => `<p>${runs.map(formatRun).join('')}</p>`).join('');
  const items = list.items.map((runs) => runs.map(formatRun).join('')).join(escapeHtml(list.separator ?? ''));
  return `<p>${(list.lead ?? []).map(formatRun).join('')}${items}</p>`;
}

/**
 * A staff document as an HTML fragment, as the recipient sees it: the title as a heading, sections,
 * the quote, bold and coloured runs (classes `info`, `comment`, `warning`) and links opening in a new
 * tab. Every text is escaped; only http(s) targets become links. Pass a document already fitted to the
 * channel's limit (`fitWecomDocument`) to show what WeCom shows.
 */
export function formatDocumentHtml(document: StaffDocument): string {
  const lines = [...document.body, ...document.footer].map(formatLine).join('');
  return `<div class="doc">${document.title ? `<h4>${escapeHtml(document.title)}</h4>` : ''}${lines}</div>`;
}
