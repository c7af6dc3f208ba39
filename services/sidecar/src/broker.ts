/**
 * The broker owns every message from publish to ack: the priority queue, the
 * ledger of messages handed to workers, and the per-worker counts that Stats
 * reports. Delivery modes plug in as Consumers; the broker decides which
 * ready consumer gets the next (highest-priority) message.
 *
 * What "in flight" means differs by mode, and that difference is the lab:
 * - stream: a message written to the stream is in flight until the worker's
 *   receipt. The broker keeps writing while `write()` allows, so the HTTP/2
 *   window (counted in bytes, not messages) decides how many that is.
 * - credit: at most `prefetch` unacked per stream; the worker decides.
 * - poll:   one per Pull; the worker asks only when it has a free slot.
 */
import type { Delivery } from '@backlog-lab/common/contract';
import type { DeliveryMode } from '@backlog-lab/common/modes';
import { nowUnixNano, secondsBetween } from '@backlog-lab/common/clock';
import { PRIORITY_LEVELS } from '@backlog-lab/common/priority';
import { PriorityQueue } from './priority-queue.ts';

export interface QueuedMessage {
  readonly id: string;
  readonly priority: number;
  readonly payload: Buffer;
  /** Unix ns as the decimal string the Delivery carries; one string per Publish batch. */
  readonly publishedAtUnixNano: string;
  /** When this message (re)entered the queue: queue wait is measured from here. */
  enqueuedAtUnixNano: bigint;
  /** Deliveries so far; the next delivery carries attempt + 1. */
  attempts: number;
  /** Trace context of the first delivery, so redeliveries can link to it. */
  firstTraceContext: Record<string, string> | undefined;
}

/**
 * Whoever in-flight messages are attributed to: a stream (stream/credit) or a
 * poll worker. Requeue and loss happen per holder.
 */
export interface Holder {
  readonly workerId: string;
  readonly mode: DeliveryMode;
  /** Ids this holder has been handed and not yet acked. */
  readonly held: Set<string>;
}

/** A place the broker can hand one message to right now. */
export interface Consumer {
  readonly holder: Holder;
  /** True while this consumer can take one more message. */
  canTake(): boolean;
  deliver(delivery: Delivery): void;
}

export type RequeueReason = 'deadline' | 'disconnect';

export type AckResult =
  | 'acked'
  | 'already-acked'
  | 'expired'
  | 'not-found'
  | 'wrong-holder';

/** Everything the broker reports as it happens; metrics and tracing implement it. */
export interface BrokerEvents {
  /** A worker id seen for the first time. */
  workerSeen(holder: Holder): void;
  published(message: QueuedMessage): void;
  /**
   * A message is about to be handed to a consumer. May fill
   * `delivery.traceContext`; returns a function called once it is handed over.
   */
  dispatching(message: QueuedMessage, delivery: Delivery, holder: Holder, queueWaitSeconds: number): (() => void) | undefined;
  acked(holder: Holder): void;
  requeued(message: QueuedMessage, holder: Holder, reason: RequeueReason): void;
  lost(count: number, holder: Holder): void;
}

export interface WorkerRecord {
  readonly workerId: string;
  mode: DeliveryMode;
  dispatched: number;
  acked: number;
  inFlight: number;
  requeued: number;
  lost: number;
  prefetch: number;
  /** Open Subscribe/Consume streams, or pending Pulls. */
  attached: number;
  lastSeenMs: number;
}

export interface Totals {
  published: number;
  dispatched: number;
  acked: number;
  requeued: number;
  lost: number;
}

export interface BrokerOptions {
  /** credit/poll: unacked messages go back to the queue after this long. */
  readonly ackDeadlineMs: number;
  readonly events: BrokerEvents;
  /** Ids remembered after ack so a repeated ack is answered "already acked". */
  readonly rememberAcked?: number;
}

interface LedgerEntry {
  readonly message: QueuedMessage;
  readonly holder: Holder;
  deadline: NodeJS.Timeout | undefined;
}

/** A poll worker seen in the last this-many ms counts as connected. */
const POLL_PRESENCE_MS = 10_000;

export class Broker {
  readonly #queue = new PriorityQueue<QueuedMessage>(PRIORITY_LEVELS);
  readonly #ledger = new Map<string, LedgerEntry>();
  /** Ids queued or in flight, so Publish can refuse a duplicate id. */
  readonly #live = new Set<string>();
  readonly #recentlyAcked = new Set<string>();
  /** The same ids in the order they were acked, so the oldest is forgotten in O(1). */
  readonly #ackedRing: (string | undefined)[];
  #ackedRingNext = 0;
  /**
   * Message id -> workers whose hold on it expired (a late ack is answered,
   * not counted). Kept while the id is live or remembered as acked.
   */
  readonly #expired = new Map<string, string[]>();
  /** Consumers that can take a message; Set order gives round-robin. */
  readonly #ready = new Set<Consumer>();
  readonly #workers = new Map<string, WorkerRecord>();
  readonly #totals: Totals = { published: 0, dispatched: 0, acked: 0, requeued: 0, lost: 0 };
  readonly #options: BrokerOptions;
  readonly #rememberAcked: number;
  #dispatching = false;
  #closed = false;

