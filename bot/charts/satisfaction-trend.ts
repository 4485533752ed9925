import type { EChartsOption, LineSeriesOption } from 'echarts';
import { formatRate, type SatisfactionBand, type TrendPoint } from '../core/reports/build-monthly-report.js';
import type { ChartSize } from './render-chart.js';

/**
 * The satisfaction trend chart of the monthly report (and, later, of the web console): the ECharts
 * option for the satisfaction rate per month, with the thresholds of the per-staff bands. The option is
 * plain JSON (no formatter functions), so the server can render it (`renderChartSvg`/`renderChartPng`)
 * or hand it to ECharts in the browser unchanged.
 */

/** Size the report renders the chart at, in CSS pixels (the PNG has as many pixels). */
export const SATISFACTION_TREND_SIZE: Readonly<ChartSize> = { width: 800, height: 480 };

/** Name of the rate series, shown in the legend. */
export const SATISFACTION_SERIES_NAME = '满意率（满意÷参评）';

/**
 * The thresholds drawn as dashed lines, as the band rule in `satisfactionBand` states them (> 90 %
 * 奖励, < 70 % 批评教育, < 50 % 不发质量奖). The 70 %–90 % band has no line of its own.
 */
export const SATISFACTION_BAND_LINES: readonly { band: SatisfactionBand; rate: number; color: string }[] = [
  { band: 'ABOVE_90', rate: 0.9, color: '#2ea043' },
  { band: 'BELOW_70', rate: 0.7, color: '#e68c00' },
  { band: 'BELOW_50', rate: 0.5, color: '#d23232' },
];

/** Colour of the rate line and its points. */
export const SATISFACTION_LINE_COLOR = '#1877f2';

/** Distance of the plot area from the chart's edges, in CSS pixels (title above, month labels and legend below). */
export const SATISFACTION_TREND_GRID = { left: 70, right: 50, top: 70, bottom: 100 } as const;

const INK = '#333333';
const MUTED = '#666666';

/**
 * The option for `trend` (oldest month first): one point per month, the rate in percent with one
 * decimal (the same rounding as `formatRate`), a gap for a month without a rated follow-up, and under
 * each month the number of rated follow-ups (参评). Without any rated month the chart says so instead
 * of drawing an empty line. The threshold lines are named by `bandLabels` (templates/messages
 * `monthly_report.bands`).
 */
export function satisfactionTrendOption(trend: readonly TrendPoint[], bandLabels: Readonly<Record<SatisfactionBand, string>>): EChartsOption {
  const first = trend[0]?.month;
  const last = trend[trend.length - 1]?.month;
  const hasRates = trend.some((p) => p.rate !== null);
  const rateSeries: LineSeriesOption = {
    name: SATISFACTION_SERIES_NAME,
    type: 'line',
    // The value in percent for the axis; the label as the report's other files write it (87.5%, 100.0%).
    data: trend.map((p) => (p.rate === null ? null : { value: Math.round(p.rate * 1000) / 10, label: { formatter: formatRate(p.rate) } })),
    // A month without a rated follow-up is a gap, not 0 %.
    connectNulls: false,
    color: SATISFACTION_LINE_COLOR,
    lineStyle: { width: 3 },
    symbol: 'circle',
    symbolSize: 9,
    label: { show: true, position: 'top', color: INK, fontSize: 13, textBorderColor: '#ffffff', textBorderWidth: 3 },
    emphasis: { disabled: true },
    z: 3,
  };
  const bandSeries: LineSeriesOption[] = SATISFACTION_BAND_LINES.map(({ band, rate, color }) => ({
    // A series without points of its own: it carries the threshold line and its legend entry.
    name: bandLabels[band],
    type: 'line',
    data: [],
    color,
    lineStyle: { type: 'dashed', width: 1.5 },
    symbol: 'none',
    markLine: {
      silent: true,
      symbol: 'none',
      lineStyle: { type: 'dashed', width: 1.5, color },
      label: { show: true, position: 'end', formatter: `${Math.round(rate * 100)}%`, color, fontSize: 12 },
      emphasis: { disabled: true },
      data: [{ yAxis: Math.round(rate * 100) }],
    },
  }));
  return {
    backgroundColor: '#ffffff',
    animation: false,
    // The generic family: a browser picks its Chinese sans-serif face, the PNG renderer the CJK font it loaded.
    textStyle: { fontFamily: 'sans-serif' },
    title: {
      text: first && last ? `满意率趋势（${first === last ? first : `${first} 至 ${last}`}）` : '满意率趋势',
      left: 'center',
      top: 14,
      textStyle: { fontSize: 20, fontWeight: 'bold', color: INK },
    },
    legend: {
      bottom: 14,
      itemWidth: 30,
      itemGap: 24,
      textStyle: { fontSize: 13, color: INK },
      // Threshold entries show their dashed line only, without the point marker of a line series.
      data: [SATISFACTION_SERIES_NAME, ...SATISFACTION_BAND_LINES.map((b) => ({ name: bandLabels[b.band], itemStyle: { opacity: 0 } }))],
    },
    grid: { ...SATISFACTION_TREND_GRID },
    xAxis: {
      type: 'category',
      data: trend.map((p) => `${p.month}\n参评 ${p.rated}`),
      axisTick: { alignWithLabel: true },
      axisLine: { lineStyle: { color: INK } },
      axisLabel: { interval: 0, color: INK, fontSize: 11, lineHeight: 16 },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: 100,
      interval: 20,
      axisLabel: { formatter: '{value}%', color: INK, fontSize: 12 },
      splitLine: { lineStyle: { color: '#e1e1e1' } },
    },
    ...(hasRates
      ? {}
      : {
          graphic: {
            type: 'text',
            left: 'center',
            top: 'middle',
            silent: true,
            style: { text: trend.length === 0 ? '暂无数据' : '所示月份均无参评的回访', fill: MUTED, fontSize: 16 },
          },
        }),
    series: [rateSeries, ...bandSeries],
  };
}
