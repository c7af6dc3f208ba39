/**
 * Mode `credit`: one Consume stream. The first message says hello with the
 * prefetch; each finished message is acked on the stream, which returns its
 * credit. Acks that finish in the same turn of the event loop share one
 * ConsumeAck (a fast worker with a deep prefetch finishes many at once); an
 * ack waits at most for the end of the turn it was made in. To stop, the worker finishes the
 * message in hand, acks it and half-closes; the sidecar requeues everything
 * else it had sent and ends the stream, so nothing is lost.
 */
import * as grpc from '@grpc/grpc-js';
import type { ConsumeRequest, Delivery__Output } from '@backlog-lab/common/contract';
import { MAX_RECEIPT_IDS } from '@backlog-lab/common/contract';
import { isServiceError } from '@backlog-lab/common/errors';
import type { Receiver, ReceiverContext } from './receiver.ts';

type ConsumeCall = grpc.ClientDuplexStream<ConsumeRequest, Delivery__Output>;

export function createCreditReceiver({ client, config, processor, logger }: ReceiverContext): Receiver {
  const { workerId, prefetch } = config;
  let call: ConsumeCall | undefined;
  // Flags flipped by requestStop() while session() awaits, hence an object.
  const state = { stopping: false, busy: false, halfClosed: false };
  const halfClosed = (): boolean => state.halfClosed;
  // Acks written since the last turn of the event loop, sent together at its end.
  let unsent: string[] = [];
  let flushing: NodeJS.Immediate | undefined;
  const flushAcks = (): void => {
    clearImmediate(flushing);
    flushing = undefined;
    while (call && unsent.length > 0) call.write({ ack: { ackIds: unsent.splice(0, MAX_RECEIPT_IDS) } });
    unsent = [];
  };
  const halfClose = (): void => {
    if (call && !state.halfClosed) {
      flushAcks();
      state.halfClosed = true;
      call.end();
    }
  };
  return {
    async session() {
      const current = client.Consume();
      call = current;
      state.halfClosed = false;
      let alive = true;
      current.on('error', () => undefined);
      current.on('status', () => { alive = false; });
      current.write({ hello: { workerId, prefetch } });
      if (state.stopping) halfClose();
      let received = false;
      try {
        for await (const delivery of current as AsyncIterable<Delivery__Output>) {
          received = true;
          // After the half-close the sidecar takes back whatever else it sent.
          if (halfClosed()) continue;
          state.busy = true;
          await processor.handle(delivery, () => {
            if (!alive || state.halfClosed) return Promise.resolve('ack_lost');
            unsent.push(delivery.ackId);
            flushing ??= setImmediate(flushAcks);
            return Promise.resolve('ok');
          });
          state.busy = false;
          if (state.stopping) halfClose();
        }
      } catch (error) {
        if (!(state.stopping && isServiceError(error) && error.code === grpc.status.CANCELLED)) throw error;
      } finally {
        state.busy = false;
        flushAcks();
        call = undefined;
      }
      if (!state.stopping) logger.info('consume stream ended by the sidecar', { received });
      return received;
    },
    requestStop() {
      state.stopping = true;
      if (!state.busy) halfClose();
    },
    abort() {
      state.stopping = true;
      call?.cancel();
    },
  };
}
