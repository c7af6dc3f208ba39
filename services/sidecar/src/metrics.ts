/**
 * Every Prometheus metric the sidecar exports, in one registry. Counters and
 * histograms are updated as messages move; gauges are read from the
 * dispatcher at scrape time, so the hot path pays nothing for them. A
 * worker's series are created when the sidecar first admits its id (at 0, so
 * rates have a start) and removed when it forgets the id (workers.ts), so
 * label sets stay bounded however many ids clients send.
 *
 * `worker_id` carries the same value as the worker's own metrics.
 * `sidecar_messages_in_flight` is the sidecar's own count per worker at one
 * instant (dispatched, not yet settled): one source, never negative. The
 * exact client backlog (dispatched - started) needs the worker's count too:
 *   sum by (worker_id) (sidecar_messages_dispatched_total)
 *     - sum by (worker_id) (worker_messages_started_total)
 * which is right per message only when both are read at the same moment.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, traceExemplar, type MetricsRegistry } from '@backlog-lab/common/metrics-http';
import { PRIORITY_NAMES, priorityName } from '@backlog-lab/common/priority';
import type { Dispatcher, RequeueReason } from './queue/dispatcher.ts';
import type { WorkerRecord } from './queue/workers.ts';

/** Why a request was refused by a limit: a small, known set of label values. */
export const REFUSAL_REASONS = ['connections', 'first_message', 'identity', 'pending_pulls', 'prefetch', 'publish_batch', 'workers', 'worker_id_taken'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface SidecarMetrics {
  /** A message is being dispatched: its queue wait (the one per-message observation). */
  dispatched(priority: number, queueWaitSeconds: number, traceId: string | undefined): void;
  writeBlocked(workerId: string, seconds: number): void;
  /** One Receipt call carried this many ack ids. */
  receiptBatch(ids: number): void;
  refused(reason: RefusalReason): void;
  /** Reads the counts, queue depth, ages, in flight and connected workers from the dispatcher at scrape time. */
  observe(dispatcher: Dispatcher, modes: readonly string[]): void;
}

export function createSidecarMetrics(registry: MetricsRegistry): SidecarMetrics {
  let dispatcher: Dispatcher | undefined;
  let modes: readonly string[] = [];
  const workerLabels = (w: WorkerRecord): { mode: string; worker_id: string } => ({ mode: w.policy.mode, worker_id: w.workerId });
  /**
   * A counter whose values are the dispatcher's own counts, set at scrape
   * time: per worker from its record (created at 0 when the id is admitted,
   * gone when it is forgotten), so the hot path pays nothing for them.
   */
  const perWorker = (name: string, help: string, value: (w: WorkerRecord) => number): void => {
    new Counter({
      name, help, labelNames: ['mode', 'worker_id'], registers: [registry],
      collect() {
        this.reset();
        for (const w of dispatcher?.workers.list() ?? []) this.inc(workerLabels(w), value(w));
      },
    });
  };
  new Counter({
    name: 'sidecar_messages_published_total',
    help: 'Messages enqueued through this sidecar (Publish RPC or built-in producer).',
    labelNames: ['priority'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [p, priority] of PRIORITY_NAMES.entries()) this.inc({ priority }, dispatcher?.totals.publishedByPriority[p] ?? 0);
    },
  });
  perWorker('sidecar_messages_dispatched_total', 'Messages handed to gRPC for a worker (stream write, credit stream write, or Pull response).', (w) => w.dispatched);
  perWorker('sidecar_messages_redelivered_total', 'Dispatches of a message that had been dispatched before (attempt > 1).', (w) => w.redelivered);
  perWorker('sidecar_messages_acked_total', 'Messages settled by the worker that held them (acked; stream mode: receipted).', (w) => w.acked);
  perWorker('sidecar_messages_lost_total', 'Messages written to a stream that ended without their receipt within the grace (stream mode has no redelivery).', (w) => w.lost);
  new Counter({
    name: 'sidecar_messages_requeued_total',
    help: 'In-flight messages taken back from a worker and queued again (credit and poll): at the ack deadline or lease, or when the worker went.',
    labelNames: ['mode', 'worker_id', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of dispatcher?.workers.list() ?? []) {
        this.inc({ ...workerLabels(w), reason: 'deadline' satisfies RequeueReason }, w.requeuedAtDeadline);
        this.inc({ ...workerLabels(w), reason: 'disconnect' satisfies RequeueReason }, w.requeued - w.requeuedAtDeadline);
      }
    },
  });
  const writeBlockedSeconds = new Map<string, number>();
  new Counter({
    name: 'sidecar_stream_write_blocked_seconds_total',
    help: "Time stream-mode writes spent waiting for 'drain' (the HTTP/2 window and buffers were full).",
    labelNames: ['worker_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of dispatcher?.workers.list() ?? []) this.inc({ worker_id: w.workerId }, writeBlockedSeconds.get(w.workerId) ?? 0);
    },
  });
  const refused = new Counter({ name: 'sidecar_requests_refused_total', help: 'Requests refused by one of the sidecar\'s limits, by limit.', labelNames: ['reason'], registers: [registry] });
  for (const reason of REFUSAL_REASONS) refused.inc({ reason }, 0);
  const queueWait = new Histogram({
    name: 'sidecar_queue_wait_seconds',
    help: 'Time from (re)entering the sidecar queue to dispatch.',
    labelNames: ['priority'],
    buckets: LATENCY_BUCKETS_SECONDS,
    enableExemplars: true,
    registers: [registry],
  });
  const receiptBatch = new Histogram({
    name: 'sidecar_receipt_batch_ids',
    help: 'Ack ids per Receipt call (stream mode): workers batch receipts, so a fast worker sends many per call.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const gauge = (name: string, help: string, labelNames: string[], collect: (this: Gauge) => void): void => {
    new Gauge({ name, help, labelNames, registers: [registry], collect });
  };
  gauge('sidecar_queue_depth', 'Messages waiting in the sidecar queue (behind a broker: fetched, not yet dispatched).', ['priority'], function () {
    for (const [p, name] of PRIORITY_NAMES.entries()) this.set({ priority: name }, dispatcher?.queue.depth(p) ?? 0);
  });
  gauge('sidecar_queue_oldest_message_age_seconds', 'Now minus the publish time of the oldest message waiting in the sidecar queue; 0 when it is empty.', [], function () {
    const oldest = dispatcher?.queue.oldestPublishedAtMs();
    this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
  });
  gauge('sidecar_messages_in_flight', 'Messages dispatched to a worker and not yet settled (stream: not yet receipted): its client backlog plus what it has in hand.', ['mode', 'worker_id'], function () {
    this.reset();
    if (!dispatcher) return;
    const now = Date.now();
    for (const w of dispatcher.workers.list()) {
      if (w.inFlight > 0 || dispatcher.workers.isConnected(w, now)) this.set(workerLabels(w), w.inFlight);
    }
  });
  gauge('sidecar_in_flight_oldest_message_age_seconds', 'Per worker, now minus the publish time of the oldest message in flight to it; 0 when none is.', ['mode', 'worker_id'], function () {
    this.reset();
    if (!dispatcher) return;
    const now = Date.now();
    const oldest = dispatcher.oldestInFlight();
    for (const w of dispatcher.workers.list()) {
      const at = oldest.get(w.workerId);
      if (at !== undefined || dispatcher.workers.isConnected(w, now)) this.set(workerLabels(w), at === undefined ? 0 : Math.max(0, (now - at) / 1000));
    }
  });
  gauge('sidecar_workers_connected', 'Workers with an open stream or a recent Pull, by delivery mode.', ['mode'], function () {
    const counts = new Map<string, number>(modes.map((m) => [m, 0]));
    const now = Date.now();
    for (const w of dispatcher?.workers.list() ?? []) {
      if (dispatcher?.workers.isConnected(w, now)) counts.set(w.policy.mode, (counts.get(w.policy.mode) ?? 0) + 1);
    }
    for (const [mode, n] of counts) this.set({ mode }, n);
  });
  gauge('sidecar_upstream_ready_messages', 'Messages ready in the queue behind the sidecar, as it last reported them (memory: the queue depth).', ['queue'], function () {
    const up = dispatcher?.queue.upstream();
    if (up) this.set({ queue: up.kind }, up.ready);
  });
  gauge('sidecar_upstream_unacked_messages', 'Messages this sidecar holds unacked in the queue behind it (rabbitmq: fetched, dispatched or not; memory: 0).', ['queue'], function () {
    const up = dispatcher?.queue.upstream();
    if (up) this.set({ queue: up.kind }, up.unacked);
  });

  return {
    dispatched(priority, queueWaitSeconds, traceId) {
      queueWait.observe({ labels: { priority: priorityName(priority) }, value: queueWaitSeconds, exemplarLabels: traceExemplar(traceId) });
    },
    writeBlocked: (workerId, seconds) => { writeBlockedSeconds.set(workerId, (writeBlockedSeconds.get(workerId) ?? 0) + seconds); },
    receiptBatch: (ids) => { receiptBatch.observe(ids); },
    refused: (reason) => { refused.inc({ reason }); },
    observe(d, m) {
      dispatcher = d;
      modes = m;
      // Forgotten workers take their blocked time with them.
      d.workers.onForgotten((w) => { writeBlockedSeconds.delete(w.workerId); });
    },
  };
}
