/**
 * Every Prometheus metric the worker exports. Each carries `worker_id` and
 * `mode` as default labels, the same worker_id the sidecar uses, so the two
 * sides join in PromQL.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, traceExemplar, type MetricsRegistry } from '@backlog-lab/common/metrics-http';
import type { DeliveryMode } from '@backlog-lab/common/modes';
import { priorityName } from '@backlog-lab/common/priority';

export type ProcessOutcome = 'ok' | 'ack_lost';

export interface WorkerMetrics {
  started(priority: number, backlogSeconds: number, traceId: string | undefined): void;
  processed(outcome: ProcessOutcome, priority: number, processingSeconds: number, endToEndSeconds: number, traceId: string | undefined): void;
  setBusy(busy: boolean): void;
  setConnected(connected: boolean): void;
}

/** The window of worker_client_backlog_max_seconds. */
export const BACKLOG_MAX_WINDOW_S = 60;

/**
 * The largest value observed in the last `windowS` seconds: one slot per
 * second, so an observation is O(1) and a read O(window).
 */
export function createWindowMax(windowS: number, nowS: () => number = () => Math.floor(Date.now() / 1000)): { observe(value: number): void; read(): number } {
  const maxes = new Array<number>(windowS).fill(0);
  const seconds = new Array<number>(windowS).fill(-1);
  return {
    observe(value) {
      const now = nowS();
      const slot = now % windowS;
      if (seconds[slot] !== now) {
        seconds[slot] = now;
        maxes[slot] = value;
      } else if (value > (maxes[slot] ?? 0)) {
        maxes[slot] = value;
      }
    },
    read() {
      const now = nowS();
      let max = 0;
      for (let i = 0; i < windowS; i++) {
        if (now - (seconds[i] ?? -1) < windowS && (maxes[i] ?? 0) > max) max = maxes[i] ?? 0;
      }
      return max;
    },
  };
}

export function createWorkerMetrics(registry: MetricsRegistry, workerId: string, mode: DeliveryMode, stack: { name: string; grpcVersion: string }): WorkerMetrics {
  registry.setDefaultLabels({ worker_id: workerId, mode });
  new Gauge({
    name: 'worker_info',
    help: "The worker's client stack (grpc-js or c-core) and gRPC library version; always 1.",
    labelNames: ['stack', 'grpc_version'],
    registers: [registry],
  }).set({ stack: stack.name, grpc_version: stack.grpcVersion }, 1);
  const backlogMax = createWindowMax(BACKLOG_MAX_WINDOW_S);
  new Gauge({
    name: 'worker_client_backlog_max_seconds',
    help: `The longest client backlog (dispatch to start of processing) of any message started in the last ${BACKLOG_MAX_WINDOW_S} s: a real maximum, unlike a histogram quantile.`,
    registers: [registry],
    collect() {
      this.set(backlogMax.read());
    },
  });
  // Counts and states are plain numbers, read at scrape time: a message costs no counter or gauge update.
  const counts = { started: 0, ok: 0, ackLost: 0, busy: 0, connected: 0 };
  new Counter({
    name: 'worker_messages_started_total',
    help: 'Messages this worker began processing (left the client backlog).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counts.started);
    },
  });
  new Counter({
    name: 'worker_messages_processed_total',
    help: 'Messages finished and acked (stream: receipted); outcome ack_lost means the ack could not be delivered or came too late, so the sidecar will redeliver it or count it lost.',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ outcome: 'ok' }, counts.ok);
      if (counts.ackLost > 0) this.inc({ outcome: 'ack_lost' }, counts.ackLost);
    },
  });
  const backlog = new Histogram({
    name: 'worker_client_backlog_seconds',
    help: "Time from the sidecar's dispatch to the start of processing: the time in the client backlog (worker clock minus sidecar clock).",
    labelNames: ['priority'],
    buckets: LATENCY_BUCKETS_SECONDS,
    enableExemplars: true,
    registers: [registry],
  });
  const processing = new Histogram({
    name: 'worker_processing_seconds',
    help: 'Time spent processing one message.',
    buckets: LATENCY_BUCKETS_SECONDS,
    enableExemplars: true,
    registers: [registry],
  });
  const endToEnd = new Histogram({
    name: 'worker_end_to_end_seconds',
    help: 'Time from publish to the end of processing (worker clock minus sidecar clock).',
    labelNames: ['priority'],
    buckets: LATENCY_BUCKETS_SECONDS,
    enableExemplars: true,
    registers: [registry],
  });
  new Gauge({ name: 'worker_busy', help: '1 while a message is being processed.', registers: [registry], collect() { this.set(counts.busy); } });
  new Gauge({ name: 'worker_connected', help: '1 while the worker has a live connection to the sidecar.', registers: [registry], collect() { this.set(counts.connected); } });

  return {
    started(priority, backlogSeconds, traceId) {
      counts.started++;
      backlogMax.observe(backlogSeconds);
      backlog.observe({ labels: { priority: priorityName(priority) }, value: backlogSeconds, exemplarLabels: traceExemplar(traceId) });
    },
    processed(outcome, priority, processingSeconds, endToEndSeconds, traceId) {
      if (outcome === 'ok') counts.ok++;
      else counts.ackLost++;
      processing.observe({ value: processingSeconds, exemplarLabels: traceExemplar(traceId) });
      endToEnd.observe({ labels: { priority: priorityName(priority) }, value: endToEndSeconds, exemplarLabels: traceExemplar(traceId) });
    },
    setBusy: (b) => { counts.busy = b ? 1 : 0; },
    setConnected: (c) => { counts.connected = c ? 1 : 0; },
  };
}