  constructor(options: BrokerOptions) {
    this.#options = options;
    this.#rememberAcked = Math.max(1, options.rememberAcked ?? 100_000);
    this.#ackedRing = new Array<string | undefined>(this.#rememberAcked);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True if the id is queued or in flight. */
  has(id: string): boolean {
    return this.#live.has(id);
  }

  /** Enqueues messages (already validated) and dispatches what it can. */
  publish(messages: readonly { id: string; priority: number; payload: Buffer }[]): void {
    const now = nowUnixNano();
    const publishedAt = now.toString();
    for (const m of messages) {
      const message: QueuedMessage = {
        id: m.id,
        priority: m.priority,
        payload: m.payload,
        publishedAtUnixNano: publishedAt,
        enqueuedAtUnixNano: now,
        attempts: 0,
        firstTraceContext: undefined,
      };
      this.#live.add(message.id);
      this.#queue.push(message.priority, message);
      this.#totals.published++;
      this.#options.events.published(message);
    }
    this.dispatch();
  }

  /** Registers a worker's stream or pending Pull. */
  attach(consumer: Consumer, prefetch = 0): void {
    const record = this.#record(consumer.holder);
    record.attached++;
    if (prefetch > 0) record.prefetch = prefetch;
    this.wake(consumer);
  }

  /**
   * Unregisters a consumer. For a holder that goes away with it (a stream),
   * its unacked messages are requeued (credit) or counted lost (stream).
   */
  detach(consumer: Consumer, releaseHeld: boolean): void {
    this.#ready.delete(consumer);
    const holder = consumer.holder;
    const record = this.#workers.get(holder.workerId);
    if (record) {
      record.attached = Math.max(0, record.attached - 1);
      record.lastSeenMs = Date.now();
    }
    if (releaseHeld) this.release(holder);
  }

  /** Takes back everything a holder has not acked. */
  release(holder: Holder): void {
    if (holder.held.size === 0) return;
    if (holder.mode === 'stream') {
      const count = holder.held.size;
      for (const id of holder.held) {
        const entry = this.#ledger.get(id);
        this.#ledger.delete(id);
        this.#live.delete(id);
        if (entry?.deadline) clearTimeout(entry.deadline);
      }
      holder.held.clear();
      const record = this.#record(holder);
      record.lost += count;
      record.inFlight -= count;
      this.#totals.lost += count;
      this.#options.events.lost(count, holder);
      return;
    }
    for (const id of [...holder.held]) this.#requeue(id, 'disconnect');
    this.dispatch();
  }

  /** A consumer that may have been full can take messages again. */
  wake(consumer: Consumer): void {
    if (this.#closed || !consumer.canTake()) return;
    this.#ready.add(consumer);
    this.dispatch();
  }

  /** Hands queued messages to ready consumers, highest priority first, round-robin. */
  dispatch(): void {
    if (this.#dispatching || this.#closed) return;
    this.#dispatching = true;
    try {
      while (this.#queue.size > 0 && this.#ready.size > 0) {
        const consumer = this.#ready.values().next().value as Consumer;
        this.#ready.delete(consumer);
        if (!consumer.canTake()) continue;
        const message = this.#queue.shift() as QueuedMessage;
        this.#handOver(message, consumer);
        if (consumer.canTake()) this.#ready.add(consumer);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /**
   * A worker acknowledges (or, in stream mode, receipts) a message. `via` is
   * the Consume stream an ack came on, or the mode of the unary call it came
   * by ('poll' for Ack, 'stream' for Receipt): a message is settled only
   * through the channel it was delivered on, so a credit can never leak.
   */
  ack(workerId: string, messageId: string, via: Holder | 'poll' | 'stream'): AckResult {
    const entry = this.#ledger.get(messageId);
    const holds = entry !== undefined && entry.holder.workerId === workerId &&
      (typeof via === 'string' ? entry.holder.mode === via : entry.holder === via);
    if (entry && holds) {
      this.#ledger.delete(messageId);
      this.#live.delete(messageId);
      if (entry.deadline) clearTimeout(entry.deadline);
      entry.holder.held.delete(messageId);
      this.#remember(messageId);
      const record = this.#record(entry.holder);
      record.acked++;
      record.inFlight--;
      record.lastSeenMs = Date.now();
      this.#totals.acked++;
      this.#options.events.acked(entry.holder);
      return 'acked';
    }
    if (this.#expired.get(messageId)?.includes(workerId)) return 'expired';
    if (this.#recentlyAcked.has(messageId)) return 'already-acked';
    if (entry) return 'wrong-holder';
    return 'not-found';
  }

  /** Stops dispatching; nothing is requeued or lost (shutdown keeps the ledger for the last Stats). */
  close(): void {
    this.#closed = true;
    this.#ready.clear();
    for (const entry of this.#ledger.values()) {
      if (entry.deadline) clearTimeout(entry.deadline);
      entry.deadline = undefined;
    }
  }

  queueDepth(priority: number): number {
    return this.#queue.depth(priority);
  }

  get queued(): number {
    return this.#queue.size;
  }

  get totals(): Readonly<Totals> {
    return this.#totals;
  }

  workers(): readonly Readonly<WorkerRecord>[] {
    return [...this.#workers.values()];
  }

  isConnected(record: Readonly<WorkerRecord>, nowMs = Date.now()): boolean {
    if (record.attached > 0) return true;
    return record.mode === 'poll' && nowMs - record.lastSeenMs < POLL_PRESENCE_MS;
  }

  /** Notes that a poll worker asked for work, for its presence in Stats. */
  seen(holder: Holder): void {
    this.#record(holder).lastSeenMs = Date.now();
  }

  #handOver(message: QueuedMessage, consumer: Consumer): void {
    const holder = consumer.holder;
    const now = nowUnixNano();
    message.attempts++;
    const delivery: Delivery = {
      id: message.id,
      priority: message.priority,
      payload: message.payload,
      publishedAtUnixNano: message.publishedAtUnixNano,
      dispatchedAtUnixNano: now.toString(),
      attempt: message.attempts,
      traceContext: {},
    };
    const entry: LedgerEntry = { message, holder, deadline: undefined };
    if (holder.mode !== 'stream') {
      entry.deadline = setTimeout(() => {
        this.#requeue(message.id, 'deadline');
        this.dispatch();
      }, this.#options.ackDeadlineMs);
      entry.deadline.unref();
    }
    this.#ledger.set(message.id, entry);
    holder.held.add(message.id);
    const record = this.#record(holder);
    record.dispatched++;
    record.inFlight++;
    record.lastSeenMs = Date.now();
    this.#totals.dispatched++;
    const done = this.#options.events.dispatching(message, delivery, holder, secondsBetween(message.enqueuedAtUnixNano, now));
    message.firstTraceContext ??= delivery.traceContext;
    consumer.deliver(delivery);
    done?.();
  }

  #requeue(id: string, reason: RequeueReason): void {
    const entry = this.#ledger.get(id);
    if (!entry) return;
    this.#ledger.delete(id);
    if (entry.deadline) clearTimeout(entry.deadline);
    entry.holder.held.delete(id);
    const holders = this.#expired.get(id);
    if (holders) holders.push(entry.holder.workerId);
    else this.#expired.set(id, [entry.holder.workerId]);
    const record = this.#record(entry.holder);
    record.requeued++;
    record.inFlight--;
    this.#totals.requeued++;
    entry.message.enqueuedAtUnixNano = nowUnixNano();
    this.#queue.unshift(entry.message.priority, entry.message);
    this.#options.events.requeued(entry.message, entry.holder, reason);
  }

  #remember(id: string): void {
    if (this.#recentlyAcked.has(id)) return;
    const oldest = this.#ackedRing[this.#ackedRingNext];
    if (oldest !== undefined) {
      this.#recentlyAcked.delete(oldest);
      // A late ack for it would now be answered not-found; the cap bounds memory.
      this.#expired.delete(oldest);
    }
    this.#ackedRing[this.#ackedRingNext] = id;
    this.#ackedRingNext = (this.#ackedRingNext + 1) % this.#rememberAcked;
    this.#recentlyAcked.add(id);
  }

  #record(holder: Holder): WorkerRecord {
    let record = this.#workers.get(holder.workerId);
    if (!record) {
      record = {
        workerId: holder.workerId,
        mode: holder.mode,
        dispatched: 0,
        acked: 0,
        inFlight: 0,
        requeued: 0,
        lost: 0,
        prefetch: 0,
        attached: 0,
        lastSeenMs: Date.now(),
      };
      this.#workers.set(holder.workerId, record);
      this.#options.events.workerSeen(holder);
    }
    record.mode = holder.mode;
    return record;
  }
}
