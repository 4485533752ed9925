import { describe, expect, it } from 'vitest';
import type { LineSeriesOption } from 'echarts';
import { satisfactionBand, type TrendPoint } from '../../../bot/core/reports/build-monthly-report.js';
import { join } from 'node:path';
import { loadMessageTemplates } from '../../../bot/loaders/load-messages.js';
import { ROOT_DIR } from '../../../bot/huifang.js';
import { renderChartPng, renderChartSvg } from '../../../bot/charts/render-chart.js';
import {
  SATISFACTION_BAND_LINES,
  SATISFACTION_LINE_COLOR,
  SATISFACTION_SERIES_NAME,
  SATISFACTION_TREND_GRID,
  SATISFACTION_TREND_SIZE,
  satisfactionTrendOption,
} from '../../../bot/charts/satisfaction-trend.js';
import { countPixels, decodePng, isColour, isInk, type DecodedPng } from '../../support/png-pixels.js';

const MONTHS = ['2025-11', '2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10'];
const point = (month: string, satisfied: number, rated: number): TrendPoint => ({ month, satisfied, rated, rate: rated === 0 ? null : satisfied / rated });
const noRatings = MONTHS.map((m) => point(m, 0, 0));
/** The band labels as shipped (templates/messages `monthly_report.bands`). */
const BAND_LABELS = loadMessageTemplates(join(ROOT_DIR, 'templates/messages')).monthlyReport.bands;

const rateSeries = (trend: readonly TrendPoint[]) => (satisfactionTrendOption(trend, BAND_LABELS).series as LineSeriesOption[])[0]!;
const title = (trend: readonly TrendPoint[]) => (satisfactionTrendOption(trend, BAND_LABELS).title as { text: string }).text;

/** Centre of the point of month `index` of `count` at `percent`, in PNG pixels. */
function pointAt(index: number, count: number, percent: number): { x: number; y: number } {
  const { width, height } = SATISFACTION_TREND_SIZE;
  const { left, right, top, bottom } = SATISFACTION_TREND_GRID;
  return { x: Math.round(left + ((width - left - right) * (index + 0.5)) / count), y: Math.round(top + (height - top - bottom) * (1 - percent / 100)) };
}
const around = ({ x, y }: { x: number; y: number }, r = 3) => ({ x0: x - r, y0: y - r, x1: x + r + 1, y1: y + r + 1 });
const isLine = isColour(SATISFACTION_LINE_COLOR);
const render = (trend: readonly TrendPoint[]): DecodedPng => decodePng(renderChartPng(satisfactionTrendOption(trend, BAND_LABELS), SATISFACTION_TREND_SIZE));

