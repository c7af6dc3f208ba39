/**
 * The queue behind the sidecar. The dispatcher takes messages from it and
 * tells it how each one ended; it never knows which implementation runs:
 *
 * - `memory` (memory-queue.ts): the sidecar's own priority queue, the default.
 * - `rabbitmq` (rabbitmq-queue.ts): a priority queue on a RabbitMQ broker; the
 *   sidecar is one consumer of it with its own prefetch, and acks upstream
 *   only when the dispatcher says a message is done.
 *
 * Every message a queue hands out with take() comes back exactly once, as
 * ack (done), requeue (deliver again, in its original order) or drop (lost
 * for good), unless the queue itself lost its hold on it (a broker
 * connection that broke: the broker redelivers it, and ack/requeue/drop of
 * the old copy are ignored).
 */
import type { NewMessage, QueuedMessage } from './message.ts';

export const QUEUE_KINDS = ['memory', 'rabbitmq'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** What the queue behind the sidecar reports: the numbers its own UI and a queue-length autoscaler see. */
export interface UpstreamStats {
  readonly kind: QueueKind;
  /** Messages ready in the queue (rabbitmq: as the broker last reported; memory: the queue depth). */
  readonly ready: number;
  /** Messages this sidecar holds unacked upstream (rabbitmq only; memory: 0). */
  readonly unacked: number;
  /** rabbitmq: connected to the broker and consuming; memory: always true. */
  readonly connected: boolean;
}

export interface MessageQueue {
  readonly kind: QueueKind;
  /** memory: nothing to do; rabbitmq: begins connecting (retrying with capped backoff in the background) and resolves at once. */
  start(): Promise<void>;
  /**
   * Rejects when the queue can never work as configured, so retrying is
   * pointless (rabbitmq: the queue exists with other arguments). The sidecar
   * logs the error and exits 1. memory: never settles.
   */
  readonly fatal: Promise<never>;
  /** Stops handing out messages and gives back (rabbitmq: nacks) what was fetched and not taken. */
  close(): Promise<void>;
  /** False while messages can be neither published nor taken (rabbitmq: broker unreachable). */
  isReady(): boolean;
  /**
   * Enqueues the batch, all or none; resolves once it is safely queued
   * (rabbitmq: confirmed by the broker). Rejects if it cannot be.
   */
  publish(batch: readonly NewMessage[]): Promise<void>;
  /** The next message to dispatch, highest priority first, FIFO within a level; undefined when none is ready. */
  take(): QueuedMessage | undefined;
  /** True if a message with this id is queued here, where the queue can tell (memory); behind a broker only the sidecar's own buffer is known. */
  has?(id: string): boolean;
  /** Messages ready to take, all priorities. */
  readonly size: number;
  /** Payload bytes of the messages ready to take (what a queue in memory costs). */
  readonly bytes: number;
  /** Messages ready to take at one priority. */
  depth(priority: number): number;
  /** Unix ms when the oldest message ready to take was published; undefined when none is. */
  oldestPublishedAtMs(): number | undefined;
  /** The message is done: forget it (rabbitmq: ack upstream). */
  ack(message: QueuedMessage): void;
  /**
   * Deliver these again. Any order: the queue puts each back by its `seq`, so
   * they come out in their original order, before anything published after them.
   */
  requeue(messages: readonly QueuedMessage[]): void;
  /** The message is lost for good (a stream that ended without its receipt). */
  drop(message: QueuedMessage): void;
  upstream(): UpstreamStats;
  /** `listener` runs whenever take() may return a message it would not have before (the dispatcher then dispatches). */
  onAvailable(listener: () => void): void;
}
