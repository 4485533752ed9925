/**
 * A strict, one-pass reader for the small XML documents WeCom and WeChat post to their callback URLs
 * (docs/protocols/wecom.md §6–§7): `<xml>` holding elements whose content is text, CDATA or further
 * elements. It checks well-formedness and builds the values in the same pass — a general parser plus its
 * validator read each body twice and were half of a WeCom callback's own CPU.
 *
 * What it accepts: an optional XML declaration, comments and whitespace around the root; elements with
 * attributes (ignored, as the callbacks carry none that matter); text with the five predefined entities
 * and character references; CDATA sections; elements nested at most {@link MAX_XML_DEPTH} deep. What it
 * refuses, with the reason: a DOCTYPE or any other `<!…>` declaration (no entity can be defined, expanded
 * or fetched: no XXE), processing instructions other than the declaration, unknown entities, character
 * references to no character, unmatched or unterminated tags, text mixed with child elements, anything
 * after the root element, nesting deeper than the limit.
 *
 * Values: an element with text (or nothing) is its text — each run of text outside CDATA trimmed of
 * surrounding whitespace, CDATA kept verbatim, as the general parser the callbacks used before gave it; an element
 * with child elements is an object of them by name; a name that occurs more than once among siblings, or
 * that is listed in `arrays`, is an array of the values in document order.
 */

/** Deepest element nesting accepted; WeCom's card events nest four levels. */
export const MAX_XML_DEPTH = 16;

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** Why a document was refused. */
export class XmlReadError extends Error {
  override readonly name = 'XmlReadError';
}

export interface ReadXmlOptions {
  /** Element names whose values are always arrays, however many there are. */
  arrays?: ReadonlySet<string>;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTRIBUTES = /(?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Reads `xml`; returns the root element's name and value. @throws XmlReadError */
export function readXml(xml: string, options: ReadXmlOptions = {}): { root: string; value: XmlValue } {
  const arrays = options.arrays ?? new Set<string>();
  let at = 0;
  const fail = (reason: string): never => {
    throw new XmlReadError(reason);
  };
  const skipSpace = () => {
    while (at < xml.length && (xml[at] === ' ' || xml[at] === '\n' || xml[at] === '\r' || xml[at] === '\t')) at++;
  };
  /** Skips comments and whitespace (and, before the root, the declaration); false at anything else. */
  const skipMisc = (prolog: boolean) => {
    for (;;) {
      skipSpace();
      if (xml.startsWith('<!--', at)) {
        const end = xml.indexOf('-->', at + 4);
        if (end === -1) fail('an unterminated comment');
        at = end + 3;
      } else if (prolog && at === 0 && xml.startsWith('<?xml', at)) {
        const end = xml.indexOf('?>', at);
        if (end === -1) fail('an unterminated XML declaration');
        at = end + 2;
      } else return;
    }
  };
  const readName = (): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(xml);
    if (!m) return fail(`a tag without a valid name at offset ${at}`);
    at += m[0].length;
    return m[0];
  };
  const decode = (text: string): string => {
    if (!text.includes('&')) return text;
    return text.replace(/&([^;&<]*);|&/g, (_whole, ref: string | undefined) => {
      if (ref === undefined) return fail('a bare & (not an entity reference)');
      if (ref[0] === '#') {
        const m = /^#(?:x([0-9A-Fa-f]{1,6})|(\d{1,7}))$/.exec(ref);
        const code = m ? (m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2])) : Number.NaN;
        // Decoded as written (`&#0;` included): what a database cannot store is refused by the caller.
        if (!Number.isInteger(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return fail(`a character reference to no character (&${ref};)`);
        return String.fromCodePoint(code);
      }
      const named = PREDEFINED[ref];
      if (named === undefined) return fail(`an unknown entity &${ref}; (only the five of XML are accepted)`);
      return named;
    });
  };
  /** Reads the element whose `<` is at `at`; returns its name and value. */
  const readElement = (depth: number): [string, XmlValue] => {
    if (depth > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH} levels`);
    at++; // '<'
    const name = readName();
    ATTRIBUTES.lastIndex = at;
    at += ATTRIBUTES.exec(xml)![0].length;
    if (xml.startsWith('/>', at)) {
      at += 2;
      return [name, ''];
    }
    if (xml[at] !== '>') fail(`an unterminated or malformed <${name}> tag`);
    at++;
    let text = '';
    let children: XmlObject | null = null;
    let repeated: Set<string> | null = null;
    for (;;) {
      const lt = xml.indexOf('<', at);
      if (lt === -1) return fail(`<${name}> is not closed`);
      // Each run of text is trimmed on its own; CDATA is kept as it is.
      if (lt > at) text += decode(xml.slice(at, lt)).trim();
      at = lt;
      if (xml.startsWith('<![CDATA[', at)) {
        const end = xml.indexOf(']]>', at + 9);
        if (end === -1) fail('an unterminated CDATA section');
        text += xml.slice(at + 9, end);
        at = end + 3;
      } else if (xml.startsWith('<!--', at)) {
        const end = xml.indexOf('-->', at + 4);
        if (end === -1) fail('an unterminated comment');
        at = end + 3;
      } else if (xml.startsWith('<!', at)) {
        fail('a DOCTYPE or other declaration (entities are not accepted)');
      } else if (xml[at + 1] === '?') {
        fail('a processing instruction inside an element');
      } else if (xml[at + 1] === '/') {
        at += 2;
        const closing = readName();
        skipSpace();
        if (closing !== name || xml[at] !== '>') fail(`<${name}> is closed by </${closing}>`);
        at++;
        if (children === null) return [name, text];
        if (text !== '') fail(`<${name}> mixes text with elements`);
        return [name, children];
      } else {
        const [child, value] = readElement(depth + 1);
        // No prototype: an element named __proto__ or constructor is a plain key.
        children ??= Object.create(null) as XmlObject;
        if (!Object.hasOwn(children, child)) children[child] = arrays.has(child) ? [value] : value;
        else {
          repeated ??= new Set();
          const existing = children[child]!;
          if (arrays.has(child) || repeated.has(child)) (existing as XmlValue[]).push(value);
          else {
            children[child] = [existing, value];
            repeated.add(child);
          }
        }
      }
    }
  };

  skipMisc(true);
  if (xml.startsWith('<!', at)) fail('a DOCTYPE or other declaration (entities are not accepted)');
  if (xml[at] !== '<' || xml[at + 1] === '/' || xml[at + 1] === '?') fail('no root element');
  const [root, value] = readElement(1);
  skipMisc(false);
  if (at < xml.length) fail(xml.startsWith('<!', at) ? 'a DOCTYPE or other declaration (entities are not accepted)' : 'content after the root element');
  return { root, value };
}
