/**
 * Mode `poll` (Pull + ExtendLease + Ack): a unary long-poll. Each Pull waits
 * for one message (up to its timeout, capped by the sidecar) and the worker
 * pulls again only when it has a free slot, so at most one message per slot
 * is ever in transit. A pulled message is held under a short lease that the
 * worker extends while it works (Pub/Sub's ModifyAckDeadline, Temporal's
 * heartbeat): slow work keeps its message, and a dead worker's message is
 * back in the queue within one lease.
 */
import * as grpc from '@grpc/grpc-js';
import { MAX_RECEIPT_IDS, type Delivery } from '@backlog-lab/common/contract';
import type { AckRequest__Output } from '@backlog-lab/common/generated/backlog/v1/AckRequest';
import type { AckResponse } from '@backlog-lab/common/generated/backlog/v1/AckResponse';
import type { ExtendLeaseRequest__Output } from '@backlog-lab/common/generated/backlog/v1/ExtendLeaseRequest';
import type { ExtendLeaseResponse } from '@backlog-lab/common/generated/backlog/v1/ExtendLeaseResponse';
import type { PullRequest__Output } from '@backlog-lab/common/generated/backlog/v1/PullRequest';
import type { PullResponse } from '@backlog-lab/common/generated/backlog/v1/PullResponse';
import { isValidId, ID_RULE } from '@backlog-lab/common/identifiers';
import { createAckIds, type AckIds } from '../queue/ack-ids.ts';
import type { SettleResult } from '../queue/dispatcher.ts';
import type { Consumer, DeliveryPolicy, Holder } from '../queue/policy.ts';
import type { DeliveryMode, ModeContext } from './delivery-mode.ts';
import { checkAckIds, isStatusError } from './server-calls.ts';

/** One per poll worker id: its leases stay attributed to it between Pulls. */
class PollHolder implements Holder {
  readonly ackIds: AckIds = createAckIds();
  readonly workerId: string;
  readonly policy: DeliveryPolicy;
  /** Pulls waiting for a message. */
  pending = 0;
  constructor(workerId: string, policy: DeliveryPolicy) {
    this.workerId = workerId;
    this.policy = policy;
  }
}

/** One pending Pull: takes exactly one message, or answers empty at its timeout. */
class PendingPull implements Consumer {
  readonly holder: PollHolder;
  readonly #callback: grpc.sendUnaryData<PullResponse>;
  readonly #ctx: ModeContext;
  readonly #open: Set<PendingPull>;
  #timer: NodeJS.Timeout | undefined;
  #answered = false;

  constructor(holder: PollHolder, callback: grpc.sendUnaryData<PullResponse>, ctx: ModeContext, open: Set<PendingPull>) {
    this.holder = holder;
    this.#callback = callback;
    this.#ctx = ctx;
    this.#open = open;
  }

  canTake(): boolean {
    return !this.#answered;
  }

  deliver(delivery: Delivery): void {
    this.#answer(delivery);
  }

