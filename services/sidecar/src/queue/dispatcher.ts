/**
 * The dispatcher moves messages from the queue to workers and back: it hands
 * the next (highest-priority) message to a ready consumer, records the
 * delivery in the ledger, and settles, requeues or loses it as the holder's
 * delivery policy says. It never asks which mode a holder is in, and never
 * which queue runs behind it.
 *
 * What "in flight" means is the holder's business, and that difference is
 * the lab: a stream is written to while `write()` allows, so the HTTP/2
 * window (in bytes) decides how many are in flight; a credit stream takes
 * `prefetch`; a Pull takes one.
 */
import type { Delivery } from '@backlog-lab/common/contract';
import { nowUnixNano, secondsBetween } from '@backlog-lab/common/clock';
import { Deadlines } from './deadlines.ts';
import type { InFlight, PastOutcome } from './ledger.ts';
import { Ledger } from './ledger.ts';
import type { NewMessage, QueuedMessage } from './message.ts';
import type { Consumer, DeliveryPolicy, Holder } from './policy.ts';
import type { MessageQueue } from './queue.ts';
import type { Totals, WorkerRecord, Workers } from './workers.ts';

export type RequeueReason = 'deadline' | 'disconnect';

/**
 * What the dispatcher reports as it happens, for tracing and logs. Counts are
 * not events: they live in the worker records and totals, which the metrics
 * read at scrape time, so a message costs no counter update.
 */
export interface DispatchEvents {
  /**
   * A message is about to be handed to a consumer. May fill
   * `delivery.traceContext`; returns a function called once it is handed over.
   */
  dispatching(message: QueuedMessage, delivery: Delivery, holder: Holder, queueWaitSeconds: number): (() => void) | undefined;
  requeued(message: QueuedMessage, holder: Holder, reason: RequeueReason): void;
}

/** Who claims to settle a delivery: a worker id in a mode, and for a stream the very stream. */
export interface Claimant {
  readonly workerId: string;
  readonly policy: DeliveryPolicy;
  readonly holder?: Holder;
}

/** 'settled' now; or how a delivery no longer in flight ended ('already-settled': a repeat); or 'unknown'. */
export type SettleResult = 'settled' | 'already-settled' | Exclude<PastOutcome, 'settled'> | 'unknown';

export interface DispatcherOptions {
  readonly queue: MessageQueue;
  readonly workers: Workers;
  readonly events: DispatchEvents;
  /** Settled ack ids remembered, so a repeated settle is answered rather than refused. */
  readonly rememberSettled?: number;
}

export class Dispatcher {
  readonly queue: MessageQueue;
  readonly workers: Workers;
  readonly ledger: Ledger;
  readonly #events: DispatchEvents;
  /** Consumers that can take a message; Set order gives round-robin. */
  readonly #ready = new Set<Consumer>();
  /** Holders that went away and whose deliveries wait out their policy's release grace. */
  readonly #graceTimers = new Map<Holder, NodeJS.Timeout>();
  /** One deadline list per policy that has a settle deadline. */
  readonly #deadlines = new Map<DeliveryPolicy, Deadlines<InFlight>>();
  #dispatching = false;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.queue = options.queue;
    this.workers = options.workers;
    this.#events = options.events;
    this.ledger = new Ledger(options.rememberSettled ?? 100_000);
    this.queue.onAvailable(() => { this.dispatch(); });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get totals(): Readonly<Totals> {
    return this.workers.totals;
  }

  /** True if a message with this id is queued (where the queue can tell) or in flight. */
  has(id: string): boolean {
    return this.ledger.hasMessage(id) || (this.queue.has?.(id) ?? false);
  }

  /** Enqueues messages (already validated), all or none; dispatch follows as the queue offers them. */
  async publish(messages: readonly NewMessage[]): Promise<void> {
    await this.queue.publish(messages);
    const totals = this.workers.totals;
    totals.published += messages.length;
    for (const m of messages) totals.publishedByPriority[m.priority] = (totals.publishedByPriority[m.priority] ?? 0) + 1;
  }

  /** Registers a stream or a pending Pull under its (admitted) worker record. */
  attach(consumer: Consumer, record: WorkerRecord): void {
    record.attached++;
    record.lastSeenMs = Date.now();
    this.wake(consumer);
  }

  /** Unregisters a consumer. What its holder has in flight stays until release(). */
  detach(consumer: Consumer): void {
    this.#ready.delete(consumer);
    const record = this.workers.get(consumer.holder.workerId);
    if (record) {
      record.attached = Math.max(0, record.attached - 1);
      record.lastSeenMs = Date.now();
    }
  }

