/**
 * The registry: every scenario, in the order the runner runs them and the
 * report shows them. Adding a scenario is its file and one line here.
 *
 * The types below map each id to its scenario's run, parameters and
 * summary, so code written once for any id (the runner, the summary, the
 * report) keeps them together without casts: `REGISTRY[id]` for an
 * `id: K` is a Scenario of RunOf<K>, and results.json's `scenarios[id]`
 * holds RunOf<K> runs.
 */
import type { ProfileName } from '../profiles.ts';
import type { ScenarioResults } from '../results.ts';
import { autoscale } from './autoscale.ts';
import { hoard } from './hoard.ts';
import { kill } from './kill.ts';
import { priority } from './priority.ts';
import { scaleOut } from './scale-out.ts';
import type { Scenario } from './scenario.ts';
import { sizeSweep } from './size-sweep.ts';
import { sizing } from './sizing.ts';
import { topology } from './topology.ts';

export const SCENARIOS = {
  'hoard': hoard,
  'scale-out': scaleOut,
  'priority': priority,
  'kill': kill,
  'autoscale': autoscale,
  'size-sweep': sizeSweep,
  'sizing': sizing,
  'topology': topology,
};

type Registered = typeof SCENARIOS;
export type ScenarioId = keyof Registered;
export type RunOf<K extends ScenarioId> = Awaited<ReturnType<Registered[K]['run']>>;
export type ParamsOf<K extends ScenarioId> = Registered[K]['profile'][ProfileName];
export type SummaryOf<K extends ScenarioId> = NonNullable<Registered[K]['summary']> extends { of(run: never, params: never): infer S } ? S : never;

/** Each entry as a Scenario of its own types: what generic code over an id indexes. */
export type Registry = { readonly [K in ScenarioId]: Scenario<K, RunOf<K>, ParamsOf<K>, SummaryOf<K>> };
export const REGISTRY: Registry = SCENARIOS;

/** Ids in registry order. */
export const SCENARIO_IDS: readonly ScenarioId[] = Object.values(SCENARIOS).map((s) => s.id);

// Each entry's key is its id (checked here, at compile time).
const _keyedById: { readonly [K in ScenarioId]: { readonly id: K } } = SCENARIOS;

export type ScenarioResultsOf<K extends ScenarioId> = ScenarioResults<RunOf<K>, ParamsOf<K>, SummaryOf<K>>;
/** results.json's `scenarios`: only those that ran. */
export type ScenarioResultsMap = { readonly [K in ScenarioId]?: ScenarioResultsOf<K> };

/** Stores one scenario's results under its id; generic, so the id and its results' type stay paired. */
export function putResults<K extends ScenarioId>(into: { [P in K]?: ScenarioResultsOf<P> }, id: K, value: ScenarioResultsOf<K>): void {
  into[id] = value;
}

/** The scenarios that ran, in registry order. */
export function ranIds(scenarios: ScenarioResultsMap): ScenarioId[] {
  return SCENARIO_IDS.filter((id) => scenarios[id] !== undefined);
}
