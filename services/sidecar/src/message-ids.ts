/**
 * Message ids: a short random prefix per sidecar start plus a counter. Unique
 * across restarts without a coordination service, and cheap on the hot path.
 */
import { randomBytes } from 'node:crypto';

export interface MessageIds {
  next(): string;
}

export function createMessageIds(prefix = randomBytes(3).toString('hex')): MessageIds {
  let seq = 0;
  return { next: () => `${prefix}-${(++seq).toString().padStart(6, '0')}` };
}
