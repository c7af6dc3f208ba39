/**
 * A promise-based client for the sidecar's admin RPCs (Publish, Stats,
 * Limits), used by the local lab, the tests, the bench and the experiment
 * runner; and the polling helpers they wait with.
 */
import * as grpc from '@grpc/grpc-js';
import { loadContract, type OutgoingMessage, type QueueClient, type StatsResponse__Output, type WorkerStats__Output } from '@backlog-lab/common/contract';
import type { LimitsResponse__Output } from '@backlog-lab/common/generated/backlog/v1/LimitsResponse';

export interface AdminClient {
  readonly raw: QueueClient;
  publish(messages: OutgoingMessage[]): Promise<string[]>;
  /** Publishes `count` messages of `payloadBytes` each at `priority`, in batches. */
  publishMany(count: number, options?: { priority?: number; payloadBytes?: number; idPrefix?: string }): Promise<string[]>;
  /** Stats with every page of workers. */
  stats(): Promise<StatsResponse__Output>;
  limits(): Promise<LimitsResponse__Output>;
  close(): void;
}

export function createAdminClient(address: string): AdminClient {
  const { Queue } = loadContract();
  const raw = new Queue(address, grpc.credentials.createInsecure());
  const publish = (messages: OutgoingMessage[]): Promise<string[]> => new Promise((resolve, reject) => {
    raw.Publish({ messages }, (error, response) => {
      if (error) reject(error);
      else resolve(response?.ids ?? []);
    });
  });
  return {
    raw,
    publish,
    async publishMany(count, { priority = 1, payloadBytes = 100, idPrefix } = {}) {
      const payload = Buffer.alloc(payloadBytes, 0x61);
      const ids: string[] = [];
      const batch = Math.max(1, Math.min(1000, Math.floor((3 * 1024 * 1024) / (payloadBytes + 64))));
      for (let start = 0; start < count; start += batch) {
        const n = Math.min(batch, count - start);
        const messages = Array.from({ length: n }, (_, i) => ({
          id: idPrefix === undefined ? '' : `${idPrefix}-${String(start + i).padStart(6, '0')}`,
          priority,
          payload,
        }));
        ids.push(...await publish(messages));
      }
      return ids;
    },
    async stats() {
      const page = (pageToken: string): Promise<StatsResponse__Output> => new Promise((resolve, reject) => {
        raw.Stats({ pageToken }, (error, response) => {
          if (error || !response) reject(error ?? new Error('empty Stats response'));
          else resolve(response);
        });
      });
      const first = await page('');
      for (let next = first.nextPageToken; next !== '';) {
        const more = await page(next);
        first.workers.push(...more.workers);
        next = more.nextPageToken;
      }
      first.nextPageToken = '';
      return first;
    },
    limits: () => new Promise((resolve, reject) => {
      raw.Limits({}, (error, response) => {
        if (error || !response) reject(error ?? new Error('empty Limits response'));
        else resolve(response);
      });
    }),
    close: () => { raw.close(); },
  };
}

/** The Stats entry for one worker, or a zeroed one if the sidecar has not seen it. */
export function workerStats(stats: StatsResponse__Output, workerId: string): WorkerStats__Output {
  return stats.workers.find((w) => w.workerId === workerId) ?? {
    workerId, mode: '', connected: false, dispatched: '0', acked: '0', inFlight: '0', requeued: '0', lost: '0', prefetch: 0, oldestInFlightPublishedAtUnixNano: '0',
  };
}

/** Polls until `check` returns a value other than undefined, or throws after the timeout. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls a count until it has held still for `quietMs` (a stream's window has
 * filled, dispatch has stopped), or throws after the timeout.
 */
export async function waitForSteady(what: string, read: () => Promise<number>, quietMs = 300, timeoutMs = 20_000): Promise<number> {
  let last = Number.NaN;
  let since = Date.now();
  return waitFor(`${what} to hold still for ${quietMs} ms`, async () => {
    const value = await read();
    if (value !== last) {
      last = value;
      since = Date.now();
      return undefined;
    }
    return Date.now() - since >= quietMs ? value : undefined;
  }, timeoutMs);
}
