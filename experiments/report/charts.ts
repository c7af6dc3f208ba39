/** Every chart of a report: the common ones, then each scenario's own. */
import type { Results } from '../results.ts';
import { ranIds, REGISTRY, type Registry, type ScenarioId, type ScenarioResultsOf } from '../scenarios/index.ts';
import { measuredRuns } from '../summary/measured.ts';
import { shownOf, variantOrder, type Shown } from '../variants/variant.ts';
import type { Chart } from './chart.ts';
import { commonCharts } from './common-charts.ts';

export function buildCharts(results: Results): Chart[] {
  const shown = shownOf(results.variants);
  return [...commonCharts(measuredRuns(results.scenarios), shown), ...ranIds(results.scenarios).flatMap((id) => scenarioCharts(REGISTRY[id], results.scenarios[id], shown))];
}

function scenarioCharts<K extends ScenarioId>(scenario: Registry[K], own: ScenarioResultsOf<K> | undefined, shown: Shown): Chart[] {
  if (!own) return [];
  return scenario.charts?.(Object.values(own.runs).sort((a, b) => variantOrder(a.variant) - variantOrder(b.variant)), shown) ?? [];
}