  /**
   * The holder is gone: its unsettled deliveries are requeued in their
   * original order, or lost once its policy's grace has passed.
   */
  release(holder: Holder): void {
    const held = [...this.ledger.heldBy(holder)];
    if (held.length === 0 || this.#closed) return;
    if (holder.policy.release === 'requeue') {
      this.#requeue(held, 'disconnect');
      return;
    }
    for (const entry of held) entry.released = true;
    if (holder.policy.releaseGraceMs <= 0) {
      this.#lose(holder);
      return;
    }
    const timer = setTimeout(() => { this.#lose(holder); }, holder.policy.releaseGraceMs);
    timer.unref();
    this.#graceTimers.set(holder, timer);
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
      while (this.#ready.size > 0 && this.queue.size > 0) {
        const consumer = this.#ready.values().next().value as Consumer;
        this.#ready.delete(consumer);
        if (!consumer.canTake()) continue;
        const message = this.queue.take();
        if (message === undefined) break;
        this.#handOver(message, consumer);
        if (consumer.canTake()) this.#ready.add(consumer);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /**
   * A worker settles a delivery (ack, or receipt in stream mode). It counts
   * only if the claimant holds it: same worker id and mode, and for a stream
   * the same stream. Otherwise the answer says how it ended, if that is
   * remembered for this claimant, or 'unknown' (never whose it is).
   */
  settle(ackId: string, claimant: Claimant): SettleResult {
    const entry = this.ledger.get(ackId);
    if (entry && holds(entry.holder, claimant)) {
      this.ledger.remove(entry, 'settled');
      if (!entry.upstreamDone) this.queue.ack(entry.message);
      const record = this.workers.get(entry.holder.workerId);
      if (record) {
        record.acked++;
        record.inFlight--;
        record.lastSeenMs = Date.now();
      }
      this.workers.totals.acked++;
      return 'settled';
    }
    const past = this.ledger.past(ackId, claimant.workerId, claimant.policy);
    return past === undefined ? 'unknown' : past === 'settled' ? 'already-settled' : past;
  }

  /** Renews the settle deadline (a lease) of a delivery the claimant holds; false if it holds none by that id. */
  extend(ackId: string, claimant: Claimant): boolean {
    const entry = this.ledger.get(ackId);
    if (!entry?.deadline || entry.released || !holds(entry.holder, claimant)) return false;
    entry.deadline.renew(entry);
    const record = this.workers.get(entry.holder.workerId);
    if (record) record.lastSeenMs = Date.now();
    return true;
  }

  /** Stops dispatching; nothing is requeued or lost (shutdown keeps the ledger for the last Stats). */
  close(): void {
    this.#closed = true;
    this.#ready.clear();
    for (const deadlines of this.#deadlines.values()) deadlines.stop();
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
  }

  /** Per worker id, the publish time (Unix ms) of its oldest message in flight. */
  oldestInFlight(): Map<string, number> {
    const oldest = new Map<string, number>();
    for (const entry of this.ledger.entries()) {
      const id = entry.holder.workerId;
      const at = entry.message.publishedAtMs;
      const known = oldest.get(id);
      if (known === undefined || at < known) oldest.set(id, at);
    }
    return oldest;
  }

  #handOver(message: QueuedMessage, consumer: Consumer): void {
    const holder = consumer.holder;
    const policy = holder.policy;
    const now = nowUnixNano();
    message.attempts++;
    const ackId = holder.ackIds.next();
    const delivery: Delivery = {
      id: message.id,
      priority: message.priority,
      payload: message.payload,
      publishedAtUnixNano: message.publishedAtUnixNano,
      // A number, not a string: see QueuedMessage.publishedAtUnixNano.
      dispatchedAtUnixNano: Number(now),
      attempt: message.attempts,
      traceContext: {},
      ackId,
    };
    const entry: InFlight = { ackId, message, holder, deadline: undefined, dueAt: 0, prevDue: undefined, nextDue: undefined, upstreamDone: false, released: false };
    this.ledger.add(entry);
    if (policy.settleWithinMs !== undefined) this.#deadlinesOf(policy, policy.settleWithinMs).add(entry);
    if (policy.upstreamAck === 'dispatch') {
      this.queue.ack(message);
      entry.upstreamDone = true;
    }
    const record = this.workers.get(holder.workerId);
    if (record) {
      record.dispatched++;
      if (message.attempts > 1) record.redelivered++;
      record.inFlight++;
      record.lastSeenMs = Date.now();
    }
    this.workers.totals.dispatched++;
    const done = this.#events.dispatching(message, delivery, holder, secondsBetween(message.enqueuedAtUnixNano, now));
    message.firstTraceContext ??= delivery.traceContext;
    consumer.deliver(delivery);
    done?.();
  }

  #deadlinesOf(policy: DeliveryPolicy, spanMs: number): Deadlines<InFlight> {
    let deadlines = this.#deadlines.get(policy);
    if (!deadlines) {
      deadlines = new Deadlines<InFlight>(spanMs, (expired) => { this.#requeue(expired, 'deadline'); });
      this.#deadlines.set(policy, deadlines);
    }
    return deadlines;
  }

  /** Takes deliveries back and returns their messages to the queue, which restores their order. */
  #requeue(entries: readonly InFlight[], reason: RequeueReason): void {
    for (const entry of entries) {
      this.ledger.remove(entry, 'expired');
      const record = this.workers.get(entry.holder.workerId);
      if (record) {
        record.requeued++;
        if (reason === 'deadline') record.requeuedAtDeadline++;
        record.inFlight--;
      }
      this.workers.totals.requeued++;
      this.#events.requeued(entry.message, entry.holder, reason);
    }
    this.queue.requeue(entries.map((e) => e.message));
  }

  /** The release grace is over: what is still held was never receipted, and nothing brings it back. */
  #lose(holder: Holder): void {
    this.#graceTimers.delete(holder);
    const held = [...this.ledger.heldBy(holder)];
    if (held.length === 0) return;
    for (const entry of held) {
      this.ledger.remove(entry, 'lost');
      if (!entry.upstreamDone) this.queue.drop(entry.message);
    }
    const record = this.workers.get(holder.workerId);
    if (record) {
      record.lost += held.length;
      record.inFlight -= held.length;
    }
    this.workers.totals.lost += held.length;
  }
}

function holds(holder: Holder, claimant: Claimant): boolean {
  return holder.workerId === claimant.workerId && holder.policy === claimant.policy &&
    (claimant.holder === undefined || claimant.holder === holder);
}
