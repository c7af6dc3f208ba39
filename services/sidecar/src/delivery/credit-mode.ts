/**
 * Mode `credit` (Consume): a bidi stream where the worker grants credits.
 * Its first message is a Hello with `prefetch`; every later message acks
 * deliveries of this stream and returns their credits. The sidecar never has
 * more than `prefetch` unsettled deliveries on the stream, whatever the
 * HTTP/2 window would allow and whatever the client sends: a credit comes
 * back only with the first ack of a delivery made on this very stream. When
 * the stream ends, what it had not acked is requeued in its original order.
 */
import * as grpc from '@grpc/grpc-js';
import { MAX_RECEIPT_IDS, type ConsumeRequest__Output, type Delivery } from '@backlog-lab/common/contract';
import { createAckIds } from '../queue/ack-ids.ts';
import type { Consumer, DeliveryPolicy, Holder } from '../queue/policy.ts';
import type { DeliveryMode, ModeContext } from './delivery-mode.ts';
import { checkAckIds, endCancelled, isStatusError, SHUTTING_DOWN, type StatusError } from './server-calls.ts';

type ConsumeCall = grpc.ServerDuplexStream<ConsumeRequest__Output, Delivery>;

class CreditConsumer implements Consumer, Holder {
  readonly ackIds = createAckIds();
  readonly workerId: string;
  readonly policy: DeliveryPolicy;
  readonly prefetch: number;
  readonly #call: ConsumeCall;
  readonly #ctx: ModeContext;
  readonly #open: Set<CreditConsumer>;
  /**
   * Ack ids delivered on this stream and not yet acked, lapsed ones included:
   * a worker stuck past the ack deadline earns no new credit until it acks.
   */
  readonly #outstanding = new Set<string>();
  #writeBlocked = false;
  #live = true;

  constructor(call: ConsumeCall, workerId: string, prefetch: number, policy: DeliveryPolicy, ctx: ModeContext, open: Set<CreditConsumer>) {
    this.#call = call;
    this.workerId = workerId;
    this.prefetch = prefetch;
    this.policy = policy;
    this.#ctx = ctx;
    this.#open = open;
  }

  get holder(): Holder {
    return this;
  }

  canTake(): boolean {
    return this.#live && !this.#writeBlocked && this.#outstanding.size < this.prefetch;
  }

  deliver(delivery: Delivery): void {
    this.#outstanding.add(delivery.ackId as string);
    if (this.#call.write(delivery)) return;
    // Only reachable with a prefetch above grpc-js's 16-message buffer.
    this.#writeBlocked = true;
    this.#call.once('drain', () => {
      this.#writeBlocked = false;
      this.#ctx.dispatcher.wake(this);
    });
  }

  onRequest(request: ConsumeRequest__Output): void {
    if (!this.#live) return;
    if (request.kind !== 'ack' || !request.ack) {
      this.fail({ code: grpc.status.INVALID_ARGUMENT, details: 'only the first message may be a hello; later messages must be acks' });
      return;
    }
    const { ackIds } = request.ack;
    const invalid = checkAckIds(ackIds, MAX_RECEIPT_IDS, 'ack.ack_ids');
    if (invalid) {
      this.fail(invalid);
      return;
    }
    let returned = 0;
    for (const ackId of ackIds) {
      if (this.#outstanding.delete(ackId)) {
        // Settled now, or already requeued at the ack deadline: either way the credit comes back, once.
        this.#ctx.dispatcher.settle(ackId, { workerId: this.workerId, policy: this.policy, holder: this });
        returned++;
      } else if (!this.ackIds.issued(ackId)) {
        this.fail({ code: grpc.status.FAILED_PRECONDITION, details: 'an ack_id was not delivered on this stream' });
        return;
      }
      // Else a repeated ack of this stream's delivery: acks are idempotent.
    }
    if (returned > 0) this.#ctx.dispatcher.wake(this);
  }

  /** Ends the stream with an error status; its unacked messages are requeued. */
  fail(status: StatusError): void {
    this.#ctx.logger.warn('consume stream refused', { worker_id: this.workerId, code: grpc.status[status.code], details: status.details });
    this.close('protocol error');
    this.#call.emit('error', status);
  }

  end(): void {
    this.#call.end();
  }

  close(reason: string): void {
    if (!this.#live) return;
    this.#live = false;
    this.#open.delete(this);
    const dispatcher = this.#ctx.dispatcher;
    const requeued = dispatcher.ledger.heldBy(this).size;
    dispatcher.detach(this);
    dispatcher.release(this);
    this.#ctx.logger.info('consume stream closed', { worker_id: this.workerId, reason, requeued });
  }

  start(): void {
    this.#open.add(this);
    this.#call.on('data', (request: ConsumeRequest__Output) => { this.onRequest(request); });
    this.#call.on('end', () => {
      // The worker half-closed: it takes nothing more. Finish our side too.
      this.close('worker ended');
      this.#call.end();
    });
    this.#call.on('cancelled', () => {
      this.close('cancelled');
      endCancelled(this.#call);
    });
    this.#call.on('error', () => { this.close('error'); });
    this.#ctx.logger.info('consume stream opened', { worker_id: this.workerId, prefetch: this.prefetch, peer: this.#call.getPeer() });
  }
}

export function createCreditMode(ctx: ModeContext): DeliveryMode {
  const { config, dispatcher, guard } = ctx;
  const policy: DeliveryPolicy = {
    mode: 'credit',
    release: 'requeue',
    releaseGraceMs: 0,
    settleWithinMs: config.ackDeadlineMs,
    upstreamAck: 'settle',
    exclusive: true,
    presenceMs: 0,
  };
  const open = new Set<CreditConsumer>();

  const consume: grpc.handleBidiStreamingCall<ConsumeRequest__Output, Delivery> = (call) => {
    const reject = (status: StatusError): void => {
      call.emit('error', status);
    };
    if (dispatcher.closed) {
      reject(SHUTTING_DOWN);
      return;
    }
    // Until the hello arrives, nothing is delivered; a stream that never
    // sends one is ended by the server's first-message timeout.
    call.once('data', (first: ConsumeRequest__Output) => {
      const hello = first.kind === 'hello' ? first.hello : null;
      if (!hello) {
        reject({ code: grpc.status.INVALID_ARGUMENT, details: 'the first message on Consume must be a hello' });
        return;
      }
      if (hello.prefetch < 1 || hello.prefetch > config.maxPrefetch) {
        ctx.metrics.refused('prefetch');
        reject({ code: grpc.status.INVALID_ARGUMENT, details: `prefetch must be 1..${config.maxPrefetch} (the sidecar's MAX_PREFETCH), got ${hello.prefetch}` });
        return;
      }
      const record = guard.admit(call, hello.workerId, policy);
      if (isStatusError(record)) {
        reject(record);
        return;
      }
      record.prefetch = hello.prefetch;
      const consumer = new CreditConsumer(call, hello.workerId, hello.prefetch, policy, ctx, open);
      consumer.start();
      dispatcher.attach(consumer, record);
    });
  };

  return {
    name: policy.mode,
    policy,
    handlers: { Consume: consume },
    endAll() {
      for (const consumer of [...open]) consumer.end();
    },
  };
}
