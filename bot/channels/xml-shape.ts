/**
 * What the XML of a callback must look like before any parser sees it (WeCom, WeChat): no DOCTYPE or
 * other `<!…>` declaration (so no entity can be defined, expanded or fetched — no XXE), and elements
 * nested at most {@link MAX_XML_DEPTH} deep (the validators recurse: thousands of levels would exhaust
 * the stack). Checked in one pass without a parser; the body size is capped where it is read.
 */

/** Deepest element nesting accepted; WeCom's card events nest four levels. */
export const MAX_XML_DEPTH = 16;

/** Why `xml` is refused before parsing, or null when a parser may read it. */
export function xmlShapeProblem(xml: string, maxDepth = MAX_XML_DEPTH): string | null {
  let depth = 0;
  let at = xml.indexOf('<');
  while (at !== -1) {
    if (xml.startsWith('<![CDATA[', at)) {
      const end = xml.indexOf(']]>', at + 9);
      if (end === -1) return 'an unterminated CDATA section';
      at = xml.indexOf('<', end + 3);
      continue;
    }
    if (xml.startsWith('<!--', at)) {
      const end = xml.indexOf('-->', at + 4);
      if (end === -1) return 'an unterminated comment';
      at = xml.indexOf('<', end + 3);
      continue;
    }
    if (xml.startsWith('<!', at)) return 'a DOCTYPE or other declaration (entities are not accepted)';
    const end = xml.indexOf('>', at + 1);
    if (end === -1) return 'an unterminated tag';
    if (xml[at + 1] === '/') depth--;
    else if (xml[at + 1] !== '?' && xml[end - 1] !== '/') {
      depth++;
      if (depth > maxDepth) return `elements nested deeper than ${maxDepth} levels`;
    }
    at = xml.indexOf('<', end + 1);
  }
  return null;
}
