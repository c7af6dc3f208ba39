/**
 * A message as the sidecar holds it, from the moment a queue hands it out
 * until it is settled. Queues create these; the dispatcher and the delivery
 * modes only read them (and count attempts).
 */

/** A message to enqueue: what Publish and the producer hand over, already validated. */
export interface NewMessage {
  readonly id: string;
  readonly priority: number;
  readonly payload: Buffer;
}

export interface QueuedMessage {
  readonly id: string;
  readonly priority: number;
  readonly payload: Buffer;
  /**
   * Unix ns, as a double: exact to 256 ns, which is more than the clocks
   * give. A number encodes into the Delivery's int64 far faster than the
   * decimal string protobufjs would parse for every delivery.
   */
  readonly publishedAtUnixNano: number;
  /** The same instant in Unix ms, for ages. */
  readonly publishedAtMs: number;
  /**
   * FIFO position within the queue it came from (publish order there): a
   * requeued message goes back before every message with a larger one.
   */
  readonly seq: number;
  /** When this message (re)entered the queue: queue wait is measured from here. */
  enqueuedAtUnixNano: bigint;
  /** Deliveries so far; the next delivery carries attempt + 1. */
  attempts: number;
  /** Trace context of the first delivery, so redeliveries can link to it. */
  firstTraceContext: Record<string, string> | undefined;
}
