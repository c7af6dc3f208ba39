/**
 * A fixed number of FIFO levels; `shift()` takes from the highest non-empty
 * level. Each level is a ring-less array with a moving head that is compacted
 * once the dead prefix dominates, so push and shift are amortised O(1) and a
 * million queued messages cost one array slot each.
 */
export class PriorityQueue<T> {
  readonly #levels: { items: (T | undefined)[]; head: number }[];
  #size = 0;

  constructor(levels: number) {
    this.#levels = Array.from({ length: levels }, () => ({ items: [], head: 0 }));
  }

  get size(): number {
    return this.#size;
  }

  /** Messages waiting at one level. */
  depth(level: number): number {
    const l = this.#levels[level];
    return l === undefined ? 0 : l.items.length - l.head;
  }

  push(level: number, item: T): void {
    const l = this.#levels[level];
    if (l === undefined) throw new RangeError(`priority level ${level} out of range`);
    l.items.push(item);
    this.#size++;
  }

  /** Puts an item back at the front of its level (a requeue goes before newer work). */
  unshift(level: number, item: T): void {
    const l = this.#levels[level];
    if (l === undefined) throw new RangeError(`priority level ${level} out of range`);
    if (l.head > 0) {
      l.head--;
      l.items[l.head] = item;
    } else {
      l.items.unshift(item);
    }
    this.#size++;
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

  /** Removes and returns everything, highest priority first (shutdown accounting). */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }
}
