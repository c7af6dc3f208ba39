/**
 * What the dispatcher asks a delivery mode instead of asking its name. Each
 * mode (delivery/*-mode.ts) hands its policy to the holders it creates; the
 * queue, the ledger and the dispatch loop read only these fields.
 */
import type { Delivery } from '@backlog-lab/common/contract';
import type { AckIds } from './ack-ids.ts';

export interface DeliveryPolicy {
  /** The mode's name, as Stats and the metrics' `mode` label show it. */
  readonly mode: string;
  /**
   * What becomes of a holder's unsettled deliveries when it goes away:
   * requeued for someone else, or lost (nothing brings them back).
   */
  readonly release: 'requeue' | 'lose';
  /** With release 'lose': settles (receipts on their way) still count this long after the holder went. */
  readonly releaseGraceMs: number;
  /**
   * A delivery not settled within this long is requeued (credit: the ack
   * deadline; poll: the lease, which the holder extends); undefined: never.
   */
  readonly settleWithinMs: number | undefined;
  /**
   * When the queue behind the sidecar is told a message is done: when its
   * holder settles it, or as soon as it is dispatched (then a holder that
   * dies takes it with it, upstream too).
   */
  readonly upstreamAck: 'settle' | 'dispatch';
  /** Only one call at a time may hold deliveries for a worker id (a stream), or several (Pulls). */
  readonly exclusive: boolean;
  /** With nothing attached, a worker of this mode still counts as connected this long after its last request. */
  readonly presenceMs: number;
}

/** Whoever deliveries are attributed to: a stream, or a poll worker across its Pulls. */
export interface Holder {
  readonly workerId: string;
  readonly policy: DeliveryPolicy;
  /** Issues the ack ids of this holder's deliveries. */
  readonly ackIds: AckIds;
}

/** A place the dispatcher can hand one message to right now. */
export interface Consumer {
  readonly holder: Holder;
  /** True while this consumer can take one more message. */
  canTake(): boolean;
  deliver(delivery: Delivery): void;
}
