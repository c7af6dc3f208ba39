/**
 * Every Prometheus metric the sidecar exports, in one registry. Counters and
 * histograms are updated as messages move; gauges are read from the broker at
 * scrape time, so the hot path pays nothing for them.
 *
 * `worker_id` carries the same value as the worker's own metrics, so
 *   sum by (worker_id) (sidecar_messages_dispatched_total)
 *     - sum by (worker_id) (worker_messages_started_total)
 * is the number of messages in transit to each worker, in every mode.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, traceExemplar, type MetricsRegistry } from '@backlog-lab/common/metrics-http';
import { DELIVERY_MODES } from '@backlog-lab/common/modes';
import { PRIORITY_NAMES, priorityName } from '@backlog-lab/common/priority';
import type { Broker, Holder, RequeueReason } from './broker.ts';

export interface SidecarMetrics {
  /** Creates a new worker's counters at 0, so rates and panels have a series before the first event. */
  workerSeen(holder: Holder): void;
  published(priority: number): void;
  dispatched(holder: Holder, priority: number, attempt: number, queueWaitSeconds: number, traceId: string | undefined): void;
  acked(holder: Holder): void;
  requeued(holder: Holder, reason: RequeueReason): void;
  lost(holder: Holder, count: number): void;
  writeBlocked(workerId: string, seconds: number): void;
  /** One Receipt call carried this many message ids. */
  receiptBatch(ids: number): void;
  /** Reads queue depth, in-flight and connected workers from the broker at scrape time. */
  observe(broker: Broker): void;
}

export function createSidecarMetrics(registry: MetricsRegistry): SidecarMetrics {
  const published = new Counter({
    name: 'sidecar_messages_published_total',
    help: 'Messages enqueued (Publish RPC or built-in producer).',
    labelNames: ['priority'],
    registers: [registry],
  });
  for (const priority of PRIORITY_NAMES) published.inc({ priority }, 0);
  const dispatched = new Counter({
    name: 'sidecar_messages_dispatched_total',
    help: 'Messages handed to gRPC for a worker (stream write, credit stream write, or Pull response).',
    labelNames: ['mode', 'worker_id'],
    registers: [registry],
  });
  const redelivered = new Counter({
    name: 'sidecar_messages_redelivered_total',
    help: 'Dispatches of a message that had been dispatched before (attempt > 1).',
    labelNames: ['mode', 'worker_id'],
    registers: [registry],
  });
  const acked = new Counter({
    name: 'sidecar_messages_acked_total',
    help: 'Messages acknowledged (stream mode: receipted) by the worker that held them.',
    labelNames: ['mode', 'worker_id'],
    registers: [registry],
  });
  const requeued = new Counter({
    name: 'sidecar_messages_requeued_total',
    help: 'In-flight messages taken back from a worker and queued again (credit and poll).',
    labelNames: ['mode', 'worker_id', 'reason'],
    registers: [registry],
  });
  const lost = new Counter({
    name: 'sidecar_messages_lost_total',
    help: 'Messages written to a stream that ended before the worker receipted them (stream mode has no redelivery).',
    labelNames: ['mode', 'worker_id'],
    registers: [registry],
  });
  const writeBlocked = new Counter({
    name: 'sidecar_stream_write_blocked_seconds_total',
    help: "Time stream-mode writes spent waiting for 'drain' (the HTTP/2 window and buffers were full).",
    labelNames: ['worker_id'],
    registers: [registry],
  });
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
    help: 'Message ids per Receipt call (stream mode): workers batch receipts, so a fast worker sends many per call.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  let broker: Broker | undefined;
  new Gauge({
    name: 'sidecar_queue_depth',
    help: 'Messages waiting in the sidecar queue.',
    labelNames: ['priority'],
    registers: [registry],
    collect() {
      for (const [p, name] of PRIORITY_NAMES.entries()) this.set({ priority: name }, broker?.queueDepth(p) ?? 0);
    },
  });
  new Gauge({
    name: 'sidecar_messages_in_flight',
    help: 'Messages dispatched to a worker and not yet acked (stream: not yet receipted).',
    labelNames: ['mode', 'worker_id'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of broker?.workers() ?? []) {
        if (w.inFlight > 0 || broker?.isConnected(w)) this.set({ mode: w.mode, worker_id: w.workerId }, w.inFlight);
      }
    },
  });
  new Gauge({
    name: 'sidecar_workers_connected',
    help: 'Workers with an open stream or a recent Pull, by delivery mode.',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(DELIVERY_MODES.map((m) => [m, 0]));
      const now = Date.now();
      for (const w of broker?.workers() ?? []) {
        if (broker?.isConnected(w, now)) counts.set(w.mode, (counts.get(w.mode) ?? 0) + 1);
      }
      for (const [mode, n] of counts) this.set({ mode }, n);
    },
  });

  return {
    workerSeen(holder) {
      const labels = { mode: holder.mode, worker_id: holder.workerId };
      for (const counter of [dispatched, redelivered, acked, lost]) counter.inc(labels, 0);
      for (const reason of ['deadline', 'disconnect']) requeued.inc({ ...labels, reason }, 0);
      writeBlocked.inc({ worker_id: holder.workerId }, 0);
    },
    published: (priority) => { published.inc({ priority: priorityName(priority) }); },
    dispatched(holder, priority, attempt, queueWaitSeconds, traceId) {
      const labels = { mode: holder.mode, worker_id: holder.workerId };
      dispatched.inc(labels);
      if (attempt > 1) redelivered.inc(labels);
      queueWait.observe({
        labels: { priority: priorityName(priority) },
        value: queueWaitSeconds,
        exemplarLabels: traceExemplar(traceId),
      });
    },
    acked: (holder) => { acked.inc({ mode: holder.mode, worker_id: holder.workerId }); },
    requeued: (holder, reason) => { requeued.inc({ mode: holder.mode, worker_id: holder.workerId, reason }); },
    lost: (holder, count) => { lost.inc({ mode: holder.mode, worker_id: holder.workerId }, count); },
    writeBlocked: (workerId, seconds) => { writeBlocked.inc({ worker_id: workerId }, seconds); },
    receiptBatch: (ids) => { receiptBatch.observe(ids); },
    observe: (b) => { broker = b; },
  };
}
