/**
 * Mode `poll`: Pull one message (a long-poll that answers empty after its
 * timeout), process it, Ack it, repeat. The worker only asks when it has a
 * free slot, so nothing waits in its client backlog.
 */
import * as grpc from '@grpc/grpc-js';
import type { Delivery__Output, QueueClient } from '@backlog-lab/common/contract';
import { isServiceError } from '@backlog-lab/common/errors';
import type { Logger } from '@backlog-lab/common/logger';
import type { ProcessOutcome } from './metrics.ts';
import type { Processor } from './processor.ts';
import type { Receiver } from './receiver.ts';

/** Extra time the client deadline allows beyond the long-poll timeout. */
const DEADLINE_SLACK_MS = 5_000;

export function createPollReceiver(client: QueueClient, workerId: string, timeoutMs: number, processor: Processor, logger: Logger): Receiver {
  // Flipped by requestStop() while session() awaits, hence an object.
  const state = { stopping: false };
  const stopping = (): boolean => state.stopping;
  let pending: grpc.ClientUnaryCall | undefined;

  const pull = (): Promise<Delivery__Output | null> => new Promise((resolve, reject) => {
    pending = client.Pull({ workerId, timeoutMs }, { deadline: Date.now() + timeoutMs + DEADLINE_SLACK_MS }, (error, response) => {
      pending = undefined;
      if (error) reject(error);
      else resolve(response?.message ?? null);
    });
  });

  const ack = (messageId: string): Promise<ProcessOutcome> => new Promise((resolve) => {
    client.Ack({ workerId, messageId }, (error, response) => {
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
        let message: Delivery__Output | null;
        try {
          message = await pull();
        } catch (error) {
          if (stopping() && isServiceError(error) && error.code === grpc.status.CANCELLED) break;
          throw error;
        }
        received = true;
        if (message) await processor.handle(message, () => ack(message.id));
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
