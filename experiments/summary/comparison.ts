/**
 * What a scenario's conclusion sees: its runs on one stack and queue, one
 * per mode, split into the mode only bytes bound (stream) and the modes the
 * worker bounds (ModeSpec.bound), so no sentence has to name a mode.
 */
import type { Profile } from '../profiles.ts';
import type { ModeId } from '../variants/modes.ts';
import type { QueueId } from '../variants/queues.ts';
import type { StackId } from '../variants/stacks.ts';
import type { Variant } from '../variants/variant.ts';

export interface Entry<Run, Summary> {
  readonly variant: Variant;
  readonly run: Run;
  readonly summary: Summary | undefined;
}

export interface Comparison<Run, Summary, Params> {
  readonly stack: StackId;
  readonly queue: QueueId;
  /** In mode order. */
  readonly entries: readonly Entry<Run, Summary>[];
  readonly unbounded: Entry<Run, Summary> | undefined;
  readonly bounded: readonly Entry<Run, Summary>[];
  readonly params: Params;
  readonly profile: Profile;
}

/** A scenario's part of the closing answer. */
export interface Evidence {
  /** What went wrong in the unbounded mode, as a clause ("57 were lost when their worker died"). */
  readonly against?: string;
  /** What the bounded modes did instead, and which of them did. */
  readonly kept?: { readonly clause: string; readonly modes: readonly ModeId[] };
}