describe('satisfaction trend chart', () => {
  it('plots each month’s rate in percent with the report’s rounding, months without ratings as gaps', () => {
    const trend = MONTHS.map((m, i) => (i === 9 ? point(m, 1, 2) : i === 11 ? point(m, 29, 35) : point(m, 0, 0)));
    const option = satisfactionTrendOption(trend, BAND_LABELS);
    expect(title(trend)).toBe('满意率趋势（2025-11 至 2026-10）');
    expect(rateSeries(trend).name).toBe(SATISFACTION_SERIES_NAME);
    expect(rateSeries(trend).connectNulls).toBe(false);
    expect(rateSeries(trend).data).toEqual([...Array(9).fill(null), { value: 50, label: { formatter: '50.0%' } }, null, { value: 82.9, label: { formatter: '82.9%' } }]);
    expect((option.xAxis as { data: string[] }).data.slice(9)).toEqual(['2026-08\n参评 2', '2026-09\n参评 0', '2026-10\n参评 35']);
    expect(option.graphic).toBeUndefined();
  });

  it('draws the thresholds where the per-staff bands change, labelled as the report labels the bands', () => {
    for (const { band, rate } of SATISFACTION_BAND_LINES) {
      expect(satisfactionBand(rate)).not.toBe(satisfactionBand(band === 'ABOVE_90' ? rate + 1e-9 : rate - 1e-9));
    }
    const series = satisfactionTrendOption(noRatings, BAND_LABELS).series as LineSeriesOption[];
    expect(series.slice(1).map((s) => [s.name, (s.markLine!.data as { yAxis: number }[])[0]!.yAxis])).toEqual([
      [BAND_LABELS.ABOVE_90, 90],
      [BAND_LABELS.BELOW_70, 70],
      [BAND_LABELS.BELOW_50, 50],
    ]);
  });

  it('is plain data, so the browser can take the same option', () => {
    const option = satisfactionTrendOption(MONTHS.map((m, i) => point(m, i, 12)), BAND_LABELS);
    expect(JSON.parse(JSON.stringify(option))).toEqual(option);
  });

  it('says so when no month has a rated follow-up, and draws no line', () => {
    const option = satisfactionTrendOption(noRatings, BAND_LABELS);
    expect(rateSeries(noRatings).data).toEqual(Array(12).fill(null));
    expect(option.graphic).toMatchObject({ type: 'text', style: { text: '所示月份均无参评的回访' } });
    const svg = renderChartSvg(option, SATISFACTION_TREND_SIZE);
    expect(svg).toContain('>所示月份均无参评的回访</text>');
    expect(svg).toContain('>2025-11</text>');
    const image = render(noRatings);
    const plot = { x0: SATISFACTION_TREND_GRID.left, y0: SATISFACTION_TREND_GRID.top - 20, x1: SATISFACTION_TREND_SIZE.width - SATISFACTION_TREND_GRID.right, y1: SATISFACTION_TREND_SIZE.height - SATISFACTION_TREND_GRID.bottom };
    expect(countPixels(image, plot, isLine)).toBe(0);
    expect(countPixels(image, { x0: 250, y0: 220, x1: 550, y1: 260 }, (r, g, b, a) => a > 200 && r < 180 && r === g && g === b)).toBeGreaterThan(100);
  });

  it('draws an empty chart for no months at all', () => {
    expect(title([])).toBe('满意率趋势');
    expect(satisfactionTrendOption([], BAND_LABELS).graphic).toMatchObject({ style: { text: '暂无数据' } });
    expect(decodePng(renderChartPng(satisfactionTrendOption([], BAND_LABELS), SATISFACTION_TREND_SIZE)).width).toBe(800);
  });

  it('draws a single month as one labelled point', () => {
    const trend = [point('2026-10', 3, 4)];
    expect(title(trend)).toBe('满意率趋势（2026-10）');
    expect(rateSeries(trend).data).toEqual([{ value: 75, label: { formatter: '75.0%' } }]);
    expect(renderChartSvg(satisfactionTrendOption(trend, BAND_LABELS), SATISFACTION_TREND_SIZE)).toContain('>75.0%</text>');
    const image = render(trend);
    expect(countPixels(image, around(pointAt(0, 1, 75)), isLine)).toBeGreaterThan(20);
  });

  it('draws 100 % on the top of the plot and 0 % on its bottom, both labelled', () => {
    const trend = MONTHS.map((m, i) => (i === 4 ? point(m, 8, 8) : i === 5 ? point(m, 0, 6) : point(m, 0, 0)));
    expect(rateSeries(trend).data!.slice(4, 6)).toEqual([
      { value: 100, label: { formatter: '100.0%' } },
      { value: 0, label: { formatter: '0.0%' } },
    ]);
    const svg = renderChartSvg(satisfactionTrendOption(trend, BAND_LABELS), SATISFACTION_TREND_SIZE);
    expect(svg).toContain('>100.0%</text>');
    expect(svg).toContain('>0.0%</text>');
    const image = render(trend);
    const top = pointAt(4, 12, 100);
    const bottom = pointAt(5, 12, 0);
    expect(top.y).toBe(SATISFACTION_TREND_GRID.top);
    expect(countPixels(image, around(top), isLine)).toBeGreaterThan(20);
    expect(countPixels(image, around(bottom), isLine)).toBeGreaterThan(20);
    // The label above the 100 % point stays inside the picture, below the title.
    expect(countPixels(image, { x0: top.x - 25, y0: top.y - 24, x1: top.x + 26, y1: top.y - 6 }, isInk)).toBeGreaterThan(20);
    // The line between the two points runs through the middle of the plot.
    expect(countPixels(image, around({ x: Math.round((top.x + bottom.x) / 2), y: Math.round((top.y + bottom.y) / 2) }), isLine)).toBeGreaterThan(10);
  });
});
