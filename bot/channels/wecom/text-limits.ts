/**
 * Length limits of WeCom message fields. WeCom states some limits in characters ("建议不超过 N 个字",
 * display guidance for template cards) and others in UTF-8 bytes (text content, keys, task_id); see
 * docs/protocols/wecom.md §4.3–§4.4. Truncation never splits a user-perceived character (grapheme), so a
 * surrogate pair or an emoji sequence is kept whole or dropped whole.
 */

/** What a shortened text ends with. */
export const ELLIPSIS = '…';

const segmenter = new Intl.Segmenter('zh', { granularity: 'grapheme' });

function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** Number of user-perceived characters (graphemes) in `text`. */
export function charLength(text: string): number {
  return graphemes(text).length;
}

/** Number of UTF-8 bytes of `text` (a CJK character is 3 bytes). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * `text` cut to at most `max` characters (graphemes); a cut text ends with {@link ELLIPSIS}, which
 * counts towards `max`.
 */
export function truncateChars(text: string, max: number): string {
  const chars = graphemes(text);
  if (chars.length <= max) return text;
  if (max <= 0) return '';
  return chars.slice(0, max - 1).join('') + ELLIPSIS;
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes; a cut text ends with {@link ELLIPSIS} (3 bytes),
 * which counts towards `maxBytes`.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Length(ELLIPSIS);
  if (budget < 0) return '';
  let out = '';
  let used = 0;
  for (const g of graphemes(text)) {
    const size = utf8Length(g);
    if (used + size > budget) break;
    out += g;
    used += size;
  }
  return out + ELLIPSIS;
}
