/**
 * Ack ids: the opaque token each delivery is settled with. A holder's ids
 * share a random secret prefix nobody else sees, followed by a counter, so an
 * id is unguessable to anyone but the holder it was delivered to (like
 * Pub/Sub's ack_id, or a RabbitMQ delivery tag scoped to its channel), and
 * costs a string concatenation on the hot path, not a random draw.
 */
import { randomBytes } from 'node:crypto';

export interface AckIds {
  next(): string;
  /** True if this issuer made the id (whether or not it is still in flight). */
  issued(ackId: string): boolean;
}

export function createAckIds(): AckIds {
  const prefix = `${randomBytes(12).toString('base64url')}.`;
  let seq = 0;
  return {
    next: () => prefix + (seq++).toString(36),
    issued(ackId) {
      if (!ackId.startsWith(prefix)) return false;
      const n = Number.parseInt(ackId.slice(prefix.length), 36);
      return Number.isInteger(n) && n >= 0 && n < seq && n.toString(36) === ackId.slice(prefix.length);
    },
  };
}
