/**
 * Mode `stream` (Subscribe + Receipt): the proof of concept's server
 * streaming. The sidecar writes while `write()` returns true and waits for
 * 'drain' when it returns false, exactly as a well-behaved Node writer
 * should. That is the only backpressure there is: HTTP/2 flow control, whose
 * window is counted in bytes, not messages, plus the object buffers on both
 * ends. So for small messages hundreds sit in the worker's client backlog,
 * and nothing the sidecar does can move them to another worker.
 *
 * Receipts count what the worker finished, so the sidecar knows what is in
 * flight and what a dead stream lost; they never pace delivery. What a
 * stream held when it ended is lost once the receipt grace has passed.
 */
import * as grpc from '@grpc/grpc-js';
import { MAX_RECEIPT_IDS, type Delivery } from '@backlog-lab/common/contract';
import type { ReceiptRequest__Output } from '@backlog-lab/common/generated/backlog/v1/ReceiptRequest';
import type { ReceiptResponse } from '@backlog-lab/common/generated/backlog/v1/ReceiptResponse';
import type { SubscribeRequest__Output } from '@backlog-lab/common/generated/backlog/v1/SubscribeRequest';
import { createAckIds } from '../queue/ack-ids.ts';
import type { Consumer, DeliveryPolicy, Holder } from '../queue/policy.ts';
import type { DeliveryMode, ModeContext } from './delivery-mode.ts';
import { checkAckIds, endCancelled, isStatusError } from './server-calls.ts';

type SubscribeCall = grpc.ServerWritableStream<SubscribeRequest__Output, Delivery>;

class StreamConsumer implements Consumer, Holder {
  readonly ackIds = createAckIds();
  readonly workerId: string;
  readonly policy: DeliveryPolicy;
  readonly #call: SubscribeCall;
  readonly #ctx: ModeContext;
  readonly #open: Set<StreamConsumer>;
  #blockedSince = 0;
  #live = true;

  constructor(call: SubscribeCall, workerId: string, policy: DeliveryPolicy, ctx: ModeContext, open: Set<StreamConsumer>) {
    this.#call = call;
    this.workerId = workerId;
    this.policy = policy;
    this.#ctx = ctx;
    this.#open = open;
  }

  get holder(): Holder {
    return this;
  }

  canTake(): boolean {
    return this.#live && this.#blockedSince === 0;
  }

  deliver(delivery: Delivery): void {
    if (this.#call.write(delivery)) return;
    // The writable buffer is full (16 messages): wait until grpc-js has
    // handed them to HTTP/2, which in turn waits for the worker's window.
    this.#blockedSince = performance.now();
    this.#call.once('drain', () => {
      this.#ctx.metrics.writeBlocked(this.workerId, (performance.now() - this.#blockedSince) / 1000);
      this.#blockedSince = 0;
      this.#ctx.dispatcher.wake(this);
    });
  }

  /** The stream is over; what was written and not receipted is lost once the grace has passed. */
  close(reason: string): void {
    if (!this.#live) return;
    this.#live = false;
    this.#open.delete(this);
    const dispatcher = this.#ctx.dispatcher;
    const held = dispatcher.ledger.heldBy(this).size;
    dispatcher.detach(this);
    dispatcher.release(this);
    this.#ctx.logger.info('stream closed', { worker_id: this.workerId, reason, unreceipted: held });
  }

  end(): void {
    this.#call.end();
  }

  start(): void {
    this.#open.add(this);
    this.#call.on('cancelled', () => {
      this.close('cancelled');
      endCancelled(this.#call);
    });
    this.#call.on('error', () => { this.close('error'); });
    this.#call.on('finish', () => { this.close('finished'); });
    this.#ctx.logger.info('stream opened', { worker_id: this.workerId, peer: this.#call.getPeer() });
  }
}

export function createStreamMode(ctx: ModeContext): DeliveryMode {
  const policy: DeliveryPolicy = {
    mode: 'stream',
    release: 'lose',
    releaseGraceMs: ctx.config.receiptGraceMs,
    settleWithinMs: undefined,
    upstreamAck: ctx.config.queue.streamUpstreamAck === 'receipt' ? 'settle' : 'dispatch',
    exclusive: true,
    presenceMs: 0,
  };
  const open = new Set<StreamConsumer>();
  const { dispatcher, guard } = ctx;

  const subscribe: grpc.handleServerStreamingCall<SubscribeRequest__Output, Delivery> = (call) => {
    const workerId = call.request.workerId;
    const record = guard.admit(call, workerId, policy);
    if (isStatusError(record)) {
      call.emit('error', record);
      return;
    }
    const consumer = new StreamConsumer(call, workerId, policy, ctx, open);
    consumer.start();
    dispatcher.attach(consumer, record);
  };

  /**
   * Receipt: a stream worker's finished messages, batched. Each ack id this
   * worker holds on a stream (or held on one that ended within the grace) is
   * counted as done; anything else (a repeat, one counted lost, another
   * worker's) is ignored and counted as such, never refused: a receipt
   * racing the end of its stream is normal.
   */
  const receipt: grpc.handleUnaryCall<ReceiptRequest__Output, ReceiptResponse> = (call, callback) => {
    const { workerId, ackIds } = call.request;
    const invalid = guard.check(call, workerId) ?? checkAckIds(ackIds, MAX_RECEIPT_IDS, 'ack_ids');
    if (invalid) {
      callback(invalid);
      return;
    }
    ctx.metrics.receiptBatch(ackIds.length);
    let counted = 0;
    const claimant = { workerId, policy };
    for (const ackId of ackIds) {
      if (dispatcher.settle(ackId, claimant) === 'settled') counted++;
    }
    callback(null, { counted, ignored: ackIds.length - counted });
  };

  return {
    name: policy.mode,
    policy,
    handlers: { Subscribe: subscribe, Receipt: receipt },
    endAll() {
      for (const consumer of [...open]) consumer.end();
    },
  };
}
