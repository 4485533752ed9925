import { Resvg } from '@resvg/resvg-js';
import type { EChartsOption } from 'echarts';
import { LineChart } from 'echarts/charts';
import { GraphicComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { findChartFonts, type ChartFonts } from './find-chart-fonts.js';

/**
 * Server-side rendering of ECharts options: to an SVG string (ECharts' own SVG renderer, no DOM) and
 * from that to a PNG (resvg, with the CJK font from {@link findChartFonts}). Only the chart types and
 * components registered below are drawn; a new kind of chart registers its parts here.
 */

use([LineChart, GridComponent, TitleComponent, LegendComponent, MarkLineComponent, GraphicComponent, SVGRenderer]);

/** A chart's size in CSS pixels. */
export interface ChartSize {
  width: number;
  height: number;
}

/**
 * `option` as a standalone SVG document of `size`: text is SVG text (escaped by ECharts), and nothing
 * refers outside the document (no images, links or web fonts), so it can be served as a file or put
 * inline into a page. Ids inside it are unique per call within a process.
 */
export function renderChartSvg(option: EChartsOption, size: ChartSize): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * `option` as a PNG of exactly `size` pixels. Text is drawn with `fonts` only (the machine's font
 * configuration is not consulted, so the result is the same on every machine with the font); by default
 * the installed CJK font, and {@link ChartFontMissingError} (code `CHART_FONT_MISSING`, naming the
 * Debian package to install) when there is none.
 */
export function renderChartPng(option: EChartsOption, size: ChartSize, fonts: ChartFonts = findChartFonts()): Buffer {
  const svg = renderChartSvg(option, size);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'original' },
    // Chinese first when a glyph has to be found in another face of the collection.
    languages: ['zh-CN', 'en'],
    font: {
      fontFiles: fonts.files,
      loadSystemFonts: false,
      defaultFontFamily: fonts.family,
      sansSerifFamily: fonts.family,
    },
  });
  return resvg.render().asPng();
}
