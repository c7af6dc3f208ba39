/**
 * The workers the sidecar knows and their counts, plus the totals Stats
 * reports. A worker id is admitted here (one live stream per id, one mode at
 * a time, a cap on how many ids are known) and forgotten once it has been
 * gone for the TTL with nothing in flight, so neither this table nor the
 * metrics' label sets grow with every id a client ever sent.
 */
import type { DeliveryPolicy } from './policy.ts';

export interface WorkerRecord {
  readonly workerId: string;
  policy: DeliveryPolicy;
  dispatched: number;
  acked: number;
  /** Dispatched and not yet settled (or released and still within the grace). */
  inFlight: number;
  requeued: number;
  /** Of those, requeued because the ack deadline passed or the lease lapsed (the rest: the holder went away). */
  requeuedAtDeadline: number;
  /** Dispatches with attempt > 1. */
  redelivered: number;
  lost: number;
  /** credit: the prefetch the worker asked for. */
  prefetch: number;
  /** Open streams, or pending Pulls. */
  attached: number;
  lastSeenMs: number;
}

export interface Totals {
  published: number;
  /** Published, by priority (low first). */
  readonly publishedByPriority: number[];
  dispatched: number;
  acked: number;
  requeued: number;
  lost: number;
}

/** Why a worker id cannot be admitted right now. */
export type Refusal =
  | { readonly reason: 'taken' }
  | { readonly reason: 'other-mode'; readonly mode: string }
  | { readonly reason: 'full'; readonly max: number };

export interface WorkersOptions {
  /** A worker gone this long, with nothing in flight, is forgotten. */
  readonly ttlMs: number;
  /** Most worker ids known at once. */
  readonly maxWorkers: number;
}

export class Workers {
  readonly totals: Totals = { published: 0, publishedByPriority: [], dispatched: 0, acked: 0, requeued: 0, lost: 0 };
  readonly #records = new Map<string, WorkerRecord>();
  readonly #options: WorkersOptions;
  readonly #forgotten: ((record: WorkerRecord) => void)[] = [];

  constructor(options: WorkersOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#records.size;
  }

  /** `listener` runs when a worker id is forgotten. */
  onForgotten(listener: (record: WorkerRecord) => void): void {
    this.#forgotten.push(listener);
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.#records.get(workerId);
  }

  /**
   * The record under which `policy`'s mode may attach for this worker id,
   * created if new; a refusal if another live stream holds the id, the id is
   * connected in another mode, or the table is full.
   */
  admit(workerId: string, policy: DeliveryPolicy, nowMs = Date.now()): WorkerRecord | Refusal {
    const known = this.#records.get(workerId);
    if (known) {
      if (known.policy !== policy && this.isConnected(known, nowMs)) return { reason: 'other-mode', mode: known.policy.mode };
      if (policy.exclusive && known.attached > 0 && known.policy === policy) return { reason: 'taken' };
      known.policy = policy;
      return known;
    }
    if (this.#records.size >= this.#options.maxWorkers) return { reason: 'full', max: this.#options.maxWorkers };
    const record: WorkerRecord = { workerId, policy, dispatched: 0, acked: 0, inFlight: 0, requeued: 0, requeuedAtDeadline: 0, redelivered: 0, lost: 0, prefetch: 0, attached: 0, lastSeenMs: nowMs };
    this.#records.set(workerId, record);
    return record;
  }

  list(): IterableIterator<WorkerRecord> {
    return this.#records.values();
  }

  isConnected(record: WorkerRecord, nowMs = Date.now()): boolean {
    return record.attached > 0 || nowMs - record.lastSeenMs < record.policy.presenceMs;
  }

  /** Forgets workers gone for the TTL with nothing in flight; returns how many. */
  sweep(nowMs = Date.now()): number {
    let forgotten = 0;
    for (const record of this.#records.values()) {
      if (record.inFlight > 0 || this.isConnected(record, nowMs) || nowMs - record.lastSeenMs < this.#options.ttlMs) continue;
      this.#records.delete(record.workerId);
      forgotten++;
      for (const listener of this.#forgotten) listener(record);
    }
    return forgotten;
  }
}

export function isRefusal(value: WorkerRecord | Refusal): value is Refusal {
  return 'reason' in value;
}
