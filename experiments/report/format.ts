/** How numbers read in the report. */
import type { Distribution } from '../lib/distribution.ts';

export const DASH = '–';

/** Seconds for a reader: "0.8 ms", "120 ms", "3.4 s". */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return 'n/a';
  const abs = Math.abs(s);
  if (abs < 0.001) return `${(s * 1000).toFixed(2)} ms`;
  if (abs < 0.01) return `${(s * 1000).toFixed(1)} ms`;
  if (abs < 1) return `${Math.round(s * 1000)} ms`;
  if (abs < 100) return `${s.toFixed(1)} s`;
  return `${Math.round(s)} s`;
}

export function formatPercent(x: number): string {
  return `${x >= 0 ? '+' : ''}${Math.round(x * 100)} %`;
}

/** One statistic of a distribution, or a dash when there is none. */
export function dist(d: Distribution | null | undefined, key: 'min' | 'p50' | 'p95' | 'p99' | 'max'): string {
  return d ? formatSeconds(d[key]) : DASH;
}

/** `a, b and c`. */
export function listing(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}
