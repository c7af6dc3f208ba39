/**
 * Ids for messages published without one: a random prefix per sidecar start
 * plus a counter. Unique across restarts without a coordination service,
 * cheap on the hot path, and never one that is taken: a client that
 * published an id ahead of the counter (they are easy to guess) gets that id
 * skipped, not overwritten.
 */
import { randomBytes } from 'node:crypto';

export interface MessageIds {
  /** The next id for which `taken` is false. */
  next(taken: (id: string) => boolean): string;
}

export function createMessageIds(prefix = randomBytes(4).toString('hex')): MessageIds {
  let seq = 0;
  return {
    next(taken) {
      for (;;) {
        const id = `${prefix}-${(++seq).toString().padStart(6, '0')}`;
        if (!taken(id)) return id;
      }
    },
  };
}
