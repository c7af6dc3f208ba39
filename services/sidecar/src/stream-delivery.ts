/**
 * Mode `stream` (Subscribe): the proof of concept's server streaming. The
 * sidecar writes while `write()` returns true and waits for 'drain' when it
 * returns false, exactly as a well-behaved Node writer should. That is the
 * only backpressure there is: HTTP/2 flow control, whose window is counted in
 * bytes, not messages, plus the object buffers on both ends. So for small
 * messages hundreds sit in the worker's client backlog, and nothing the
 * sidecar does can move them to another worker.
 */
import * as grpc from '@grpc/grpc-js';
import { MAX_RECEIPT_IDS, type Delivery } from '@backlog-lab/common/contract';
import type { Logger } from '@backlog-lab/common/logger';
import type { Broker, Consumer, Holder } from './broker.ts';
import type { ReceiptRequest__Output } from '@backlog-lab/common/generated/backlog/v1/ReceiptRequest';
import type { ReceiptResponse } from '@backlog-lab/common/generated/backlog/v1/ReceiptResponse';
import type { SubscribeRequest__Output } from '@backlog-lab/common/generated/backlog/v1/SubscribeRequest';
import { INVALID_WORKER_ID, validWorkerId } from './validation.ts';

/** A stream the sidecar ends (with status OK) when it shuts down. */
export interface OpenStream {
  end(): void;
}

export interface StreamDeliveryDeps {
  readonly broker: Broker;
  readonly logger: Logger;
  /** Adds time a stream spent waiting for 'drain'. */
  readonly onWriteBlocked: (workerId: string, seconds: number) => void;
  /** Every open stream, so shutdown can end them. */
  readonly streams: Set<OpenStream>;
}

class StreamConsumer implements Consumer, Holder, OpenStream {
  readonly mode = 'stream' as const;
  readonly held = new Set<string>();
  readonly workerId: string;
  readonly #call: grpc.ServerWritableStream<SubscribeRequest__Output, Delivery>;
  readonly #deps: StreamDeliveryDeps;
  #blockedSince = 0;
  #open = true;

  constructor(call: grpc.ServerWritableStream<SubscribeRequest__Output, Delivery>, workerId: string, deps: StreamDeliveryDeps) {
    this.#call = call;
    this.workerId = workerId;
    this.#deps = deps;
  }

  get holder(): Holder {
    return this;
  }

  canTake(): boolean {
    return this.#open && this.#blockedSince === 0;
  }

  deliver(delivery: Delivery): void {
    if (this.#call.write(delivery)) return;
    // The writable buffer is full (16 messages): wait until grpc-js has
    // handed them to HTTP/2, which in turn waits for the worker's window.
    this.#blockedSince = performance.now();
    this.#call.once('drain', () => {
      this.#deps.onWriteBlocked(this.workerId, (performance.now() - this.#blockedSince) / 1000);
      this.#blockedSince = 0;
      this.#deps.broker.wake(this);
    });
  }

  /** The stream is over; whatever was written and not receipted is lost. */
  close(reason: string): void {
    if (!this.#open) return;
    this.#open = false;
    this.#deps.streams.delete(this);
    const lost = this.held.size;
    this.#deps.broker.detach(this, !this.#deps.broker.closed);
    this.#deps.logger.info('stream closed', { worker_id: this.workerId, reason, lost });
  }

  end(): void {
    this.#call.end();
  }

  start(): void {
    this.#deps.streams.add(this);
    this.#call.on('cancelled', () => {
      this.close('cancelled');
      endCancelled(this.#call);
    });
    this.#call.on('error', () => { this.close('error'); });
    this.#call.on('finish', () => { this.close('finished'); });
    this.#deps.logger.info('stream opened', { worker_id: this.workerId, peer: this.#call.getPeer() });
    this.#deps.broker.attach(this);
  }
}

/**
 * grpc-js reports a client's cancel only as 'cancelled', and the gRPC
 * instrumentation ends a server stream's span only on 'finish' or 'error'.
 * Ending the call with a CANCELLED status gives the span its end and status;
 * grpc-js sends nothing on a call that is already cancelled.
 */
export function endCancelled(call: NodeJS.EventEmitter): void {
  call.emit('error', { code: grpc.status.CANCELLED, details: 'cancelled by the worker' });
}

export function createSubscribeHandler(deps: StreamDeliveryDeps): grpc.handleServerStreamingCall<SubscribeRequest__Output, Delivery> {
  return (call) => {
    if (deps.broker.closed) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'sidecar is shutting down' });
      return;
    }
    const workerId = call.request.workerId;
    if (!validWorkerId(workerId)) {
      call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: INVALID_WORKER_ID });
      return;
    }
    new StreamConsumer(call, workerId, deps).start();
  };
}

/**
 * Receipt: a stream worker's finished messages, batched. Each id this worker
 * holds on a stream is counted as done; anything else (a repeat, a message
 * already counted lost because its stream ended first, an id from another
 * mode or worker) is ignored and counted as such, never refused: a receipt
 * racing the end of its stream is normal.
 */
export function createReceiptHandler(broker: Broker, onBatch: (ids: number) => void): grpc.handleUnaryCall<ReceiptRequest__Output, ReceiptResponse> {
  return (call, callback) => {
    const { workerId, messageIds } = call.request;
    if (!validWorkerId(workerId)) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: INVALID_WORKER_ID });
      return;
    }
    if (messageIds.length === 0 || messageIds.length > MAX_RECEIPT_IDS) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `message_ids must hold 1..${MAX_RECEIPT_IDS} ids, got ${messageIds.length}` });
      return;
    }
    onBatch(messageIds.length);
    let counted = 0;
    for (const id of messageIds) {
      if (broker.ack(workerId, id, 'stream') === 'acked') counted++;
    }
    callback(null, { counted, ignored: messageIds.length - counted });
  };
}
