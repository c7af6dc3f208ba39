/**
 * What the first table and the conclusion read, derived from the runs (on a
 * run, and again on --rerender): each scenario's own summary of each of its
 * runs, and per variant the two figures every session run answers.
 */
import type { VariantSummary } from '../results.ts';
import { putResults, ranIds, REGISTRY, type ScenarioId, type ScenarioResultsMap, type ScenarioResultsOf, type SummaryOf } from '../scenarios/index.ts';
import { MODES } from '../variants/modes.ts';
import { variantKey, type Variant } from '../variants/variant.ts';
import { measuredRunsOf } from './measured.ts';

/** The same results with every scenario's summary derived anew from its runs. */
export function withSummaries(scenarios: ScenarioResultsMap): ScenarioResultsMap {
  const out: { -readonly [K in ScenarioId]?: ScenarioResultsOf<K> } = {};
  for (const id of ranIds(scenarios)) summarizeScenario(id, scenarios, out);
  return out;
}

function summarizeScenario<K extends ScenarioId>(id: K, scenarios: ScenarioResultsMap, out: { [P in K]?: ScenarioResultsOf<P> }): void {
  const results = scenarios[id];
  if (!results) return;
  const { summary } = REGISTRY[id];
  const summaries: Record<string, SummaryOf<K>> = {};
  if (summary) for (const [key, run] of Object.entries(results.runs)) summaries[key] = summary.of(run, results.params);
  putResults(out, id, { ...results, summary: summaries });
}

/** Figures 1 and 2 per variant asked for: the largest in transit of any session run, and the best-ranked client backlog. */
export function summarize(variants: readonly Variant[], scenarios: ScenarioResultsMap): VariantSummary[] {
  return variants.map((variant) => {
    const key = variantKey(variant);
    const runs = measuredRunsOf(scenarios, key);
    const top = runs.reduce<(typeof runs)[number] | undefined>((best, m) => (best === undefined || m.run.maxInTransit > best.run.maxInTransit ? m : best), undefined);
    const ranked = runs.filter((m) => m.backlogRank !== undefined && m.run.backlog).sort((a, b) => (a.backlogRank ?? 0) - (b.backlogRank ?? 0))[0];
    return {
      variant,
      key,
      boundedBy: MODES[variant.mode].boundedBy,
      maxInTransit: top ? { value: top.run.maxInTransit, scenario: top.scenario } : null,
      backlog: ranked?.run.backlog ? { distribution: ranked.run.backlog, scenario: ranked.scenario } : null,
    };
  });
}
