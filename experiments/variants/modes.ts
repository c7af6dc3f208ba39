/**
 * The delivery modes the runner compares: the three the sidecar serves, with
 * `credit` at two prefetch settings. Each is just a worker environment.
 */
import type { DeliveryMode } from '@backlog-lab/common/modes';

export const MODE_IDS = ['stream', 'credit-1', 'credit-10', 'poll'] as const;
export type ModeId = (typeof MODE_IDS)[number];

export interface ModeSpec {
  readonly id: ModeId;
  readonly deliveryMode: DeliveryMode;
  /** credit: messages the worker lets the sidecar have outstanding; 0 otherwise. */
  readonly prefetch: number;
  /**
   * Most messages the worker lets be in transit to it; null when only the
   * HTTP/2 window and the buffers, in bytes, bound them. The conclusion
   * compares the unbounded mode with the bounded ones by this, not by name.
   */
  readonly bound: number | null;
  /** What bounds in-transit messages, for the report. */
  readonly boundedBy: string;
}

export const MODES: Readonly<Record<ModeId, ModeSpec>> = {
  'stream': { id: 'stream', deliveryMode: 'stream', prefetch: 0, bound: null, boundedBy: 'HTTP/2 window + buffers (bytes)' },
  'credit-1': { id: 'credit-1', deliveryMode: 'credit', prefetch: 1, bound: 1, boundedBy: 'prefetch 1' },
  'credit-10': { id: 'credit-10', deliveryMode: 'credit', prefetch: 10, bound: 10, boundedBy: 'prefetch 10' },
  'poll': { id: 'poll', deliveryMode: 'poll', prefetch: 0, bound: 1, boundedBy: 'one Pull per free slot' },
};

/** Worker environment for a mode. */
export function modeEnv(mode: ModeId): Record<string, string | number> {
  const spec = MODES[mode];
  return spec.deliveryMode === 'credit'
    ? { DELIVERY_MODE: 'credit', PREFETCH: spec.prefetch }
    : { DELIVERY_MODE: spec.deliveryMode };
}
