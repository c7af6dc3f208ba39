/**
 * Mode `poll` (Pull + Ack): a unary long-poll. Each Pull waits for one message
 * (up to its timeout, capped by the sidecar) and the worker pulls again only
 * when it has a free slot, so at most one message per slot is ever in
 * transit. A pulled message must be acked before the ack deadline, or it goes
 * back to the queue; a worker that dies is noticed that way.
 */
import * as grpc from '@grpc/grpc-js';
import type { Delivery } from '@backlog-lab/common/contract';
import type { Logger } from '@backlog-lab/common/logger';
import type { AckRequest__Output } from '@backlog-lab/common/generated/backlog/v1/AckRequest';
import type { AckResponse } from '@backlog-lab/common/generated/backlog/v1/AckResponse';
import type { PullRequest__Output } from '@backlog-lab/common/generated/backlog/v1/PullRequest';
import type { PullResponse } from '@backlog-lab/common/generated/backlog/v1/PullResponse';
import type { AckResult, Broker, Consumer, Holder } from './broker.ts';
import { INVALID_WORKER_ID, validWorkerId } from './validation.ts';

export interface PollDeliveryDeps {
  readonly broker: Broker;
  readonly logger: Logger;
  readonly longPollMaxMs: number;
  /** Pending Pulls, so shutdown can answer them. */
  readonly pendingPulls: Set<{ finish(): void }>;
}

/** One per poll worker: its messages stay attributed to it between Pulls. */
class PollHolder implements Holder {
  readonly mode = 'poll' as const;
  readonly held = new Set<string>();
  readonly workerId: string;
  constructor(workerId: string) {
    this.workerId = workerId;
  }
}

/** One pending Pull: takes exactly one message, or answers empty at its timeout. */
class PendingPull implements Consumer {
  readonly holder: PollHolder;
  readonly #callback: grpc.sendUnaryData<PullResponse>;
  readonly #deps: PollDeliveryDeps;
  #timer: NodeJS.Timeout | undefined;
  #answered = false;

  constructor(holder: PollHolder, callback: grpc.sendUnaryData<PullResponse>, deps: PollDeliveryDeps) {
    this.holder = holder;
    this.#callback = callback;
    this.#deps = deps;
  }

  canTake(): boolean {
    return !this.#answered;
  }

  deliver(delivery: Delivery): void {
    this.#answer(delivery);
  }

  start(timeoutMs: number, call: grpc.ServerUnaryCall<PullRequest__Output, PullResponse>): void {
    this.#deps.pendingPulls.add(this);
    call.on('cancelled', () => { this.#settle(); });
    this.#timer = setTimeout(() => { this.finish(); }, timeoutMs);
    this.#deps.broker.attach(this);
  }

  /** Answers empty (timeout or shutdown). */
  finish(): void {
    this.#answer(null);
  }

  #answer(message: Delivery | null): void {
    if (this.#answered) return;
    this.#settle();
    this.#callback(null, { message });
  }

  #settle(): void {
    if (this.#answered) return;
    this.#answered = true;
    clearTimeout(this.#timer);
    this.#deps.pendingPulls.delete(this);
    this.#deps.broker.detach(this, false);
  }
}

export function createPullHandler(deps: PollDeliveryDeps): grpc.handleUnaryCall<PullRequest__Output, PullResponse> {
  const holders = new Map<string, PollHolder>();
  return (call, callback) => {
    const { workerId, timeoutMs } = call.request;
    if (deps.broker.closed) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'sidecar is shutting down' });
      return;
    }
    if (!validWorkerId(workerId)) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: INVALID_WORKER_ID });
      return;
    }
    if (timeoutMs > deps.longPollMaxMs) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `timeout_ms must be 0..${deps.longPollMaxMs}, got ${timeoutMs}` });
      return;
    }
    let holder = holders.get(workerId);
    if (!holder) {
      holder = new PollHolder(workerId);
      holders.set(workerId, holder);
    }
    deps.broker.seen(holder);
    new PendingPull(holder, callback, deps).start(timeoutMs === 0 ? deps.longPollMaxMs : timeoutMs, call);
  };
}

const ACK_OUTCOMES: Record<Exclude<AckResult, 'not-found' | 'wrong-holder'>, AckResponse['outcome']> = {
  'acked': 'ACK_OUTCOME_ACKED',
  'already-acked': 'ACK_OUTCOME_ALREADY_ACKED',
  'expired': 'ACK_OUTCOME_EXPIRED',
};

/**
 * Unary Ack, for messages delivered by Pull. Acks are idempotent: a
 * repeated ack answers ALREADY_ACKED, a late one (after the deadline requeued
 * the message) EXPIRED; neither counts the message again.
 */
export function createAckHandler(broker: Broker): grpc.handleUnaryCall<AckRequest__Output, AckResponse> {
  return (call, callback) => {
    const { workerId, messageId } = call.request;
    if (!validWorkerId(workerId) || messageId === '') {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'worker_id and message_id are required' });
      return;
    }
    const result = broker.ack(workerId, messageId, 'poll');
    if (result === 'not-found') {
      callback({ code: grpc.status.NOT_FOUND, details: `message ${messageId} is not in flight` });
      return;
    }
    if (result === 'wrong-holder') {
      callback({ code: grpc.status.FAILED_PRECONDITION, details: `message ${messageId} was not pulled by worker ${workerId}` });
      return;
    }
    callback(null, { outcome: ACK_OUTCOMES[result] });
  };
}
