/**
 * Keeps a pulled message's lease alive while the worker works on it: an
 * ExtendLease call every third of the lease, so one lost call does not cost
 * the message. Work shorter than a third of the lease (most of it, at the
 * default 1 s) sends none. A lease the sidecar reports lapsed is not
 * extended again: the message is someone else's now, and its Ack will be
 * answered EXPIRED.
 */
import type { Delivery__Output, QueueClient } from '@backlog-lab/common/contract';
import type { Logger } from '@backlog-lab/common/logger';

export interface Lease {
  stop(): void;
}

export function keepLease(client: QueueClient, workerId: string, message: Delivery__Output, leaseMs: number, logger: Logger): Lease {
  if (leaseMs <= 0) return { stop: () => undefined };
  const every = Math.max(1, Math.floor(leaseMs / 3));
  const timer = setInterval(() => {
    client.ExtendLease({ workerId, ackIds: [message.ackId] }, { deadline: Date.now() + every }, (error, response) => {
      if (error) {
        logger.debug('lease not extended', { message_id: message.id, error: error.details });
      } else if ((response?.lapsedAckIds.length ?? 0) > 0) {
        logger.warn('lease lapsed; the sidecar has requeued the message', { message_id: message.id });
        clearInterval(timer);
      }
    });
  }, every);
  return { stop: () => { clearInterval(timer); } };
}
