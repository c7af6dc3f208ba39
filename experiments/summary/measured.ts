/** Every session run of every scenario that ran, with what its scenario says about it: the cross-scenario figures and charts read these. */
import type { ScenarioRun } from '../results.ts';
import { ranIds, REGISTRY, type Registry, type ScenarioId, type ScenarioResultsMap, type ScenarioResultsOf } from '../scenarios/index.ts';
import { variantKey, variantOrder } from '../variants/variant.ts';

export interface MeasuredRun {
  readonly scenario: ScenarioId;
  readonly run: ScenarioRun;
  readonly backlogRank: number | undefined;
  readonly newcomerRole: string | undefined;
}

/** In registry order, then variant order. */
export function measuredRuns(scenarios: ScenarioResultsMap): MeasuredRun[] {
  return ranIds(scenarios).flatMap((id) => measuredOf(REGISTRY[id], scenarios[id]));
}

/** The runs of one variant. */
export function measuredRunsOf(scenarios: ScenarioResultsMap, key: string): MeasuredRun[] {
  return measuredRuns(scenarios).filter((m) => variantKey(m.run.variant) === key);
}

function measuredOf<K extends ScenarioId>(scenario: Registry[K], results: ScenarioResultsOf<K> | undefined): MeasuredRun[] {
  const { measures } = scenario;
  if (!measures || !results) return [];
  return Object.values(results.runs)
    .map((run) => ({ scenario: scenario.id, run: measures.of(run), backlogRank: measures.backlogRank, newcomerRole: measures.newcomerRole }))
    .sort((a, b) => variantOrder(a.run.variant) - variantOrder(b.run.variant));
}
