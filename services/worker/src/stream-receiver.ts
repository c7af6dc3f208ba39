/**
 * Mode `stream`: one Subscribe call, read with `for await`, so the next
 * message is pulled only after the last one is finished. Then the call's
 * buffers fill and HTTP/2 flow control stops the sidecar: the backpressure
 * the proof of concept relied on. (A 'data' handler that starts async work and
 * returns would keep the stream flowing and move the backlog into the app.)
 *
 * Finished messages are receipted so the sidecar can count what a dead stream
 * loses; delivery never waits for a receipt. Receipts share calls (see
 * createReceipts), so a fast worker pays one unary call per batch, not per
 * message.
 */
import * as grpc from '@grpc/grpc-js';
import { MAX_RECEIPT_IDS, type Delivery__Output, type QueueClient } from '@backlog-lab/common/contract';
import { errorMessage, isServiceError } from '@backlog-lab/common/errors';
import type { Logger } from '@backlog-lab/common/logger';
import type { Processor } from './processor.ts';
import type { Receiver } from './receiver.ts';

/** A Receipt call gives up after this long (the sidecar may be gone). */
const RECEIPT_DEADLINE_MS = 2_000;

interface Receipts {
  add(messageId: string): void;
  /** Resolves once every receipt added so far has been sent and answered (or has failed). */
  flush(): Promise<void>;
}

/**
 * One Receipt call at a time: a receipt goes out at once when no call is on
 * its way, and otherwise waits to share the next call with whatever else
 * finishes meanwhile (up to MAX_RECEIPT_IDS). A slow worker (one message per
 * 100 ms) so sends each receipt the moment the message is done; a fast one
 * sends as many per call as finish during one round trip. Nothing waits on a
 * timer, so a worker killed between messages loses at most the receipts of
 * one call in flight. A receipt that cannot be delivered is not retried: the
 * sidecar then counts that message lost with its stream, which is also what
 * it would have been had the worker died.
 */
function createReceipts(client: QueueClient, workerId: string, logger: Logger): Receipts {
  const waiting: string[] = [];
  let sending: Promise<void> | undefined;
  const send = (): void => {
    if (sending !== undefined || waiting.length === 0) return;
    const messageIds = waiting.splice(0, MAX_RECEIPT_IDS);
    sending = new Promise<void>((resolve) => {
      client.Receipt({ workerId, messageIds }, { deadline: Date.now() + RECEIPT_DEADLINE_MS }, (error) => {
        if (error) logger.debug('receipts not delivered', { count: messageIds.length, error: error.details });
        resolve();
      });
    }).then(() => {
      sending = undefined;
      send();
    });
  };
  return {
    add(messageId) {
      waiting.push(messageId);
      send();
    },
    async flush() {
      while (sending !== undefined) await sending;
    },
  };
}

export function createStreamReceiver(client: QueueClient, workerId: string, processor: Processor, logger: Logger): Receiver {
  let call: grpc.ClientReadableStream<Delivery__Output> | undefined;
  // Flags flipped by requestStop() while session() awaits, hence an object.
  const state = { stopping: false, busy: false };
  const receipts = createReceipts(client, workerId, logger);
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
            receipts.add(delivery.id);
            return Promise.resolve('ok');
          });
          state.busy = false;
          if (state.stopping) {
            // Receipts first, so the sidecar counts the finished messages as
            // done, not lost. Whatever is still in transit on this stream
            // cannot be handed back: stream mode has no way to return messages.
            await receipts.flush();
            current.cancel();
            break;
          }
        }
      } catch (error) {
        if (!(state.stopping && isServiceError(error) && error.code === grpc.status.CANCELLED)) throw error;
      } finally {
        state.busy = false;
        call = undefined;
        // Whatever finished before the stream ended still gets its receipt.
        await receipts.flush();
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
