/** Publish and Stats: the RPCs for producers, scenario scripts and tests. */
import * as grpc from '@grpc/grpc-js';
import { nowUnixNano } from '@backlog-lab/common/clock';
import { PRIORITY_LEVELS } from '@backlog-lab/common/priority';
import type { StatsResponse } from '@backlog-lab/common/generated/backlog/v1/StatsResponse';
import type { StatsRequest__Output } from '@backlog-lab/common/generated/backlog/v1/StatsRequest';
import type { PublishRequest__Output } from '@backlog-lab/common/generated/backlog/v1/PublishRequest';
import type { PublishResponse } from '@backlog-lab/common/generated/backlog/v1/PublishResponse';
import type { Broker } from './broker.ts';
import type { MessageIds } from './message-ids.ts';

const MESSAGE_ID = /^[\x21-\x7e]{1,128}$/;

export interface PublishDeps {
  readonly broker: Broker;
  readonly ids: MessageIds;
  readonly maxPayloadBytes: number;
  readonly maxQueued: number;
}

/**
 * Validates the whole batch before enqueuing any of it, so a bad message
 * never leaves half a batch published.
 */
export function createPublishHandler(deps: PublishDeps): grpc.handleUnaryCall<PublishRequest__Output, PublishResponse> {
  return (call, callback) => {
    if (deps.broker.closed) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'sidecar is shutting down' });
      return;
    }
    if (deps.broker.queued + call.request.messages.length > deps.maxQueued) {
      callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `the queue holds ${deps.broker.queued} messages; the limit is ${deps.maxQueued}` });
      return;
    }
    const batch: { id: string; priority: number; payload: Buffer }[] = [];
    const inBatch = new Set<string>();
    for (const [index, m] of call.request.messages.entries()) {
      if (m.priority >= PRIORITY_LEVELS) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `messages[${index}].priority must be 0..${PRIORITY_LEVELS - 1}, got ${m.priority}` });
        return;
      }
      if (m.payload.length > deps.maxPayloadBytes) {
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `messages[${index}].payload is ${m.payload.length} bytes; the limit is ${deps.maxPayloadBytes}` });
        return;
      }
      if (m.id !== '' && !MESSAGE_ID.test(m.id)) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `messages[${index}].id must be 1..128 printable characters` });
        return;
      }
      if (m.id !== '' && (deps.broker.has(m.id) || inBatch.has(m.id))) {
        callback({ code: grpc.status.ALREADY_EXISTS, details: `messages[${index}].id '${m.id}' is already queued or in flight` });
        return;
      }
      const id = m.id === '' ? deps.ids.next() : m.id;
      inBatch.add(id);
      batch.push({ id, priority: m.priority, payload: m.payload });
    }
    deps.broker.publish(batch);
    callback(null, { ids: batch.map((m) => m.id) });
  };
}

export function createStatsHandler(broker: Broker): grpc.handleUnaryCall<StatsRequest__Output, StatsResponse> {
  return (_call, callback) => {
    callback(null, statsSnapshot(broker));
  };
}

export function statsSnapshot(broker: Broker): StatsResponse {
  const now = Date.now();
  return {
    queueDepth: Array.from({ length: PRIORITY_LEVELS }, (_, p) => broker.queueDepth(p)),
    workers: broker.workers().map((w) => ({
      workerId: w.workerId,
      mode: w.mode,
      connected: broker.isConnected(w, now),
      dispatched: w.dispatched,
      acked: w.acked,
      inFlight: w.inFlight,
      requeued: w.requeued,
      lost: w.lost,
      prefetch: w.prefetch,
    })),
    totals: { ...broker.totals },
    atUnixNano: nowUnixNano().toString(),
  };
}
