/**
 * Mode `poll`: Pull one message (a long-poll that answers empty after its
 * timeout), process it while keeping its lease alive, Ack it, repeat. The
 * worker only asks when it has a free slot, so nothing waits in its client
 * backlog; and if it dies, its message is back in the queue within a lease.
 */
import * as grpc from '@grpc/grpc-js';
import type { Delivery__Output } from '@backlog-lab/common/contract';
import { isServiceError } from '@backlog-lab/common/errors';
import type { ProcessOutcome } from '../metrics.ts';
import { keepLease } from './lease.ts';
import type { Receiver, ReceiverContext } from './receiver.ts';

/** Extra time the client deadline allows beyond the long-poll timeout. */
const DEADLINE_SLACK_MS = 5_000;

export function createPollReceiver({ client, config, processor, logger }: ReceiverContext): Receiver {
  const { workerId, pollTimeoutMs: timeoutMs } = config;
  // Flipped by requestStop() while session() awaits, hence an object.
  const state = { stopping: false };
  const stopping = (): boolean => state.stopping;
  let pending: grpc.ClientUnaryCall | undefined;

  const pull = (): Promise<{ message: Delivery__Output | null; leaseMs: number }> => new Promise((resolve, reject) => {
    pending = client.Pull({ workerId, timeoutMs }, { deadline: Date.now() + timeoutMs + DEADLINE_SLACK_MS }, (error, response) => {
      pending = undefined;
      if (error) reject(error);
      else resolve({ message: response?.message ?? null, leaseMs: response?.leaseMs ?? 0 });
    });
  });

  const ack = (ackId: string, messageId: string): Promise<ProcessOutcome> => new Promise((resolve) => {
    client.Ack({ workerId, ackId }, (error, response) => {
      if (error) {
        logger.warn('ack failed', { message_id: messageId, error: error.details });
        resolve('ack_lost');
      } else {
        resolve(response?.outcome === 'ACK_OUTCOME_EXPIRED' ? 'ack_lost' : 'ok');
      }
    });
  });

  return {
    async session() {
      let received = false;
      while (!stopping()) {
        let pulled: Awaited<ReturnType<typeof pull>>;
        try {
          pulled = await pull();
        } catch (error) {
          if (stopping() && isServiceError(error) && error.code === grpc.status.CANCELLED) break;
          throw error;
        }
        received = true;
        const { message, leaseMs } = pulled;
        if (!message) continue;
        const lease = keepLease(client, workerId, message, leaseMs, logger);
        try {
          await processor.handle(message, () => {
            lease.stop();
            return ack(message.ackId, message.id);
          });
        } finally {
          lease.stop();
        }
      }
      return received;
    },
    requestStop() {
      state.stopping = true;
      pending?.cancel();
    },
    abort() {
      state.stopping = true;
      pending?.cancel();
    },
  };
}
