/**
 * Settle deadlines of one policy (credit's ack deadline, poll's lease), kept
 * in one list instead of one timer per delivery. Every delivery of a policy
 * gets the same span, so appending in dispatch order keeps the list in
 * deadline order; a renewed lease moves to the end. Adding, removing and
 * renewing are O(1), and one timer, armed for the head, serves the list: at a
 * high rate the per-delivery timers were a measurable part of dispatch.
 */

/** What the list links through; the ledger's in-flight entries carry these fields. */
export interface Expiring {
  /** The list the entry is in (its owner), or undefined. */
  deadline: object | undefined;
  dueAt: number;
  prevDue: Expiring | undefined;
  nextDue: Expiring | undefined;
}

export class Deadlines<T extends Expiring> {
  readonly #spanMs: number;
  readonly #onExpire: (expired: T[]) => void;
  #head: T | undefined;
  #tail: T | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(spanMs: number, onExpire: (expired: T[]) => void) {
    this.#spanMs = spanMs;
    this.#onExpire = onExpire;
  }

  add(entry: T, now = performance.now()): void {
    entry.deadline = this;
    entry.dueAt = now + this.#spanMs;
    entry.prevDue = this.#tail;
    entry.nextDue = undefined;
    if (this.#tail) this.#tail.nextDue = entry;
    else this.#head = entry;
    this.#tail = entry;
    if (this.#timer === undefined && !this.#stopped) this.#arm(this.#spanMs);
  }

  remove(entry: T): void {
    if (entry.deadline !== this) return;
    if (entry.prevDue) entry.prevDue.nextDue = entry.nextDue;
    else this.#head = entry.nextDue as T | undefined;
    if (entry.nextDue) entry.nextDue.prevDue = entry.prevDue;
    else this.#tail = entry.prevDue as T | undefined;
    entry.deadline = undefined;
    entry.prevDue = undefined;
    entry.nextDue = undefined;
  }

  /** Starts the entry's span again from now (a lease extended). */
  renew(entry: T): void {
    this.remove(entry);
    this.add(entry);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => { this.#fire(); }, Math.max(1, ms));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const expired: T[] = [];
    while (this.#head && this.#head.dueAt <= now) {
      const entry = this.#head;
      this.remove(entry);
      expired.push(entry);
    }
    if (this.#head && !this.#stopped) this.#arm(this.#head.dueAt - now);
    if (expired.length > 0) this.#onExpire(expired);
  }
}
