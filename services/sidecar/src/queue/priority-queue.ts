/**
 * A fixed number of FIFO levels ordered by a sequence number; `shift()`
 * takes from the highest non-empty level. Each level is an array with a
 * moving head that is compacted once the dead prefix dominates, so push and
 * shift are amortised O(1) and a million queued messages cost one array slot
 * each.
 *
 * `putBack` returns items to their place by `seq`: a requeued batch goes
 * back in its original order, ahead of everything queued after it
 * (RabbitMQ's "original position where it can"), at the cost of the queued
 * items older than the batch, which are few: only earlier requeues.
 */
export interface Sequenced {
  readonly seq: number;
}

interface Level<T> {
  items: (T | undefined)[];
  head: number;
}

export class PriorityQueue<T extends Sequenced> {
  readonly #levels: Level<T>[];
  #size = 0;

  constructor(levels: number) {
    this.#levels = Array.from({ length: levels }, () => ({ items: [], head: 0 }));
  }

  get size(): number {
    return this.#size;
  }

  /** Items waiting at one level. */
  depth(level: number): number {
    const l = this.#levels[level];
    return l === undefined ? 0 : l.items.length - l.head;
  }

  /** The item `shift()` would return from this level, without taking it. */
  peek(level: number): T | undefined {
    const l = this.#levels[level];
    return l === undefined ? undefined : l.items[l.head];
  }

  /** Appends a new item; its seq must be larger than any queued at its level. */
  push(level: number, item: T): void {
    this.#level(level).items.push(item);
    this.#size++;
  }

  /** Puts items back in seq order, before every queued item with a larger seq. */
  putBack(level: number, items: readonly T[]): void {
    if (items.length === 0) return;
    const l = this.#level(level);
    const batch = [...items].sort((a, b) => a.seq - b.seq);
    const last = (batch.at(-1) as T).seq;
    // Queued items older than the newest returned one must be merged with the batch.
    let older = 0;
    while (l.head + older < l.items.length && (l.items[l.head + older] as T).seq < last) older++;
    const merged: T[] = [];
    let i = 0;
    for (let j = 0; j < older; j++) {
      const queued = l.items[l.head + j] as T;
      while (i < batch.length && (batch[i] as T).seq < queued.seq) merged.push(batch[i++] as T);
      merged.push(queued);
    }
    while (i < batch.length) merged.push(batch[i++] as T);
    const start = l.head - batch.length;
    if (start >= 0) {
      for (let k = 0; k < merged.length; k++) l.items[start + k] = merged[k];
      l.head = start;
    } else {
      l.items = [...merged, ...l.items.slice(l.head + older)];
      l.head = 0;
    }
    this.#size += batch.length;
  }

  shift(): T | undefined {
    for (let level = this.#levels.length - 1; level >= 0; level--) {
      const l = this.#levels[level];
      if (l === undefined || l.head === l.items.length) continue;
      const item = l.items[l.head];
      l.items[l.head] = undefined;
      l.head++;
      this.#size--;
      if (l.head === l.items.length) {
        l.items = [];
        l.head = 0;
      } else if (l.head >= 1024 && l.head * 2 >= l.items.length) {
        l.items = l.items.slice(l.head);
        l.head = 0;
      }
      return item;
    }
    return undefined;
  }

  #level(level: number): Level<T> {
    const l = this.#levels[level];
    if (l === undefined) throw new RangeError(`priority level ${level} out of range`);
    return l;
  }
}
