/**
 * Runs the scenarios asked for, each on every variant it covers, and keeps
 * each run under its scenario and variant. A failed run is recorded and the
 * rest go on. Written once for any scenario id, so a new scenario needs no
 * line here.
 */
import type { Failure } from './results.ts';
import type { RunContext } from './scenarios/context.ts';
import { putResults, REGISTRY, type RunOf, type ScenarioId, type ScenarioResultsMap, type ScenarioResultsOf } from './scenarios/index.ts';
import type { ProfileName } from './profiles.ts';
import type { ModeId } from './variants/modes.ts';
import type { QueueId } from './variants/queues.ts';
import type { StackId } from './variants/stacks.ts';
import { variantKey, variantsOf, type Variant, type VariantKey } from './variants/variant.ts';

export interface Plan {
  readonly profile: ProfileName;
  readonly scenarios: readonly ScenarioId[];
  readonly modes: readonly ModeId[];
  readonly stacks: readonly StackId[];
  readonly queues: readonly QueueId[];
}

export async function runScenarios(plan: Plan, ctx: RunContext): Promise<{ scenarios: ScenarioResultsMap; failures: Failure[] }> {
  const scenarios: { -readonly [K in ScenarioId]?: ScenarioResultsOf<K> } = {};
  const failures: Failure[] = [];
  for (const id of plan.scenarios) await runScenario(id, plan, ctx, scenarios, failures);
  return { scenarios, failures };
}

async function runScenario<K extends ScenarioId>(id: K, plan: Plan, ctx: RunContext, into: { [P in K]?: ScenarioResultsOf<P> }, failures: Failure[]): Promise<void> {
  const scenario = REGISTRY[id];
  const params = scenario.profile[plan.profile];
  const runs: Record<VariantKey, RunOf<K>> = {};
  for (const variant of plannedVariants(id, plan)) {
    try {
      const run = await scenario.run({ ...ctx, params }, variant);
      runs[variantKey(variant)] = run;
      ctx.progress.note(`${id} · ${variantKey(variant)}: done (${scenario.note(run)})`);
    } catch (error) {
      failures.push(recordFailure(ctx, id, variant, error));
    }
    // Each run's spans are read when it ends; drop them so memory stays flat.
    ctx.receiver.spans.length = 0;
  }
  putResults(into, id, { title: scenario.title, params, runs, summary: {} });
}

/** The variants a scenario runs on under a plan: the modes and queues asked for, unless the scenario fixes its own. */
export function plannedVariants(id: ScenarioId, plan: Pick<Plan, 'modes' | 'stacks' | 'queues'>): Variant[] {
  const scenario = REGISTRY[id];
  const modes = scenario.modes === 'asked' ? plan.modes : scenario.modes;
  const queues = scenario.queues === undefined || scenario.queues === 'asked' ? plan.queues : scenario.queues;
  return variantsOf(modes, plan.stacks, queues);
}

function recordFailure(ctx: RunContext, scenario: ScenarioId, variant: Variant, error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  ctx.progress.note(`${scenario} · ${variantKey(variant)}: FAILED: ${message.split('\n')[0] ?? ''}`);
  return { scenario, variant, error: message.slice(0, 2000) };
}
