import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { EChartsOption } from 'echarts';
import { ChartFontMissingError, findChartFonts } from '../../../bot/charts/find-chart-fonts.js';
import { renderChartPng, renderChartSvg } from '../../../bot/charts/render-chart.js';
import { countPixels, decodePng, isInk } from '../../support/png-pixels.js';

const SIZE = { width: 240, height: 160 };
const whole = { x0: 0, y0: 0, x1: SIZE.width, y1: SIZE.height };

/** A chart that is nothing but one line of large text in the middle. */
const textOnly = (text: string): EChartsOption => ({
  backgroundColor: '#ffffff',
  animation: false,
  title: { text, left: 'center', top: 'middle', textStyle: { fontSize: 96, fontWeight: 'normal', color: '#000000' } },
});

describe('renderChartSvg', () => {
  it('writes a well-formed SVG of the requested size with the text escaped', () => {
    const svg = renderChartSvg(textOnly('<script>alert("满&意")</script>'), SIZE);
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toMatch(/^<svg width="240" height="160" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(&quot;满&amp;意&quot;)&lt;/script&gt;</text>');
  });

  it('refers to nothing outside the document, so it can be put inline into a page', () => {
    const svg = renderChartSvg({ ...textOnly('满意率'), xAxis: { type: 'category', data: ['a', 'b'] }, yAxis: {}, series: [{ type: 'line', data: [1, 2] }] }, SIZE);
    expect(svg).not.toMatch(/<image|<use|<script|<foreignObject|@import|@font-face/i);
    for (const [, target] of svg.matchAll(/url\(([^)]*)\)/g)) expect(target).toMatch(/^#/);
    for (const [, target] of svg.matchAll(/href="([^"]*)"/g)) expect(target).toMatch(/^#/);
  });

  it('gives every rendering its own element ids', () => {
    const option: EChartsOption = { animation: false, xAxis: { type: 'category', data: ['a', 'b'] }, yAxis: {}, series: [{ type: 'line', data: [1, 2] }] };
    const ids = (svg: string) => [...svg.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    const first = ids(renderChartSvg(option, SIZE));
    const second = ids(renderChartSvg(option, SIZE));
    expect(first.length).toBeGreaterThan(0);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  });
});

describe('renderChartPng', () => {
  it('draws a PNG of exactly the requested size', () => {
    const image = decodePng(renderChartPng(textOnly('满意'), SIZE));
    expect([image.width, image.height]).toEqual([240, 160]);
    expect(countPixels(image, whole, (_r, _g, _b, a) => a === 255)).toBe(SIZE.width * SIZE.height);
  });

  it('draws Chinese characters with the CJK font: each its own glyph, not a missing-glyph box', () => {
    const man = decodePng(renderChartPng(textOnly('满'), SIZE));
    const yi = decodePng(renderChartPng(textOnly('意'), SIZE));
    expect(countPixels(man, whole, isInk)).toBeGreaterThan(500);
    expect(countPixels(yi, whole, isInk)).toBeGreaterThan(500);
    // Characters the font lacks would all be drawn as the same box.
    expect(Buffer.from(man.rgba).equals(Buffer.from(yi.rgba))).toBe(false);
  });

  it('draws text with the given fonts only, never with the machine’s other fonts', () => {
    const image = decodePng(renderChartPng(textOnly('满意 ok'), SIZE, { files: [], family: 'Noto Sans CJK SC' }));
    expect(countPixels(image, whole, isInk)).toBe(0);
  });
});

describe('findChartFonts', () => {
  it('finds the installed CJK font (Debian fonts-noto-cjk) with its family', () => {
    const fonts = findChartFonts();
    expect(fonts.files.length).toBeGreaterThan(0);
    expect(fonts.family).toMatch(/CJK|WenQuanYi/);
  });

  it('fails naming the package to install when no CJK font is installed', () => {
    const candidates = [{ files: ['/nonexistent/fonts/NotoSansCJK-Regular.ttc'], family: 'Noto Sans CJK SC', debianPackage: 'fonts-noto-cjk' }];
    let thrown: unknown;
    try {
      findChartFonts(candidates);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ChartFontMissingError);
    expect((thrown as ChartFontMissingError).code).toBe('CHART_FONT_MISSING');
    expect((thrown as Error).message).toContain('/nonexistent/fonts/NotoSansCJK-Regular.ttc');
    expect((thrown as Error).message).toContain('apt-get install fonts-noto-cjk');
  });

  it('uses only the files of a font that exist', () => {
    const present = findChartFonts().files[0]!;
    const fonts = findChartFonts([{ files: [present, '/nonexistent/fonts/Bold.ttc'], family: 'X', debianPackage: 'x' }]);
    expect(fonts).toEqual({ files: [present], family: 'X' });
  });
});
