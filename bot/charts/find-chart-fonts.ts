import { existsSync } from 'node:fs';

/**
 * The fonts a chart PNG is drawn with. Charts are rendered offline, without the machine's font
 * configuration: the labels are Chinese, so a CJK font must be installed (Debian `fonts-noto-cjk`).
 */
export interface ChartFonts {
  /** Font files (.ttc/.otf/.ttf) loaded for the drawing; every face of a collection is available. */
  files: string[];
  /** Family that `sans-serif` and text without a matching family are drawn with. */
  family: string;
}

/** One installable CJK font: its files (the first must exist, the others are used when present) and family. */
export interface ChartFontCandidate {
  files: readonly string[];
  family: string;
  /** Debian package that installs it. */
  debianPackage: string;
}

/** CJK fonts tried in order: Noto Sans CJK (Simplified Chinese forms), then WenQuanYi. */
export const CJK_FONT_CANDIDATES: readonly ChartFontCandidate[] = [
  {
    files: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc'],
    family: 'Noto Sans CJK SC',
    debianPackage: 'fonts-noto-cjk',
  },
  { files: ['/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'], family: 'WenQuanYi Micro Hei', debianPackage: 'fonts-wqy-microhei' },
  { files: ['/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc'], family: 'WenQuanYi Zen Hei', debianPackage: 'fonts-wqy-zenhei' },
];

/**
 * No CJK font is installed, so a chart's Chinese labels cannot be drawn. Code `CHART_FONT_MISSING`; the
 * message names the files looked for and the Debian package of the first (preferred) font.
 */
export class ChartFontMissingError extends Error {
  override readonly name = 'ChartFontMissingError';
  readonly code = 'CHART_FONT_MISSING';
  constructor(
    readonly searched: readonly string[],
    readonly debianPackage: string,
  ) {
    super(`No CJK font for the chart's Chinese labels: none of ${searched.join(', ')} exists. Install the Debian package ${debianPackage} (apt-get install ${debianPackage}).`);
  }
}

/**
 * The first installed font of `candidates`, with those of its files that exist; throws
 * {@link ChartFontMissingError} when none is installed. Looks at the disk on every call (cheap), so a
 * font installed while the service runs is picked up.
 */
export function findChartFonts(candidates: readonly ChartFontCandidate[] = CJK_FONT_CANDIDATES): ChartFonts {
  for (const candidate of candidates) {
    if (!existsSync(candidate.files[0]!)) continue;
    return { files: candidate.files.filter((f) => existsSync(f)), family: candidate.family };
  }
  throw new ChartFontMissingError(
    candidates.map((c) => c.files[0]!),
    candidates[0]?.debianPackage ?? 'fonts-noto-cjk',
  );
}
