/**
 * Mode `stream`: one Subscribe call, read with `for await`, so the next
 * message is pulled only after the last one is finished. Then the call's
 * buffers fill and HTTP/2 flow control stops the sidecar: the backpressure
 * the proof of concept relied on. (A 'data' handler that starts async work and
 * returns would keep the stream flowing and move the backlog into the app.)
 *
 * Each finished message is receipted with a unary Ack so the sidecar can
 * count what a dead stream loses; delivery does not wait for it.
 */
import * as grpc from '@grpc/grpc-js';
import type { Delivery__Output, QueueClient } from '@backlog-lab/common/contract';
import { errorMessage, isServiceError } from '@backlog-lab/common/errors';
import type { Logger } from '@backlog-lab/common/logger';
import type { Processor } from './processor.ts';
import type { Receiver } from './receiver.ts';

export function createStreamReceiver(client: QueueClient, workerId: string, processor: Processor, logger: Logger): Receiver {
  let call: grpc.ClientReadableStream<Delivery__Output> | undefined;
  // Flags flipped by requestStop() while session() awaits, hence an object.
  const state = { stopping: false, busy: false };
  const pendingReceipts = new Set<Promise<void>>();
  const receipt = (messageId: string): void => {
    const sent = new Promise<void>((resolve) => {
      client.Ack({ workerId, messageId }, (error) => {
        if (error) logger.debug('receipt not delivered', { message_id: messageId, error: error.details });
        resolve();
      });
    });
    pendingReceipts.add(sent);
    void sent.then(() => pendingReceipts.delete(sent));
  };
  return {
    async session() {
      const current = client.Subscribe({ workerId });
      call = current;
      // Errors reach the loop below through the iterator; this keeps a late
      // one (after we cancel) from being an unhandled 'error' event.
      current.on('error', () => undefined);
      let received = false;
      try {
        for await (const delivery of current as AsyncIterable<Delivery__Output>) {
          received = true;
          state.busy = true;
          await processor.handle(delivery, () => {
            receipt(delivery.id);
            return Promise.resolve('ok');
          });
          state.busy = false;
          if (state.stopping) {
            // Receipts first, so the sidecar counts the finished messages as
            // done, not lost. Whatever is still in transit on this stream
            // cannot be handed back: stream mode has no way to return messages.
            await Promise.all(pendingReceipts);
            current.cancel();
            break;
          }
        }
      } catch (error) {
        if (!(state.stopping && isServiceError(error) && error.code === grpc.status.CANCELLED)) throw error;
      } finally {
        state.busy = false;
        call = undefined;
      }
      if (!state.stopping) logger.info('stream ended by the sidecar', { received });
      return received;
    },
    requestStop() {
      state.stopping = true;
      if (!state.busy) call?.cancel();
    },
    abort() {
      state.stopping = true;
      call?.cancel();
    },
  };
}

export function describeError(error: unknown): string {
  return isServiceError(error) ? `${grpc.status[error.code]}: ${error.details}` : errorMessage(error);
}
