// The callbacks' XML reader (bot/channels/read-xml.ts): what it refuses and why, and — on documents generated
// at random with the shapes WeCom and WeChat send (CDATA, entities, character references, repeated and
// nested elements, comments, attributes) — the same values as a general XML parser configured as the
// callbacks used one before (fast-xml-parser, a dev dependency here).
import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MAX_XML_DEPTH, XmlReadError, readXml } from '../../../bot/channels/read-xml.js';

const refused = (xml: string): string => {
  try {
    readXml(xml);
  } catch (error) {
    if (error instanceof XmlReadError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('readXml', () => {
  it('reads a WeCom card event: CDATA, nested lists, arrays by name', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <xml><ToUserName><![CDATA[ww1]]></ToUserName><CreateTime>1700000000</CreateTime>
      <SelectedItems><SelectedItem><QuestionKey><![CDATA[q1]]></QuestionKey>
      <OptionIds><OptionId><![CDATA[a]]></OptionId><OptionId><![CDATA[b]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>`;
    expect(readXml(xml, { arrays: new Set(['SelectedItem', 'OptionId']) })).toEqual({
      root: 'xml',
      value: { ToUserName: 'ww1', CreateTime: '1700000000', SelectedItems: { SelectedItem: [{ QuestionKey: 'q1', OptionIds: { OptionId: ['a', 'b'] } }] } },
    });
  });

  it('decodes the five entities and character references, keeps CDATA verbatim, and gives an empty element ""', () => {
    expect(readXml('<xml><a>1 &lt; 2 &amp;&amp; &quot;x&quot; &apos;y&apos; &#20320;&#x597D;</a><b> <![CDATA[ &lt;<b> ]]> </b><c/><d></d></xml>').value).toEqual({
      a: '1 < 2 && "x" \'y\' 你好',
      b: ' &lt;<b> ',
      c: '',
      d: '',
    });
  });

  it('treats __proto__ and constructor as plain element names', () => {
    const { value } = readXml('<xml><__proto__><polluted>1</polluted></__proto__><constructor>2</constructor></xml>');
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it.each([
    ['<!DOCTYPE x [<!ENTITY e "e">]><xml>&e;</xml>', 'a DOCTYPE or other declaration (entities are not accepted)'],
    ['<xml><!ENTITY e "e"></xml>', 'a DOCTYPE or other declaration (entities are not accepted)'],
    ['<xml>&e;</xml>', 'an unknown entity &e; (only the five of XML are accepted)'],
    ['<xml>a & b</xml>', 'a bare & (not an entity reference)'],
    ['<xml>&#xD800;</xml>', 'a character reference to no character (&#xD800;)'],
    ['<xml>&#1114112;</xml>', 'a character reference to no character (&#1114112;)'],
    ['<xml><![CDATA[open</xml>', 'an unterminated CDATA section'],
    ['<xml><!-- open</xml>', 'an unterminated comment'],
    ['<xml', 'an unterminated or malformed <xml> tag'],
    ['<xml><a>1</b></xml>', '<a> is closed by </b>'],
    ['<xml><a>1</a>', '<xml> is not closed'],
    ['<xml>text<a>1</a></xml>', '<xml> mixes text with elements'],
    ['<xml/><xml/>', 'content after the root element'],
    ['<xml/>trailing', 'content after the root element'],
    ['text<xml/>', 'no root element'],
    ['', 'no root element'],
    ['<xml><?pi x?></xml>', 'a processing instruction inside an element'],
    ['<1xml/>', 'a tag without a valid name at offset 1'],
    [`<xml>${'<a>'.repeat(MAX_XML_DEPTH)}${'</a>'.repeat(MAX_XML_DEPTH)}</xml>`, `elements nested deeper than ${MAX_XML_DEPTH} levels`],
  ])('%s → %s', (xml, reason) => {
    expect(refused(xml)).toBe(reason);
  });

  it('accepts nesting up to the limit, many siblings, comments and attributes', () => {
    expect(refused(`<xml>${'<a>'.repeat(MAX_XML_DEPTH - 1)}${'</a>'.repeat(MAX_XML_DEPTH - 1)}</xml>`)).toBe('accepted');
    expect((readXml(`<xml>${'<a/>'.repeat(5000)}</xml>`).value as { a: string[] }).a).toHaveLength(5000);
    expect(readXml('<!-- before --><xml a="1" b=\'2\'><!-- in --><x k="v">1</x></xml><!-- after -->\n').value).toEqual({ x: '1' });
  });
});

describe('readXml against a general parser', () => {
  const general = new XMLParser({ ignoreAttributes: true, ignoreDeclaration: true, parseTagValue: false, trimValues: true });
  // A small deterministic generator (mulberry32), so a failure names a reproducible seed.
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const NAMES = ['ToUserName', 'MsgType', 'Event', 'Content', 'Item', 'Key'];
  // Character references are left out: the general parser leaves them undecoded, this reader decodes them (above).
  const PIECES = ['王秀英', 'abc', ' ', '2', '&lt;', '&gt;', '&amp;', '&quot;', '&apos;', '"', "'", '>', '\n'];

  const text = (next: () => number): string => {
    let out = '';
    const n = Math.floor(next() * 6);
    for (let i = 0; i < n; i++) out += next() < 0.2 ? `<![CDATA[${['<a>', 'x & y', ' 空格 ', ']]'][Math.floor(next() * 4)]}]]>` : PIECES[Math.floor(next() * PIECES.length)]!;
    return out;
  };
  const element = (next: () => number, depth: number): string => {
    const name = NAMES[Math.floor(next() * NAMES.length)]!;
    const attrs = next() < 0.2 ? ' id="1"' : '';
    if (depth >= 4 || next() < 0.5) return next() < 0.1 ? `<${name}${attrs}/>` : `<${name}${attrs}>${text(next)}</${name}>`;
    const n = 1 + Math.floor(next() * 4);
    let inner = '';
    for (let i = 0; i < n; i++) inner += (next() < 0.3 ? '\n  ' : '') + element(next, depth + 1) + (next() < 0.1 ? '<!-- c -->' : '');
    return `<${name}${attrs}>${inner}</${name}>`;
  };

  it('gives the same values on 2,000 generated callback-shaped documents', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const xml = `${next() < 0.5 ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''}<xml>${Array.from({ length: 1 + Math.floor(next() * 5) }, () => element(next, 1)).join('')}</xml>`;
      expect(XMLValidator.validate(xml), `seed ${seed}: ${xml}`).toBe(true);
      expect(readXml(xml).value, `seed ${seed}: ${xml}`).toEqual((general.parse(xml) as { xml: unknown }).xml);
    }
  });
});
