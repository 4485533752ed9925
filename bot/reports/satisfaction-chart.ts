import type { TrendPoint } from '../core/reports/build-monthly-report.js';
import { GLYPH_HEIGHT, glyphPixels, textWidth } from './bitmap-font.js';
import { encodePng } from './png.js';
import { defaultChartFont, type OutlineFont, type TextBitmap } from './outline-font.js';

/** Size of the satisfaction trend chart in pixels. */
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 480;

type Rgb = readonly [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [51, 51, 51];
const GRID: Rgb = [225, 225, 225];
const LINE: Rgb = [24, 119, 242];
const GREEN: Rgb = [46, 160, 67];
const ORANGE: Rgb = [230, 140, 0];
const RED: Rgb = [210, 50, 50];

/** A raster with the few drawing operations the chart needs (no anti-aliasing). */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }
  set(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (Math.round(y) * this.width + Math.round(x)) * 3;
    this.pixels[i] = c[0];
    this.pixels[i + 1] = c[1];
    this.pixels[i + 2] = c[2];
  }
  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }
  /** A line of `thickness` pixels; `dash` > 0 draws dashes of that length. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1, dash = 0): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    const half = Math.floor(thickness / 2);
    for (let s = 0; s <= steps; s++) {
      if (dash > 0 && Math.floor(s / dash) % 2 === 1) continue;
      const x = Math.round(x0 + ((x1 - x0) * s) / steps);
      const y = Math.round(y0 + ((y1 - y0) * s) / steps);
      this.rect(x - half, y - half, thickness, thickness, c);
    }
  }
  disc(cx: number, cy: number, r: number, c: Rgb): void {
    for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) if (x * x + y * y <= r * r) this.set(cx + x, cy + y, c);
  }
  /** Text with its top-left corner at (x, y), each font pixel `scale` × `scale`. */
  text(x: number, y: number, text: string, c: Rgb, scale = 1): void {
    let cursor = x;
    for (const ch of text) {
      for (const [px, py] of glyphPixels(ch)) this.rect(cursor + px * scale, y + py * scale, scale, scale, c);
      cursor += 6 * scale;
    }
  }
  /** Anti-aliased text from an outline font, its top-left corner at (x, y). */
  bitmap(x: number, y: number, b: TextBitmap, c: Rgb): void {
    for (let j = 0; j < b.height; j++) {
      for (let i = 0; i < b.width; i++) {
        const a = b.coverage[j * b.width + i]!;
        const px = x + i;
        const py = y + j;
        if (a <= 0 || px < 0 || py < 0 || px >= this.width || py >= this.height) continue;
        const k = (py * this.width + px) * 3;
        for (let ch = 0; ch < 3; ch++) this.pixels[k + ch] = Math.round(c[ch]! * a + this.pixels[k + ch]! * (1 - a));
      }
    }
  }
  centredText(cx: number, y: number, text: string, c: Rgb, scale = 1): void {
    this.text(Math.round(cx - (textWidth(text) * scale) / 2), y, text, c, scale);
  }
}

/**
 * The satisfaction trend as a PNG line chart ({@link CHART_WIDTH} × {@link CHART_HEIGHT}): one point per
 * month (rate in %, with the number of rated follow-ups under the month), gaps for months without a rated
 * follow-up, and the band thresholds of the staff rule (90 %, 70 %, 50 %) as dashed lines. Numbers use the
 * built-in pixel font; the title and legend are Chinese when a CJK font is installed (`font`, by default
 * {@link defaultChartFont}), otherwise Latin capitals.
 */
export function renderSatisfactionChart(trend: readonly TrendPoint[], options: { font?: OutlineFont | null } = {}): Buffer {
  const font = options.font === undefined ? defaultChartFont() : options.font;
  const c = new Canvas(CHART_WIDTH, CHART_HEIGHT);
  c.rect(0, 0, CHART_WIDTH, CHART_HEIGHT, WHITE);
  const first = trend[0]?.month ?? '';
  const last = trend[trend.length - 1]?.month ?? '';
  const chinese = font !== null && font.covers('满意率趋势至奖励批评教育不发质量奖参评（）÷');
  /** Draws `zh` with the CJK font, or `latin` with the pixel font; returns the width used. */
  const label = (x: number, y: number, zh: string, latin: string, sizePx: number, scale: number, centred = false): number => {
    if (chinese) {
      const b = font.render(zh, sizePx);
      c.bitmap(Math.round(centred ? x - b.width / 2 : x), y - Math.round(b.height * 0.2), b, INK);
      return b.width;
    }
    if (centred) c.centredText(x, y, latin, INK, scale);
    else c.text(x, y, latin, INK, scale);
    return textWidth(latin) * scale;
  };
  label(CHART_WIDTH / 2, 16, `满意率趋势（${first} 至 ${last}）`, `SATISFACTION RATE ${first} TO ${last}`, 22, 2, true);

  const left = 70;
  const right = CHART_WIDTH - 30;
  const top = 60;
  const bottom = CHART_HEIGHT - 80;
  const yOf = (rate: number) => bottom - (bottom - top) * rate;

  for (let p = 0; p <= 100; p += 10) {
    const y = Math.round(yOf(p / 100));
    c.line(left, y, right, y, GRID);
    if (p % 20 === 0) c.text(left - 8 - textWidth(`${p}%`), y - Math.floor(GLYPH_HEIGHT / 2), `${p}%`, INK);
  }
  for (const [rate, colour] of [
    [0.9, GREEN],
    [0.7, ORANGE],
    [0.5, RED],
  ] as const) {
    const y = Math.round(yOf(rate));
    c.line(left, y, right, y, colour, 1, 6);
  }
  c.line(left, top, left, bottom, INK);
  c.line(left, bottom, right, bottom, INK);

  const n = Math.max(trend.length, 1);
  const step = (right - left) / n;
  const xOf = (i: number) => Math.round(left + step * (i + 0.5));
  let previous: { x: number; y: number } | null = null;
  trend.forEach((point, i) => {
    const x = xOf(i);
    c.centredText(x, bottom + 10, point.month, INK);
    c.centredText(x, bottom + 22, `N=${point.rated}`, INK);
    if (point.rate === null) {
      previous = null;
      return;
    }
    const y = Math.round(yOf(point.rate));
    if (previous) c.line(previous.x, previous.y, x, y, LINE, 3);
    previous = { x, y };
  });
  trend.forEach((point, i) => {
    if (point.rate === null) return;
    const x = xOf(i);
    const y = Math.round(yOf(point.rate));
    c.disc(x, y, 5, LINE);
    c.centredText(x, y - 16, `${(point.rate * 100).toFixed(1)}`, INK);
  });

  // Legend.
  const ly = CHART_HEIGHT - 30;
  c.line(left, ly + 3, left + 30, ly + 3, LINE, 3);
  let lx = left + 38 + label(left + 38, ly, '满意率（满意÷参评）', 'SATISFIED / RATED (%)', 14, 1) + 30;
  for (const [zh, latin, colour] of [
    ['>90% 奖励', '> 90%', GREEN],
    ['<70% 批评教育', '< 70%', ORANGE],
    ['<50% 不发质量奖', '< 50%', RED],
  ] as const) {
    c.line(lx, ly + 3, lx + 30, ly + 3, colour, 1, 6);
    lx += 38 + label(lx + 38, ly, zh, latin, 14, 1) + 30;
  }
  return encodePng(CHART_WIDTH, CHART_HEIGHT, c.pixels);
}
