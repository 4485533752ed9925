import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Chinese text for charts, drawn from an installed OpenType font (Debian `fonts-noto-cjk`) through
 * fontkit, which reads the glyph outlines; the outlines are filled here with anti-aliasing (exact
 * horizontal coverage, 4 sub-rows per pixel, non-zero winding). Optional: when no CJK font is
 * installed, {@link defaultChartFont} returns null and charts fall back to their built-in Latin pixel font.
 */

/** Fonts tried in order; a collection (.ttc) contributes its Simplified Chinese face. */
export const CJK_FONT_CANDIDATES = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc',
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
] as const;

/** Anti-aliased text: `coverage` is row-major, `width` × `height`, 0 (none) … 1 (full ink). */
export interface TextBitmap {
  width: number;
  height: number;
  coverage: Float32Array;
}

/** A font that can draw a line of text. */
export interface OutlineFont {
  /** The face's PostScript name (NotoSansCJKsc-Regular …). */
  readonly name: string;
  /** True when the font has a glyph for every character of `text`. */
  covers(text: string): boolean;
  /** Renders `text` at `sizePx` pixels per em; the bitmap's top is the ascender line. */
  render(text: string, sizePx: number): TextBitmap;
}

interface FkCommand {
  command: 'moveTo' | 'lineTo' | 'quadraticCurveTo' | 'bezierCurveTo' | 'closePath';
  args: number[];
}
interface FkFont {
  postscriptName: string;
  unitsPerEm: number;
  ascent: number;
  descent: number;
  hasGlyphForCodePoint(codePoint: number): boolean;
  layout(text: string): { glyphs: { path: { commands: FkCommand[] } }[]; positions: { xAdvance: number; xOffset: number; yOffset: number }[] };
}
interface FkCollection {
  fonts?: FkFont[];
}

let cached: OutlineFont | null | undefined;

/** The first installed CJK font of {@link CJK_FONT_CANDIDATES}, loaded once; null when none is usable. */
export function defaultChartFont(): OutlineFont | null {
  if (cached === undefined) cached = loadOutlineFont(CJK_FONT_CANDIDATES.filter((p) => existsSync(p)));
  return cached;
}

/** Loads the first of `paths` that fontkit can open and that has Chinese glyphs; null otherwise. */
export function loadOutlineFont(paths: readonly string[]): OutlineFont | null {
  let fontkit: { openSync(path: string): FkFont | FkCollection };
  try {
    fontkit = createRequire(import.meta.url)('fontkit') as typeof fontkit;
  } catch {
    return null;
  }
  for (const path of paths) {
    try {
      const opened = fontkit.openSync(path);
      const faces = 'fonts' in opened && opened.fonts ? opened.fonts : [opened as FkFont];
      const face = faces.find((f) => /sc|SC|GB/.test(f.postscriptName)) ?? faces[0];
      if (face && face.hasGlyphForCodePoint('满'.codePointAt(0)!)) return new FontkitOutlineFont(face);
    } catch {
      // Not a font fontkit can read: try the next one.
    }
  }
  return null;
}

class FontkitOutlineFont implements OutlineFont {
  readonly name: string;
  constructor(private readonly font: FkFont) {
    this.name = font.postscriptName;
  }

  covers(text: string): boolean {
    for (const ch of text) if (ch.trim() !== '' && !this.font.hasGlyphForCodePoint(ch.codePointAt(0)!)) return false;
    return true;
  }

  render(text: string, sizePx: number): TextBitmap {
    const scale = sizePx / this.font.unitsPerEm;
    const run = this.font.layout(text);
    const ascent = Math.ceil(this.font.ascent * scale);
    const height = ascent + Math.ceil(-this.font.descent * scale);
    const advance = run.positions.reduce((sum, p) => sum + p.xAdvance, 0);
    const width = Math.max(1, Math.ceil(advance * scale) + 1);
    // Edges of every glyph, flattened to line segments, in pixel coordinates (y down).
    const edges: number[] = [];
    let penX = 0;
    run.glyphs.forEach((glyph, i) => {
      const pos = run.positions[i]!;
      const ox = (penX + pos.xOffset) * scale;
      const oy = ascent - pos.yOffset * scale;
      flatten(glyph.path.commands, (x, y) => [ox + x * scale, oy - y * scale], edges);
      penX += pos.xAdvance;
    });
    return { width, height, coverage: fill(edges, width, height) };
  }
}

