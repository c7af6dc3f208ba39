/**
 * `--update`: an earlier run with some of its runs made again. What is
 * replaced is a scenario's run on a variant, not the whole scenario: rerunning
 * `sizing` on the C-core stack keeps the grpc-js runs of `sizing` as they
 * were, so a change that touches one stack costs a rerun of that stack only.
 *
 * Kept and rerun runs of one scenario share one set of parameters, so a
 * scenario whose parameters changed since the earlier run (another version
 * of the lab) can only be rerun on every variant the earlier run holds for
 * it; the runner refuses anything less before it starts, and says which
 * variants to ask for.
 */
import { isDeepStrictEqual } from 'node:util';
import { round } from './lib/distribution.ts';
import type { Results } from './results.ts';
import { plannedVariants, type Plan } from './run-scenarios.ts';
import { REGISTRY, type RunOf, type ScenarioId, type ScenarioResultsMap, type ScenarioResultsOf } from './scenarios/index.ts';
import { variantKey, type VariantKey } from './variants/variant.ts';

type Measured = Omit<Results, 'summary' | 'conclusion'>;

/** Why this plan cannot update `earlier`, or undefined if it can. */
export function updateRefusal(earlier: Results, plan: Plan): string | undefined {
  if (earlier.profile.name !== plan.profile) {
    return `holds a ${earlier.profile.name} run; this is ${plan.profile}: its runs would not compare`;
  }
  for (const id of plan.scenarios) {
    const before = earlier.scenarios[id];
    if (before === undefined) continue;
    // Compared as results.json holds them (a JSON round trip), as they will be written.
    const now: unknown = JSON.parse(JSON.stringify(REGISTRY[id].profile[plan.profile]));
    if (isDeepStrictEqual(before.params, now)) continue;
    const rerun = rerunKeys(id, plan);
    const kept = Object.keys(before.runs).filter((key) => !rerun.has(key));
    if (kept.length > 0) {
      return `${id}'s parameters changed since that run (${JSON.stringify(before.params)}, now ${JSON.stringify(now)}), `
        + `so its runs on ${kept.join(', ')} would not compare with new ones: rerun ${id} on those as well`;
    }
  }
  return undefined;
}

/**
 * The earlier run with the fresh one's runs in place of its own for the
 * scenario and variant pairs the plan ran: a rerun's run or failure replaces
 * the earlier run or failure of that pair, every other pair is kept. The
 * command records both runs, so the report says how it was made.
 */
export function mergeUpdate(earlier: Results, fresh: Measured, plan: Plan): Measured {
  const rerun = new Map(plan.scenarios.map((id) => [id, rerunKeys(id, plan)]));
  const scenarios: { -readonly [K in ScenarioId]?: ScenarioResultsOf<K> } = { ...earlier.scenarios };
  for (const [id, keys] of rerun) merge(scenarios, id, earlier.scenarios, fresh.scenarios, keys);
  const known = new Set(earlier.variants.map(variantKey));
  const wasRerun = (scenario: string, key: VariantKey): boolean => rerun.get(scenario as ScenarioId)?.has(key) ?? false;
  return {
    ...fresh,
    command: `${earlier.command}, then ${fresh.command}`,
    environment: { ...earlier.environment, loadAverageEnd: fresh.environment.loadAverageEnd },
    variants: [...earlier.variants, ...fresh.variants.filter((v) => !known.has(variantKey(v)))],
    scenarios,
    failures: [...earlier.failures.filter((f) => !wasRerun(f.scenario, variantKey(f.variant))), ...fresh.failures],
    durationS: round(earlier.durationS + fresh.durationS, 1),
  };
}

/** The scenario and variant pairs the plan runs for one scenario, by variant key. */
function rerunKeys(id: ScenarioId, plan: Plan): Set<VariantKey> {
  return new Set(plannedVariants(id, plan).map(variantKey));
}

function merge<K extends ScenarioId>(into: { [P in K]?: ScenarioResultsOf<P> }, id: K, earlier: ScenarioResultsMap, fresh: ScenarioResultsMap, rerun: ReadonlySet<VariantKey>): void {
  const now = fresh[id];
  if (now === undefined) return;
  // In the earlier order, each rerun pair in its old place (a diff of results.json shows only what changed), then the new pairs.
  const runs: Record<VariantKey, RunOf<K>> = {};
  for (const [key, run] of Object.entries(earlier[id]?.runs ?? {})) {
    const replacement = rerun.has(key) ? now.runs[key] : run;
    if (replacement !== undefined) runs[key] = replacement;
  }
  for (const [key, run] of Object.entries(now.runs)) runs[key] ??= run;
  into[id] = { ...now, runs, summary: {} };
}
