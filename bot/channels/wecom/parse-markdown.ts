import type { DocumentLine, StaffDocument, TextMark, TextRun } from '../../core/messages.js';

const INLINE = /\*\*([^*]+)\*\*|<font color="(info|comment|warning)">([\s\S]*?)<\/font>|\[([^\]]*)\]\(([^)\s]*)\)/g;

function parseRuns(text: string): TextRun[] {
  const runs: TextRun[] = [];
  let at = 0;
  const plain = (s: string) => {
    if (s) runs.push({ text: s, mark: 'plain' });
  };
  for (const m of text.matchAll(INLINE)) {
    plain(text.slice(at, m.index));
    at = m.index + m[0].length;
    if (m[1] !== undefined) runs.push({ text: m[1], mark: 'strong' });
    else if (m[2] !== undefined) runs.push({ text: m[3]!, mark: m[2] as TextMark });
    else runs.push({ text: m[4]!, href: m[5]! });
  }
  plain(text.slice(at));
  return runs;
}

/**
 * Reads WeCom markdown as earlier versions stored it (outbox payloads of kind `staff_markdown`) back
 * into a staff document, so the sandbox can show such a message as WeCom does: a leading `### ` line is
 * the title, `#### ` lines are headings, `> ` lines quotes; `**bold**`, `<font color>` and links are
 * runs. Anything else stays text as written.
 */
export function parseWecomMarkdown(markdown: string): StaffDocument {
  const lines = markdown.split('\n');
  const title = lines[0]?.startsWith('### ') ? lines.shift()!.slice(4) : '';
  const body: DocumentLine[] = lines.map((line): DocumentLine => {
    if (line.trim() === '') return { kind: 'blank' };
    if (/^#{1,6} /.test(line)) return { kind: 'heading', text: line.replace(/^#{1,6} /, '') };
    if (line.startsWith('> ')) return { kind: 'quote', runs: parseRuns(line.slice(2)) };
    return { kind: 'text', runs: parseRuns(line) };
  });
  return { title, body, footer: [] };
}