/** Flattens outline commands into segments [x0, y0, x1, y1, …]; curves become 8 straight pieces each. */
function flatten(commands: readonly FkCommand[], map: (x: number, y: number) => [number, number], out: number[]): void {
  let start: [number, number] = [0, 0];
  let current: [number, number] = [0, 0];
  const lineTo = (p: [number, number]) => {
    out.push(current[0], current[1], p[0], p[1]);
    current = p;
  };
  const STEPS = 8;
  for (const c of commands) {
    const a = c.args;
    switch (c.command) {
      case 'moveTo':
        if (current[0] !== start[0] || current[1] !== start[1]) lineTo(start);
        start = current = map(a[0]!, a[1]!);
        break;
      case 'lineTo':
        lineTo(map(a[0]!, a[1]!));
        break;
      case 'quadraticCurveTo': {
        const p0 = current;
        const p1 = map(a[0]!, a[1]!);
        const p2 = map(a[2]!, a[3]!);
        for (let s = 1; s <= STEPS; s++) {
          const t = s / STEPS;
          const u = 1 - t;
          lineTo([u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0], u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1]]);
        }
        break;
      }
      case 'bezierCurveTo': {
        const p0 = current;
        const p1 = map(a[0]!, a[1]!);
        const p2 = map(a[2]!, a[3]!);
        const p3 = map(a[4]!, a[5]!);
        for (let s = 1; s <= STEPS; s++) {
          const t = s / STEPS;
          const u = 1 - t;
          const b0 = u * u * u;
          const b1 = 3 * u * u * t;
          const b2 = 3 * u * t * t;
          const b3 = t * t * t;
          lineTo([b0 * p0[0] + b1 * p1[0] + b2 * p2[0] + b3 * p3[0], b0 * p0[1] + b1 * p1[1] + b2 * p2[1] + b3 * p3[1]]);
        }
        break;
      }
      case 'closePath':
        lineTo(start);
        break;
    }
  }
  if (current[0] !== start[0] || current[1] !== start[1]) lineTo(start);
}

/** Non-zero-winding coverage of the closed polygons in `edges`. */
function fill(edges: readonly number[], width: number, height: number): Float32Array {
  const coverage = new Float32Array(width * height);
  const SUB = 4;
  const crossings: { x: number; dir: number }[] = [];
  for (let row = 0; row < height * SUB; row++) {
    const y = (row + 0.5) / SUB;
    crossings.length = 0;
    for (let i = 0; i < edges.length; i += 4) {
      const x0 = edges[i]!;
      const y0 = edges[i + 1]!;
      const x1 = edges[i + 2]!;
      const y1 = edges[i + 3]!;
      if (y0 === y1 || y < Math.min(y0, y1) || y >= Math.max(y0, y1)) continue;
      crossings.push({ x: x0 + ((y - y0) * (x1 - x0)) / (y1 - y0), dir: y1 > y0 ? 1 : -1 });
    }
    crossings.sort((a, b) => a.x - b.x);
    let winding = 0;
    const py = Math.floor(row / SUB);
    for (let i = 0; i < crossings.length - 1; i++) {
      winding += crossings[i]!.dir;
      if (winding === 0) continue;
      const from = Math.max(0, crossings[i]!.x);
      const to = Math.min(width, crossings[i + 1]!.x);
      for (let px = Math.floor(from); px < to && px < width; px++) {
        const overlap = Math.min(to, px + 1) - Math.max(from, px);
        if (overlap > 0) coverage[py * width + px]! += overlap / SUB;
      }
    }
  }
  for (let i = 0; i < coverage.length; i++) if (coverage[i]! > 1) coverage[i] = 1;
  return coverage;
}
