/**
 * The shape of results.json, documented field by field in
 * docs/experiments.md. Times are seconds since the scenario's own start
 * (`t0UnixMs`) unless a name says otherwise.
 */
import type { Distribution } from './lib/distribution.ts';
import type { MessageRecord } from './lib/messages.ts';
import type { TransportConstants } from './model.ts';
import type { ModeId } from './modes.ts';
import type { ScenarioId } from './options.ts';
import type { Profile } from './profiles.ts';

export const RESULTS_SCHEMA = 'grpc-backlog-lab/experiment-results/1';

export interface Results {
  readonly schema: typeof RESULTS_SCHEMA;
  readonly generatedAt: string;
  /** The command that produced this file. */
  readonly command: string;
  readonly profile: Profile;
  readonly environment: Environment;
  readonly modes: readonly ModeId[];
  readonly scenarios: readonly ScenarioId[];
  readonly hoard: readonly HoardRun[];
  readonly scaleOut: readonly ScaleOutRun[];
  readonly priority: readonly PriorityRun[];
  readonly kill: readonly KillRun[];
  readonly sizeSweep: SizeSweep | null;
  /** The five numbers of DESIGN.md section 1, one entry per mode. */
  readonly summary: readonly ModeSummary[];
  /** Sentences generated from the numbers above. */
  readonly conclusion: readonly string[];
  /** Scenario runs that did not finish; their numbers are missing above. */
  readonly failures: readonly Failure[];
  readonly durationS: number;
}

export interface Failure {
  readonly scenario: ScenarioId;
  readonly mode: ModeId;
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
}

export interface ScenarioRun {
  readonly scenario: ScenarioId;
  readonly mode: ModeId;
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
  /** Spans against the workers' own histogram: both should tell the same story. */
  readonly checks: {
    readonly backlogSpans: number;
    readonly histogramCount: number;
    readonly spanMeanBacklogS: number;
    readonly histogramMeanBacklogS: number;
    readonly finalQueued: number;
  };
  readonly messages: readonly MessageRecord[];
}

/** A new worker's view of the work that existed when it came up. */
export interface Arrival {
  /** When the (first) new worker was ready. */
  readonly atS: number;
  /** Deliveries in transit to the workers already there at that moment. */
  readonly inTransit: number;
  /** How many of those the new workers ever processed. */
  readonly newWorkersGot: number;
  /** Messages not yet started at that moment: in transit plus queued. */
  readonly unstarted: number;
  /** How many of those the new workers processed. */
  readonly newWorkersGotOfUnstarted: number;
}

export interface HoardRun extends ScenarioRun {
  readonly arrival: Arrival;
  /** When the last message started and when the hoarder finished its last. */
  readonly lastStartS: number;
  readonly hoarderProcessed: number;
  readonly laterProcessed: number;
  /** Every later worker got its first message before the hoarder finished its last one. */
  readonly laterStartedWhileHoarderBusy: boolean;
}

export interface ScaleOutRun extends ScenarioRun {
  readonly ratePerS: number;
  readonly arrival: Arrival;
  readonly publishStoppedS: number;
  /** From the end of publishing until the last message finished. */
  readonly drainS: number;
  readonly newWorkersTimeToFirstMessageS: Distribution | null;
}

export interface HighPriorityMessage {
  readonly id: string;
  readonly publishedS: number;
  readonly startedS: number | null;
  /** Publish to start of processing. */
  readonly delayS: number | null;
  /** Low-priority messages that started after this one was published and before it started. */
  readonly lowOvertaking: number;
}

export interface PriorityRun extends ScenarioRun {
  readonly highPublishedS: number;
  readonly lowInTransitWhenHighPublished: number;
  readonly high: readonly HighPriorityMessage[];
  readonly highDelay: Distribution | null;
}

export interface KillRun extends ScenarioRun {
  readonly victim: string;
  readonly killedAtS: number;
  readonly published: number;
  /** Dispatched to the victim and not finished by it: what died with it (in transit + in hand). */
  readonly heldAtKill: number;
  /** dispatched - started at the last look before the kill. */
  readonly inTransitAtKill: number;
  /** Sidecar Stats for the victim after the kill. */
  readonly lost: number;
  readonly requeued: number;
  /** Processed with attempt > 1 (from the workers' logs). */
  readonly redelivered: number;
  /** Published ids no worker ever finished. */
  readonly neverProcessed: number;
}

export interface SweepPoint {
  readonly payloadBytes: number;
  /** `grpc-node.flow_control_window` given to the worker; 0 = grpc-js default. */
  readonly windowOption: number;
  /** W: the stream window the channel advertised with that option. */
  readonly streamWindow: number;
  /** Encoded Delivery + 5-byte gRPC prefix, for a message of this run. */
  readonly wireBytes: number;
  /** dispatched - started for the stopped reader once nothing more moved. */
  readonly measured: number;
  /** Q + (H + W) / (S + 5), DESIGN.md section 4: the client side. */
  readonly modelClient: number;
  /** modelClient + the centre of the server's 1..B: the model's single number. */
  readonly model: number;
  /** modelClient + 1 and modelClient + B: the model's range. */
  readonly modelLow: number;
  readonly modelHigh: number;
  /** (measured - model) / model. */
  readonly deviation: number;
  /**
   * The same model with the real wire size, and with Node's http2 returning
   * window only in steps of W/2 (nghttp2 sends WINDOW_UPDATE once half the
   * window is consumed): Q + (H + W/2)/M + 1 .. Q + (H + W)/M + B.
   */
  readonly refinedLow: number;
  readonly refinedHigh: number;
  /** The sidecar's write() had returned false and was waiting for 'drain'. */
  readonly writeBlocked: boolean;
}

export interface SizeSweep {
  readonly constants: TransportConstants;
  readonly points: readonly SweepPoint[];
  readonly durationS: number;
}

export interface ModeSummary {
  readonly mode: ModeId;
  readonly boundedBy: string;
  /** Largest in transit to one worker across hoard, scale-out, priority and kill; with the scenario. */
  readonly maxInTransit: { readonly value: number; readonly scenario: ScenarioId } | null;
  /** Client backlog of the scale-out scenario (steady load), else of hoard. */
  readonly backlog: { readonly distribution: Distribution; readonly scenario: ScenarioId } | null;
  readonly hoardArrival: (Arrival & { readonly timeToFirstMessageS: readonly (number | null)[] }) | null;
  readonly scaleOutArrival: (Arrival & { readonly timeToFirstMessageS: readonly (number | null)[] }) | null;
  readonly highPriority: { readonly delay: Distribution; readonly lowOvertakingMax: number; readonly lowInTransit: number } | null;
  readonly kill: { readonly heldAtKill: number; readonly inTransitAtKill: number; readonly lost: number; readonly redelivered: number; readonly neverProcessed: number } | null;
}
