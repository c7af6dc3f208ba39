/**
 * The shape of results.json, documented field by field in
 * docs/experiments.md. Each scenario's own run type lives in its file and
 * reaches `scenarios` through the registry's mapped types. Times are seconds
 * since the scenario run's own start (`t0UnixMs`) unless a name says
 * otherwise.
 */
import type { Distribution } from './lib/distribution.ts';
import type { MessageRecord } from './lib/messages.ts';
import type { Profile } from './profiles.ts';
import type { ScenarioResultsMap } from './scenarios/index.ts';
import type { QueueId } from './variants/queues.ts';
import type { StackId } from './variants/stacks.ts';
import type { Variant, VariantKey } from './variants/variant.ts';

export const RESULTS_SCHEMA = 'grpc-backlog-lab/experiment-results/3';

export interface Results {
  readonly schema: typeof RESULTS_SCHEMA;
  readonly generatedAt: string;
  /** The command that produced this file. */
  readonly command: string;
  /** What every scenario shares; each scenario's own parameters are under `scenarios`. */
  readonly profile: Profile;
  readonly environment: Environment;
  /** Every mode × stack × queue asked for. */
  readonly variants: readonly Variant[];
  /** Per scenario that ran: its parameters, its runs by variant key, and what each puts in the first table. */
  readonly scenarios: ScenarioResultsMap;
  /** The cross-scenario figures, one entry per variant asked for. */
  readonly summary: readonly VariantSummary[];
  /** Sentences generated from the numbers, per stack and queue. */
  readonly conclusion: readonly ConclusionGroup[];
  /** Scenario runs that did not finish; their numbers are missing above. */
  readonly failures: readonly Failure[];
  readonly durationS: number;
}

export interface ScenarioResults<Run, Params, Summary> {
  readonly title: string;
  readonly params: Params;
  /** By variantKey: `mode/stack/queue`. */
  readonly runs: Readonly<Record<VariantKey, Run>>;
  /** Derived from runs (again on --rerender). */
  readonly summary: Readonly<Record<VariantKey, Summary>>;
}

export interface Failure {
  readonly scenario: string;
  readonly variant: Variant;
  readonly error: string;
}

export interface Environment {
  readonly node: string;
  readonly grpcJs: string;
  readonly os: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** 1-minute load average when the run started and ended: a busy machine stretches every timing. */
  readonly loadAverageStart: number;
  readonly loadAverageEnd: number;
}

export interface VariantSummary {
  readonly variant: Variant;
  readonly key: VariantKey;
  readonly boundedBy: string;
  /** Largest in transit to one worker over every scenario run that sampled it; with the scenario. */
  readonly maxInTransit: { readonly value: number; readonly scenario: string } | null;
  /** Client backlog of the best-ranked scenario that ran (scale-out: steady load). */
  readonly backlog: { readonly distribution: Distribution; readonly scenario: string } | null;
}

export interface ConclusionGroup {
  /** The stack and queue every sentence of this group holds for. */
  readonly stack: StackId;
  readonly queue: QueueId;
  readonly sentences: readonly string[];
}

export interface WorkerInfo {
  readonly id: string;
  readonly role: string;
  readonly delayMs: number;
  /** Its `worker started` log line (it connects right after). */
  readonly readyAtS: number;
  /** First start of processing, from its spans; null if it never started one. */
  readonly firstStartedS: number | null;
  /** firstStartedS - readyAtS; null: it never got a message. */
  readonly timeToFirstMessageS: number | null;
  /** `message processed` log lines. */
  readonly processed: number;
  /** Deliveries it started (backlog spans received). */
  readonly started: number;
  /** Largest sampled dispatched - started. */
  readonly maxInTransit: number;
}

export interface SeriesPoint {
  readonly t: number;
  readonly queued: number;
  /** dispatched (sidecar) - started (worker) per worker id; null when the worker is gone. */
  readonly inTransit: Readonly<Record<string, number | null>>;
  /** With a broker behind the sidecar: what it reported for the queue at that moment (its management API). */
  readonly broker?: { readonly ready: number; readonly unacked: number };
}

/** What every run that replays traffic through a session measures (finish() in scenarios/context.ts). */
export interface ScenarioRun {
  readonly scenario: string;
  readonly variant: Variant;
  readonly t0UnixMs: number;
  readonly durationS: number;
  readonly workers: readonly WorkerInfo[];
  /** Sampled every profile.sampleIntervalMs. */
  readonly series: readonly SeriesPoint[];
  /** Largest in-transit count of any one worker. */
  readonly maxInTransit: number;
  /** Client backlog (dispatch to start of processing) of every delivery started. */
  readonly backlog: Distribution | null;
  /** Publish to start of processing (queue wait + client backlog). */
  readonly wait: Distribution | null;
  /**
   * The per-message records (from the workers' logs) against the workers' own
   * histogram, and the spans of a stack that traces: all should tell the same
   * story (count and mean backlog of the workers still running at the end).
   */
  readonly checks: {
    readonly records: number;
    /** 0 for a stack that exports no traces. */
    readonly backlogSpans: number;
    readonly histogramCount: number;
    readonly recordMeanBacklogS: number;
    readonly spanMeanBacklogS: number;
    readonly histogramMeanBacklogS: number;
    readonly finalQueued: number;
  };
  readonly messages: readonly MessageRecord[];
}
