/**
 * Mode `stream`: one Subscribe call, read with `for await`, so the next
 * message is pulled only after the last one is finished. Then the call's
 * buffers fill and HTTP/2 flow control stops the sidecar: the backpressure
 * the proof of concept relied on. (A 'data' handler that starts async work and
 * returns would keep the stream flowing and move the backlog into the app.)
 *
 * Finished messages are receipted (receipts.ts) so the sidecar can count
 * what a dead stream loses; delivery never waits for a receipt.
 */
import * as grpc from '@grpc/grpc-js';
import type { Delivery__Output } from '@backlog-lab/common/contract';
import { isServiceError } from '@backlog-lab/common/errors';
import { createReceipts } from './receipts.ts';
import type { Receiver, ReceiverContext } from './receiver.ts';

/** A Receipt call gives up after this long (the sidecar may be gone). */
const RECEIPT_DEADLINE_MS = 2_000;

export function createStreamReceiver({ client, config, processor, logger }: ReceiverContext): Receiver {
  const { workerId } = config;
  let call: grpc.ClientReadableStream<Delivery__Output> | undefined;
  // Flags flipped by requestStop() while session() awaits, hence an object.
  const state = { stopping: false, busy: false };
  const receipts = createReceipts((ackIds) => new Promise((resolve) => {
    client.Receipt({ workerId, ackIds }, { deadline: Date.now() + RECEIPT_DEADLINE_MS }, (error) => {
      if (error) logger.debug('receipts not delivered', { count: ackIds.length, error: error.details });
      resolve(error === null);
    });
  }));
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
          // The next message is taken as soon as this one's receipt is queued: receipts never pace the stream.
          await processor.handle(delivery, async () => ((await receipts.add(delivery.ackId)) ? 'ok' : 'ack_lost'), { waitForAck: false });
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