  start(call: grpc.ServerUnaryCall<PullRequest__Output, PullResponse>): void {
    this.#open.add(this);
    this.holder.pending++;
    call.on('cancelled', () => { this.#settle(); });
  }

  /** Answers empty after `timeoutMs` unless answered first; a Pull a queued message answered at once needs no timer. */
  expireAfter(timeoutMs: number): void {
    if (!this.#answered) this.#timer = setTimeout(() => { this.finish(); }, timeoutMs);
  }

  /** Answers empty (timeout or shutdown). */
  finish(): void {
    this.#answer(null);
  }

  #answer(message: Delivery | null): void {
    if (this.#answered) return;
    this.#settle();
    this.#callback(null, { message, leaseMs: this.#ctx.config.pollLeaseMs });
  }

  #settle(): void {
    if (this.#answered) return;
    this.#answered = true;
    clearTimeout(this.#timer);
    this.#open.delete(this);
    this.holder.pending--;
    this.#ctx.dispatcher.detach(this);
  }
}

const ACK_OUTCOMES = {
  'settled': 'ACK_OUTCOME_ACKED',
  'already-settled': 'ACK_OUTCOME_ALREADY_ACKED',
  'expired': 'ACK_OUTCOME_EXPIRED',
  'lost': 'ACK_OUTCOME_EXPIRED',
} as const satisfies Record<Exclude<SettleResult, 'unknown'>, AckResponse['outcome']>;

export function createPollMode(ctx: ModeContext): DeliveryMode {
  const { config, dispatcher, guard, metrics } = ctx;
  const policy: DeliveryPolicy = {
    mode: 'poll',
    release: 'requeue',
    releaseGraceMs: 0,
    settleWithinMs: config.pollLeaseMs,
    upstreamAck: 'settle',
    exclusive: false,
    presenceMs: config.pollPresenceMs,
  };
  const holders = new Map<string, PollHolder>();
  dispatcher.workers.onForgotten((record) => { holders.delete(record.workerId); });
  const open = new Set<PendingPull>();
  const claimant = (holder: PollHolder): { workerId: string; policy: DeliveryPolicy; holder: Holder } => ({ workerId: holder.workerId, policy, holder });

  const pull: grpc.handleUnaryCall<PullRequest__Output, PullResponse> = (call, callback) => {
    const { workerId, timeoutMs } = call.request;
    if (timeoutMs > config.longPollMaxMs) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `timeout_ms must be 0..${config.longPollMaxMs} (the sidecar's LONG_POLL_MAX_MS), got ${timeoutMs}` });
      return;
    }
    const record = guard.admit(call, workerId, policy);
    if (isStatusError(record)) {
      callback(record);
      return;
    }
    let holder = holders.get(workerId);
    if (!holder) {
      holder = new PollHolder(workerId, policy);
      holders.set(workerId, holder);
    }
    if (holder.pending >= config.maxPendingPullsPerWorker || open.size >= config.maxPendingPulls) {
      metrics.refused('pending_pulls');
      callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: holder.pending >= config.maxPendingPullsPerWorker
        ? `this worker already has ${holder.pending} Pulls waiting (MAX_PENDING_PULLS_PER_WORKER)`
        : `the sidecar has ${open.size} Pulls waiting (MAX_PENDING_PULLS)` });
      return;
    }
    const pending = new PendingPull(holder, callback, ctx, open);
    pending.start(call);
    dispatcher.attach(pending, record);
    pending.expireAfter(timeoutMs === 0 ? config.longPollMaxMs : timeoutMs);
  };

  const extendLease: grpc.handleUnaryCall<ExtendLeaseRequest__Output, ExtendLeaseResponse> = (call, callback) => {
    const { workerId, ackIds } = call.request;
    const invalid = guard.check(call, workerId) ?? checkAckIds(ackIds, MAX_RECEIPT_IDS, 'ack_ids');
    if (invalid) {
      callback(invalid);
      return;
    }
    const holder = holders.get(workerId);
    const lapsedAckIds = holder ? ackIds.filter((ackId) => !dispatcher.extend(ackId, claimant(holder))) : [...ackIds];
    callback(null, { extended: ackIds.length - lapsedAckIds.length, leaseMs: config.pollLeaseMs, lapsedAckIds });
  };

  /**
   * Unary Ack, for messages delivered by Pull. Acks are idempotent: a repeated
   * ack answers ALREADY_ACKED, a late one (after the lease lapsed and the
   * message was requeued) EXPIRED; neither counts the message again. An ack
   * id this worker does not hold is NOT_FOUND, whoever's it is.
   */
  const ack: grpc.handleUnaryCall<AckRequest__Output, AckResponse> = (call, callback) => {
    const { workerId, ackId } = call.request;
    const invalid = guard.check(call, workerId);
    if (invalid) {
      callback(invalid);
      return;
    }
    if (!isValidId(ackId)) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `ack_id must be ${ID_RULE}` });
      return;
    }
    const holder = holders.get(workerId);
    const result = holder ? dispatcher.settle(ackId, claimant(holder)) : 'unknown';
    if (result === 'unknown') {
      callback({ code: grpc.status.NOT_FOUND, details: 'no delivery with this ack_id is held by this worker' });
      return;
    }
    callback(null, { outcome: ACK_OUTCOMES[result] });
  };

  return {
    name: policy.mode,
    policy,
    handlers: { Pull: pull, ExtendLease: extendLease, Ack: ack },
    endAll() {
      for (const pending of [...open]) pending.finish();
    },
  };
}
