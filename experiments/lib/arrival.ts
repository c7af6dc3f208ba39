/**
 * What new workers could take over when they came up: the deliveries then in
 * transit to the workers already running (from their spans: dispatched
 * before, started after), and how many of those, and of everything not yet
 * started, the new workers ended up processing.
 */
import { round } from './distribution.ts';
import { inTransitAt, type MessageRecord } from './messages.ts';

/** A new worker's view of the work that existed when it came up. */
export interface Arrival {
  /** When the (first) new worker was ready. */
  readonly atS: number;
  /** Deliveries in transit to the workers already there at that moment. */
  readonly inTransit: number;
  /** How many of those the new workers ever processed. */
  readonly newWorkersGot: number;
  /** Messages not yet started at that moment: in transit plus queued. */
  readonly unstarted: number;
  /** How many of those the new workers processed. */
  readonly newWorkersGotOfUnstarted: number;
}

export function arrival(records: readonly MessageRecord[], publishedIds: readonly string[], existing: ReadonlySet<string>, newcomers: ReadonlySet<string>, atS: number): Arrival {
  const inTransit = inTransitAt(records, atS).filter((m) => existing.has(m.worker));
  const takenByNew = new Set(records.filter((m) => newcomers.has(m.worker)).map((m) => m.id));
  const startedBy = new Set(records.filter((m) => m.startedS <= atS).map((m) => m.id));
  const unstarted = publishedIds.filter((id) => !startedBy.has(id));
  return {
    atS: round(atS, 3),
    inTransit: inTransit.length,
    newWorkersGot: inTransit.filter((m) => takenByNew.has(m.id)).length,
    unstarted: unstarted.length,
    newWorkersGotOfUnstarted: unstarted.filter((id) => takenByNew.has(id)).length,
  };
}
