/**
 * Each delivery's life as the worker reported it, whatever its stack: its
 * `message processed` line carries the sidecar's dispatch time (from the
 * Delivery), the worker's start and end of processing, the message id,
 * attempt and priority. One host, one clock: the differences are exact to
 * microseconds (docs/design.md, on clocks). A grpc-js worker also exports
 * a `backlog wait` span per delivery with the same two instants; the
 * Python worker exports no traces, so the logs are the one source both have.
 */
import type { OtlpReceiver, ReceivedSpan } from '@backlog-lab/harness/otlp-receiver';
import type { LogRecord } from '@backlog-lab/harness/service-process';
import { round } from './distribution.ts';
import { sleep } from './lab.ts';

export interface MessageRecord {
  readonly id: string;
  readonly worker: string;
  readonly attempt: number;
  readonly priority: number;
  /** Seconds since the scenario started: the sidecar handed it to gRPC. */
  readonly dispatchedS: number;
  /** Seconds since the scenario started: the worker began processing it. */
  readonly startedS: number;
  /** startedS - dispatchedS: time in the client backlog. */
  readonly backlogS: number;
  /** When the runner sent the Publish call that queued it; null if not known. */
  readonly publishedS: number | null;
  /** startedS - publishedS: queue wait plus client backlog. */
  readonly waitS: number | null;
}

const BACKLOG_SPAN = 'backlog wait';

/** The `backlog wait` spans of these workers received so far. */
export function backlogSpans(receiver: OtlpReceiver, workerIds: ReadonlySet<string>): ReceivedSpan[] {
  return receiver.spans.filter((s) => s.name === BACKLOG_SPAN && workerIds.has(String(s.attributes['backlog.worker_id'])));
}

/** Waits (up to timeoutMs) until at least `expected` backlog spans of these workers have arrived. */
export async function awaitBacklogSpans(receiver: OtlpReceiver, workerIds: ReadonlySet<string>, expected: number, timeoutMs = 5_000): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + timeoutMs;
  let spans = backlogSpans(receiver, workerIds);
  while (spans.length < expected && Date.now() < deadline) {
    await sleep(50);
    spans = backlogSpans(receiver, workerIds);
  }
  return spans;
}

export function messageRecords(spans: readonly ReceivedSpan[], t0Ms: number, publishedAtMs: ReadonlyMap<string, number>): MessageRecord[] {
  const t0Ns = BigInt(Math.round(t0Ms * 1000)) * 1000n;
  const seconds = (ns: bigint): number => round(Number(ns - t0Ns) / 1e9);
  return spans
    .map((s) => {
      const id = String(s.attributes['messaging.message.id']);
      const published = publishedAtMs.get(id);
      const publishedS = published === undefined ? null : round((published - t0Ms) / 1000);
      const startedS = seconds(s.endNs);
      return {
        id,
        worker: String(s.attributes['backlog.worker_id']),
        attempt: Number(s.attributes['backlog.delivery_attempt']),
        priority: Number(s.attributes['backlog.priority']),
        dispatchedS: seconds(s.startNs),
        startedS,
        backlogS: round(Number(s.endNs - s.startNs) / 1e9),
        publishedS,
        waitS: publishedS === null ? null : round(startedS - publishedS),
      };
    })
    .sort((a, b) => a.startedS - b.startedS);
}

/** Records from the workers' `message processed` debug lines (they need LOG_LEVEL=debug). */
export function messageRecordsFromLogs(workers: readonly { id: string; logs: readonly LogRecord[] }[], t0Ms: number, publishedAtMs: ReadonlyMap<string, number>): MessageRecord[] {
  const t0Ns = BigInt(Math.round(t0Ms * 1000)) * 1000n;
  const seconds = (ns: bigint): number => round(Number(ns - t0Ns) / 1e9);
  const records: MessageRecord[] = [];
  for (const w of workers) {
    for (const r of w.logs) {
      if (r.msg !== 'message processed' || typeof r.started_at_unix_nano !== 'string' || typeof r.dispatched_at_unix_nano !== 'string') continue;
      const id = String(r.message_id);
      const dispatched = BigInt(r.dispatched_at_unix_nano);
      const started = BigInt(r.started_at_unix_nano);
      const published = publishedAtMs.get(id);
      const publishedS = published === undefined ? null : round((published - t0Ms) / 1000);
      const startedS = seconds(started);
      records.push({
        id,
        worker: w.id,
        attempt: Number(r.attempt),
        priority: Number(r.priority),
        dispatchedS: seconds(dispatched),
        startedS,
        backlogS: round(Number(started - dispatched) / 1e9),
        publishedS,
        waitS: publishedS === null ? null : round(startedS - publishedS),
      });
    }
  }
  return records.sort((a, b) => a.startedS - b.startedS);
}

/**
 * Deliveries in transit at time t (seconds): dispatched at or before t and
 * started after it. (A delivery never started has no span, so it is not here.)
 */
export function inTransitAt(records: readonly MessageRecord[], t: number): MessageRecord[] {
  return records.filter((m) => m.dispatchedS <= t && m.startedS > t);
}
