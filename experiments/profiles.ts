/**
 * Scenario parameters. `default` replays the proof of concept (100 ms of work
 * per message); `quick` scales delays and durations down so the whole set
 * runs in a few minutes on a 2-core machine, keeping the counts that matter
 * (60 hoarded messages, payload 100 bytes, the same sweep).
 */
export const PROFILE_NAMES = ['default', 'quick'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  readonly name: ProfileName;
  /** Processing time per message of an ordinary worker. */
  readonly processingDelayMs: number;
  /** Payload size of every scenario message (the size sweep sets its own). */
  readonly payloadBytes: number;
  /** Stats and worker metrics are sampled this often. */
  readonly sampleIntervalMs: number;
  /** A scenario that has not finished its messages by then fails. */
  readonly drainTimeoutS: number;
  readonly hoard: {
    readonly messages: number;
    /** The first worker's processing time: the slow consumer that hoards. */
    readonly hoarderDelayMs: number;
    readonly laterWorkers: number;
  };
  readonly scaleOut: {
    /** Publish rate as a multiple of one worker's capacity (1000 / processingDelayMs per second). */
    readonly loadFactor: number;
    /** Seconds of load with one worker before the others start. */
    readonly beforeS: number;
    /** Seconds of load after the new workers are up. */
    readonly afterS: number;
    readonly newWorkers: number;
  };
  readonly priority: {
    readonly lowMessages: number;
    readonly highMessages: number;
  };
  readonly kill: {
    readonly messages: number;
    readonly victimDelayMs: number;
    /** The victim is killed just after it starts this many-th message. */
    readonly killAtStart: number;
    /** credit/poll: the sidecar's ack deadline (how a dead poll worker is noticed). */
    readonly ackDeadlineMs: number;
  };
  readonly sizeSweep: {
    readonly payloads: readonly number[];
    /** `grpc-node.flow_control_window` values; 0 = grpc-js's default. */
    readonly windows: readonly number[];
    /** The stream is full once nothing more is dispatched for this long. */
    readonly settleMs: number;
  };
}

const SWEEP_PAYLOADS = [100, 1000, 4096, 16000, 60000];
const SWEEP_WINDOWS = [0, 16 * 1024, 1024 * 1024];

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  default: {
    name: 'default',
    processingDelayMs: 100,
    payloadBytes: 100,
    sampleIntervalMs: 100,
    drainTimeoutS: 240,
    hoard: { messages: 60, hoarderDelayMs: 1000, laterWorkers: 2 },
    scaleOut: { loadFactor: 3, beforeS: 10, afterS: 10, newWorkers: 4 },
    priority: { lowMessages: 100, highMessages: 5 },
    kill: { messages: 100, victimDelayMs: 100, killAtStart: 4, ackDeadlineMs: 2000 },
    sizeSweep: { payloads: SWEEP_PAYLOADS, windows: SWEEP_WINDOWS, settleMs: 1000 },
  },
  quick: {
    name: 'quick',
    processingDelayMs: 25,
    payloadBytes: 100,
    sampleIntervalMs: 100,
    drainTimeoutS: 120,
    hoard: { messages: 60, hoarderDelayMs: 250, laterWorkers: 2 },
    scaleOut: { loadFactor: 3, beforeS: 3, afterS: 3, newWorkers: 4 },
    priority: { lowMessages: 100, highMessages: 5 },
    kill: { messages: 60, victimDelayMs: 100, killAtStart: 4, ackDeadlineMs: 1000 },
    sizeSweep: { payloads: SWEEP_PAYLOADS, windows: SWEEP_WINDOWS, settleMs: 1000 },
  },
};
