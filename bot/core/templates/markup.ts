import type { TextMark } from '../messages.js';

/**
 * One piece of a marked template text, placeholders (`{name}`) still in it: text with one mark, or a
 * link whose text and target may hold placeholders.
 */
export type MarkupSegment = { text: string; mark: TextMark } | { text: string; href: string };

/** Marks a template writes as tags: `<warning>…</warning>` and so on. */
const TAG_MARKS = ['info', 'comment', 'warning'] as const;

const TOKEN = /\*\*([\s\S]*?)\*\*|<(info|comment|warning)>([\s\S]*?)<\/\2>|\[([^\]\n]*)\]\(([^)\s]*)\)/g;
const STRAY = /\*\*|<\/?(?:info|comment|warning)>|\]\(/;
const CHANNEL_MARKUP = /<\/?font\b|^#{1,6}\s|^>\s/m;

/**
 * Splits a template text written with the neutral marks into segments: `**strong**`,
 * `<info>…</info>`, `<comment>…</comment>`, `<warning>…</warning>` and links `[text](target)` (the
 * target usually a placeholder, `[下载 Excel 报表]({xlsx})`). Marks do not nest. Pure; returns the
 * reason instead of segments when the text is not well formed, for the loader to report with its line.
 */
export function parseMarkup(text: string): { segments: MarkupSegment[] } | { problem: string } {
  if (CHANNEL_MARKUP.test(text)) {
    return { problem: 'channel markup (<font>, # headings, > quotes) is added by each channel: mark text with **…**, <info>…</info>, <comment>…</comment> or <warning>…</warning>' };
  }
  const segments: MarkupSegment[] = [];
  let at = 0;
  const plain = (s: string): string | null => {
    if (STRAY.test(s)) return `unbalanced mark in "${s.trim()}": every ** and <tag> needs its closing pair, and a link is written [text](target)`;
    if (s) segments.push({ text: s, mark: 'plain' });
    return null;
  };
  for (const m of text.matchAll(TOKEN)) {
    const problem = plain(text.slice(at, m.index));
    if (problem) return { problem };
    at = m.index + m[0].length;
    if (m[4] !== undefined) {
      if (m[4] === '' || m[5] === '') return { problem: `a link needs a text and a target: "${m[0]}"` };
      segments.push({ text: m[4], href: m[5]! });
      continue;
    }
    const inner = m[1] ?? m[3]!;
    if (inner === '') return { problem: `empty mark "${m[0]}"` };
    if (STRAY.test(inner) || /<(?:info|comment|warning)>|\[[^\]]*\]\(/.test(inner)) return { problem: `marks do not nest: "${m[0]}"` };
    segments.push({ text: inner, mark: m[1] !== undefined ? 'strong' : (m[2] as (typeof TAG_MARKS)[number]) });
  }
  const problem = plain(text.slice(at));
  return problem ? { problem } : { segments };
}
