/**
 * The bench's client for Publish and Stats, against the sidecar or the
 * baseline server (both serve the same proto). Publish batches are encoded
 * once and sent as bytes, so the bench process spends next to no CPU while a
 * run is being timed: encoding a million messages would otherwise compete
 * with the processes under test for the machine's two cores.
 */
import * as grpc from '@grpc/grpc-js';
import { loadContract, type QueueClient, type StatsResponse__Output } from '@backlog-lab/common/contract';

/** Messages per Publish RPC: about 1 MiB with 100-byte payloads. */
export const PUBLISH_BATCH = 10_000;

export interface QueueRpc {
  /** Publishes `count` messages of `payloadBytes` (ids assigned by the server), in batches of PUBLISH_BATCH. */
  publish(count: number, payloadBytes: number): Promise<void>;
  stats(): Promise<StatsResponse__Output>;
  close(): void;
}

const encoded = new Map<string, Buffer>();

/** One Publish request of `count` messages, encoded once per size and reused. */
function publishRequest(count: number, payloadBytes: number): Buffer {
  const key = `${count}x${payloadBytes}`;
  let bytes = encoded.get(key);
  if (!bytes) {
    const payload = Buffer.alloc(payloadBytes, 0x61);
    const messages = Array.from({ length: count }, () => ({ id: '', priority: 1, payload }));
    bytes = loadContract().Queue.service.Publish.requestSerialize({ messages });
    encoded.set(key, bytes);
  }
  return bytes;
}

export function createQueueRpc(address: string): QueueRpc {
  const { Queue } = loadContract();
  const client: QueueClient = new Queue(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 4 * 1024 * 1024,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
  });
  const send = (request: Buffer): Promise<void> => new Promise((resolve, reject) => {
    // The response (the assigned ids) is not decoded: the bench does not need them.
    client.makeUnaryRequest('/backlog.v1.Queue/Publish', (b: Buffer) => b, (b: Buffer) => b.length, request, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  return {
    async publish(count, payloadBytes) {
      for (let sent = 0; sent < count; sent += PUBLISH_BATCH) {
        await send(publishRequest(Math.min(PUBLISH_BATCH, count - sent), payloadBytes));
      }
    },
    stats: () => new Promise((resolve, reject) => {
      client.Stats({}, (error, response) => {
        if (error || !response) reject(error ?? new Error('empty Stats response'));
        else resolve(response);
      });
    }),
    close: () => { client.close(); },
  };
}

export function connectedWorkers(stats: StatsResponse__Output, workerIds: readonly string[]): number {
  return stats.workers.filter((w) => w.connected && workerIds.includes(w.workerId)).length;
}

/** Polls `check` every `intervalMs` until it returns a value, or throws after `timeoutMs`. */
export async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
