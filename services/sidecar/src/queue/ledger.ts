/**
 * The ledger: every delivery handed to a worker and not yet settled, by ack
 * id and by holder (in dispatch order), and a bounded memory of recently
 * settled ones so a repeated or late settle can be answered rather than
 * refused. It only records; the dispatcher decides what happens.
 */
import type { Deadlines, Expiring } from './deadlines.ts';
import type { QueuedMessage } from './message.ts';
import type { DeliveryPolicy, Holder } from './policy.ts';

export interface InFlight extends Expiring {
  readonly ackId: string;
  readonly message: QueuedMessage;
  readonly holder: Holder;
  /** The list of its settle deadline or lease (policy.settleWithinMs), while it has one. */
  deadline: Deadlines<InFlight> | undefined;
  /** The queue behind the sidecar was told at dispatch that this message is done (policy.upstreamAck). */
  upstreamDone: boolean;
  /** The holder has gone; with policy 'lose' the entry waits out the grace for its receipt. */
  released: boolean;
}

/** How an ack id that is no longer in flight ended. */
export type PastOutcome = 'settled' | 'expired' | 'lost';

interface Past {
  readonly outcome: PastOutcome;
  readonly workerId: string;
  readonly policy: DeliveryPolicy;
}

export class Ledger {
  readonly #byAckId = new Map<string, InFlight>();
  readonly #byHolder = new Map<Holder, Set<InFlight>>();
  /** Message ids in flight, so Publish can refuse one that is taken. */
  readonly #messageIds = new Set<string>();
  readonly #past = new Map<string, Past>();
  readonly #pastRing: (string | undefined)[];
  #pastNext = 0;

  /** `remember`: how many settled ack ids are remembered (at least one). */
  constructor(remember: number) {
    this.#pastRing = new Array<string | undefined>(Math.max(1, remember));
  }

  get size(): number {
    return this.#byAckId.size;
  }

  add(entry: InFlight): void {
    this.#byAckId.set(entry.ackId, entry);
    this.#messageIds.add(entry.message.id);
    let held = this.#byHolder.get(entry.holder);
    if (!held) {
      held = new Set();
      this.#byHolder.set(entry.holder, held);
    }
    held.add(entry);
  }

  get(ackId: string): InFlight | undefined {
    return this.#byAckId.get(ackId);
  }

  hasMessage(messageId: string): boolean {
    return this.#messageIds.has(messageId);
  }

  /** What a holder has in flight, oldest dispatch first. */
  heldBy(holder: Holder): ReadonlySet<InFlight> {
    return this.#byHolder.get(holder) ?? EMPTY;
  }

  /** Takes an entry out; `outcome` is what a later settle of its ack id is answered. */
  remove(entry: InFlight, outcome: PastOutcome): void {
    entry.deadline?.remove(entry);
    this.#byAckId.delete(entry.ackId);
    this.#messageIds.delete(entry.message.id);
    const held = this.#byHolder.get(entry.holder);
    if (held) {
      held.delete(entry);
      if (held.size === 0) this.#byHolder.delete(entry.holder);
    }
    this.#remember(entry, outcome);
  }

  /** How an ack id of this worker and mode ended, if it is remembered. */
  past(ackId: string, workerId: string, policy: DeliveryPolicy): PastOutcome | undefined {
    const past = this.#past.get(ackId);
    return past && past.workerId === workerId && past.policy === policy ? past.outcome : undefined;
  }

  entries(): IterableIterator<InFlight> {
    return this.#byAckId.values();
  }

  #remember(entry: InFlight, outcome: PastOutcome): void {
    const oldest = this.#pastRing[this.#pastNext];
    if (oldest !== undefined) this.#past.delete(oldest);
    this.#pastRing[this.#pastNext] = entry.ackId;
    this.#pastNext = (this.#pastNext + 1) % this.#pastRing.length;
    this.#past.set(entry.ackId, { outcome, workerId: entry.holder.workerId, policy: entry.holder.policy });
  }
}

const EMPTY: ReadonlySet<InFlight> = new Set();
