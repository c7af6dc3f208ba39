/** Everything a report reads that is not measured: derived from the runs, on a run and again on --rerender. */
import type { Results } from '../results.ts';
import { conclude } from './conclude.ts';
import { summarize, withSummaries } from './summarize.ts';

export function derive(measured: Omit<Results, 'summary' | 'conclusion'>): Results {
  const scenarios = withSummaries(measured.scenarios);
  const summary = summarize(measured.variants, scenarios);
  return { ...measured, scenarios, summary, conclusion: conclude(measured.variants, scenarios, summary, measured.profile) };
}
