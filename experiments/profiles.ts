/**
 * What every scenario shares in a profile. `default` replays the proof of
 * concept (100 ms of work per message); `quick` scales delays and durations
 * down so the whole set runs in a few minutes on a 2-core machine. Each
 * scenario owns its own part of both profiles (its `profile` field), keeping
 * the counts that matter (60 hoarded messages, the same sweep).
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
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  default: { name: 'default', processingDelayMs: 100, payloadBytes: 100, sampleIntervalMs: 100, drainTimeoutS: 240 },
  quick: { name: 'quick', processingDelayMs: 25, payloadBytes: 100, sampleIntervalMs: 100, drainTimeoutS: 120 },
};
