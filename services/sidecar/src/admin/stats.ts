/**
 * Stats: a snapshot for operators, scripts and tests: queue depth, the
 * workers the sidecar knows (one page at a time, ordered by worker id, so a
 * reply stays small however many ids there are), totals, and what the queue
 * behind the sidecar reports.
 */
import * as grpc from '@grpc/grpc-js';
import { nowUnixNano } from '@backlog-lab/common/clock';
import { PRIORITY_LEVELS } from '@backlog-lab/common/priority';
import type { StatsRequest__Output } from '@backlog-lab/common/generated/backlog/v1/StatsRequest';
import type { StatsResponse } from '@backlog-lab/common/generated/backlog/v1/StatsResponse';
import type { Dispatcher } from '../queue/dispatcher.ts';

/** Workers per Stats page when the request asks for none, and at most. */
export const STATS_PAGE_SIZE = 1000;

export function statsSnapshot(dispatcher: Dispatcher, request: Pick<StatsRequest__Output, 'pageSize' | 'pageToken'> = { pageSize: 0, pageToken: '' }): StatsResponse {
  const now = Date.now();
  const size = request.pageSize === 0 ? STATS_PAGE_SIZE : Math.min(request.pageSize, STATS_PAGE_SIZE);
  const after = request.pageToken === '' ? '' : Buffer.from(request.pageToken, 'base64url').toString();
  const all = [...dispatcher.workers.list()].filter((w) => w.workerId > after).sort((a, b) => (a.workerId < b.workerId ? -1 : 1));
  const page = all.slice(0, size);
  const oldest = dispatcher.oldestInFlight();
  const last = page.at(-1);
  const upstream = dispatcher.queue.upstream();
  const oldestQueued = dispatcher.queue.oldestPublishedAtMs();
  return {
    queueDepth: Array.from({ length: PRIORITY_LEVELS }, (_, p) => dispatcher.queue.depth(p)),
    workers: page.map((w) => ({
      workerId: w.workerId,
      mode: w.policy.mode,
      connected: dispatcher.workers.isConnected(w, now),
      dispatched: w.dispatched,
      acked: w.acked,
      inFlight: w.inFlight,
      requeued: w.requeued,
      lost: w.lost,
      prefetch: w.prefetch,
      oldestInFlightPublishedAtUnixNano: String(BigInt(oldest.get(w.workerId) ?? 0) * 1_000_000n),
    })),
    totals: { ...dispatcher.totals },
    atUnixNano: nowUnixNano().toString(),
    nextPageToken: all.length > size && last ? Buffer.from(last.workerId).toString('base64url') : '',
    upstream: { kind: upstream.kind, ready: upstream.ready, unacked: upstream.unacked, connected: upstream.connected },
    oldestQueuedPublishedAtUnixNano: String(BigInt(oldestQueued ?? 0) * 1_000_000n),
  };
}

export function createStatsHandler(dispatcher: Dispatcher): grpc.handleUnaryCall<StatsRequest__Output, StatsResponse> {
  return (call, callback) => {
    if (call.request.pageSize > STATS_PAGE_SIZE) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `page_size must be 0..${STATS_PAGE_SIZE}, got ${call.request.pageSize}` });
      return;
    }
    callback(null, statsSnapshot(dispatcher, call.request));
  };
}
