/**
 * The bench's client for Publish and Stats, against the sidecar or the
 * baseline server (both serve the same proto). Publish batches are encoded
 * once and sent as bytes, so the bench process spends next to no CPU while a
 * run is being timed: encoding a million messages would otherwise compete
 * with the processes under test for the machine's two cores.
 */
import { loadContract, type StatsResponse__Output } from '@backlog-lab/common/contract';
import { createAdminClient } from '@backlog-lab/harness/admin-client';

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
  const admin = createAdminClient(address);
  const send = (request: Buffer): Promise<void> => new Promise((resolve, reject) => {
    // The response (the assigned ids) is not decoded: the bench does not need them.
    admin.raw.makeUnaryRequest('/backlog.v1.Queue/Publish', (b: Buffer) => b, (b: Buffer) => b.length, request, (error) => {
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
    stats: () => admin.stats(),
    close: () => { admin.close(); },
  };
}

export function connectedWorkers(stats: StatsResponse__Output, workerIds: readonly string[]): number {
  return stats.workers.filter((w) => w.connected && workerIds.includes(w.workerId)).length;
}
