import { crc32, inflateSync } from 'node:zlib';

/** A decoded image: `rgba` is row-major, 4 bytes per pixel. */
export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array;
  /** Chunk types in file order (IHDR, IDAT…, IEND). */
  chunks: string[];
}

/**
 * Decodes an 8-bit, non-interlaced RGB or RGBA PNG, checking the signature and every chunk's CRC;
 * throws on anything else. Written for the tests from the PNG specification (RFC 2083), independently
 * of the renderer that produced the file.
 */
export function decodePng(png: Buffer): DecodedPng {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => png[i] === b)) throw new Error('not a PNG signature');
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let header: { width: number; height: number; channels: number } | null = null;
  for (let i = 8; i < png.length; ) {
    const length = png.readUInt32BE(i);
    const type = png.toString('latin1', i + 4, i + 8);
    const data = png.subarray(i + 8, i + 8 + length);
    if (png.readUInt32BE(i + 8 + length) !== crc32(png.subarray(i + 4, i + 8 + length))) throw new Error(`bad CRC in ${type}`);
    chunks.push(type);
    if (type === 'IHDR') {
      const [depth, colourType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), channels: colourType === 6 ? 4 : 3 };
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    i += 12 + length;
  }
  if (!header || chunks[0] !== 'IHDR' || chunks[chunks.length - 1] !== 'IEND') throw new Error('PNG without IHDR or IEND');
  const { width, height, channels } = header;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== (stride + 1) * height) throw new Error(`image data of ${raw.length} bytes for ${width} × ${height}`);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      let predictor: number;
      if (filter === 0) predictor = 0;
      else if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`unknown filter ${filter} on row ${y}`);
      pixels[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let ch = 0; ch < 3; ch++) rgba[p * 4 + ch] = pixels[p * channels + ch]!;
    rgba[p * 4 + 3] = channels === 4 ? pixels[p * channels + 3]! : 255;
  }
  return { width, height, rgba, chunks };
}

/** Pixels in the box (inclusive of `x0`, `y0`, exclusive of `x1`, `y1`) for which `test(r, g, b, a)` holds. */
export function countPixels(image: DecodedPng, box: { x0: number; y0: number; x1: number; y1: number }, test: (r: number, g: number, b: number, a: number) => boolean): number {
  let n = 0;
  for (let y = Math.max(0, box.y0); y < Math.min(image.height, box.y1); y++) {
    for (let x = Math.max(0, box.x0); x < Math.min(image.width, box.x1); x++) {
      const i = (y * image.width + x) * 4;
      if (test(image.rgba[i]!, image.rgba[i + 1]!, image.rgba[i + 2]!, image.rgba[i + 3]!)) n++;
    }
  }
  return n;
}

/** Dark, opaque pixels: text ink and axis lines on a white background. */
export const isInk = (r: number, g: number, b: number, a: number): boolean => a > 200 && r < 140 && g < 140 && b < 140;

/** Opaque pixels within `tolerance` (per channel) of the colour `#rrggbb`. */
export function isColour(hex: string, tolerance = 40): (r: number, g: number, b: number, a: number) => boolean {
  const [cr, cg, cb] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  return (r, g, b, a) => a > 200 && Math.abs(r - cr) <= tolerance && Math.abs(g - cg) <= tolerance && Math.abs(b - cb) <= tolerance;
}
