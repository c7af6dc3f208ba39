/**
 * What a chart is, and the look every chart shares. Charts are Vega-Lite
 * specs built from results.json only, so --rerender can draw them again.
 */
import type { TopLevelSpec } from 'vega-lite';
import { MODE_IDS } from '../variants/modes.ts';
import { variantLabel, variantOrder, type Shown, type Variant } from '../variants/variant.ts';

export interface Chart {
  /** File name without extension. */
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

export const CHART_FONT = 'DejaVu Sans';
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const CONFIG = {
  font: CHART_FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const, offset: 12 },
};

/** Colour follows the mode; a variant's other dimensions show in its label. */
export const MODE_COLORS = { domain: [...MODE_IDS], range: ['#d62728', '#1f77b4', '#9467bd', '#2ca02c'] };

/** Seconds below this are drawn at it, so a log axis can show them. */
export const LOG_FLOOR_S = 1e-4;

export const shortId = (id: string): string => id.split('-').at(-1) ?? id;

/** Labels of these variants in canonical order: a chart's sort for its `variant` field. */
export function labelOrder(variants: readonly Variant[], shown: Shown): string[] {
  return [...new Set([...variants].sort((a, b) => variantOrder(a) - variantOrder(b)).map((v) => variantLabel(v, shown)))];
}

/** 0, 1, 2, 5, 10, 20, 50, ... up to max: a symlog axis labels only its ends otherwise. */
export function symlogTicks(max: number): number[] {
  const ticks = [0];
  for (let decade = 1; decade <= max; decade *= 10) {
    for (const f of [1, 2, 5]) if (f * decade <= max) ticks.push(f * decade);
  }
  return ticks;
}
