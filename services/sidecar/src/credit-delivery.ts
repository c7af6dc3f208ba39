/**
 * Mode `credit` (Consume): a bidi stream where the worker grants credits.
 * Its first message is a Hello with `prefetch`; every later message acks one
 * delivery and returns its credit. The sidecar never has more than
 * `prefetch` unacked messages on the stream, whatever the HTTP/2 window would
 * allow: the worker, not the transport, bounds its backlog. When the stream
 * ends, its unacked messages are requeued at their priority.
 */
import * as grpc from '@grpc/grpc-js';
import type { ConsumeRequest__Output, Delivery } from '@backlog-lab/common/contract';
import type { Logger } from '@backlog-lab/common/logger';
import type { Broker, Consumer, Holder } from './broker.ts';
import { endCancelled, type OpenStream } from './stream-delivery.ts';
import { INVALID_WORKER_ID, validWorkerId } from './validation.ts';

export interface CreditDeliveryDeps {
  readonly broker: Broker;
  readonly logger: Logger;
  readonly maxPrefetch: number;
  /** A stream that has not said hello by then is closed (it would hold a slot forever). */
  readonly helloTimeoutMs: number;
  readonly streams: Set<OpenStream>;
}

type ConsumeCall = grpc.ServerDuplexStream<ConsumeRequest__Output, Delivery>;

class CreditConsumer implements Consumer, Holder, OpenStream {
  readonly mode = 'credit' as const;
  readonly held = new Set<string>();
  readonly workerId: string;
  readonly prefetch: number;
  readonly #call: ConsumeCall;
  readonly #deps: CreditDeliveryDeps;
  /** Deliveries not yet acked on this stream, expired ones included: a stuck worker earns no new credit. */
  #outstanding = 0;
  #writeBlocked = false;
  #open = true;

  constructor(call: ConsumeCall, workerId: string, prefetch: number, deps: CreditDeliveryDeps) {
    this.#call = call;
    this.workerId = workerId;
    this.prefetch = prefetch;
    this.#deps = deps;
  }

  get holder(): Holder {
    return this;
  }

  canTake(): boolean {
    return this.#open && !this.#writeBlocked && this.#outstanding < this.prefetch;
  }

  deliver(delivery: Delivery): void {
    this.#outstanding++;
    if (this.#call.write(delivery)) return;
    // Only reachable with a prefetch above grpc-js's 16-message buffer.
    this.#writeBlocked = true;
    this.#call.once('drain', () => {
      this.#writeBlocked = false;
      this.#deps.broker.wake(this);
    });
  }

  onRequest(request: ConsumeRequest__Output): void {
    if (request.kind !== 'ack' || !request.ack) {
      this.fail(grpc.status.INVALID_ARGUMENT, 'only the first message may be a hello; later messages must be acks');
      return;
    }
    const messageId = request.ack.messageId;
    const result = this.#deps.broker.ack(this.workerId, messageId, this);
    switch (result) {
      case 'acked':
      case 'expired':
        this.#outstanding--;
        this.#deps.broker.wake(this);
        return;
      case 'already-acked':
        return;
      case 'wrong-holder':
        this.fail(grpc.status.FAILED_PRECONDITION, `message ${messageId} was not delivered on this stream`);
        return;
      case 'not-found':
        this.fail(grpc.status.NOT_FOUND, `message ${messageId} is not in flight`);
        return;
    }
  }

  /** Ends the stream with an error status; its unacked messages are requeued. */
  fail(code: grpc.status, details: string): void {
    this.#deps.logger.warn('consume stream rejected', { worker_id: this.workerId, code: grpc.status[code], details });
    this.close('protocol error');
    this.#call.emit('error', { code, details });
  }

  end(): void {
    this.#call.end();
  }

  close(reason: string): void {
    if (!this.#open) return;
    this.#open = false;
    this.#deps.streams.delete(this);
    const requeued = this.held.size;
    this.#deps.broker.detach(this, !this.#deps.broker.closed);
    this.#deps.logger.info('consume stream closed', { worker_id: this.workerId, reason, requeued });
  }

  start(): void {
    this.#deps.streams.add(this);
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
    this.#deps.logger.info('consume stream opened', { worker_id: this.workerId, prefetch: this.prefetch, peer: this.#call.getPeer() });
    this.#deps.broker.attach(this, this.prefetch);
  }
}

export function createConsumeHandler(deps: CreditDeliveryDeps): grpc.handleBidiStreamingCall<ConsumeRequest__Output, Delivery> {
  return (call) => {
    const reject = (code: grpc.status, details: string): void => {
      call.emit('error', { code, details });
    };
    if (deps.broker.closed) {
      reject(grpc.status.UNAVAILABLE, 'sidecar is shutting down');
      return;
    }
    // Until the hello arrives, nothing is delivered.
    const helloTimer = setTimeout(() => {
      reject(grpc.status.DEADLINE_EXCEEDED, `no hello within ${deps.helloTimeoutMs} ms`);
    }, deps.helloTimeoutMs);
    call.once('cancelled', () => { clearTimeout(helloTimer); });
    call.once('data', (first: ConsumeRequest__Output) => {
      clearTimeout(helloTimer);
      const hello = first.kind === 'hello' ? first.hello : null;
      if (!hello) {
        reject(grpc.status.INVALID_ARGUMENT, 'the first message on Consume must be a hello');
        return;
      }
      if (!validWorkerId(hello.workerId)) {
        reject(grpc.status.INVALID_ARGUMENT, INVALID_WORKER_ID);
        return;
      }
      if (hello.prefetch < 1 || hello.prefetch > deps.maxPrefetch) {
        reject(grpc.status.INVALID_ARGUMENT, `prefetch must be 1..${deps.maxPrefetch}, got ${hello.prefetch}`);
        return;
      }
      new CreditConsumer(call, hello.workerId, hello.prefetch, deps).start();
    });
  };
}
