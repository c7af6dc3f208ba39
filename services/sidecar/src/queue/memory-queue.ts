/**
 * The `memory` queue: the sidecar's own priority queue, the lab's default.
 * Nothing survives a sidecar restart; nothing is slower than a method call.
 */
import { nowUnixNano } from '@backlog-lab/common/clock';
import { PRIORITY_LEVELS } from '@backlog-lab/common/priority';
import type { NewMessage, QueuedMessage } from './message.ts';
import { PriorityQueue } from './priority-queue.ts';
import type { MessageQueue, UpstreamStats } from './queue.ts';

export function createMemoryQueue(): MessageQueue {
  const queue = new PriorityQueue<QueuedMessage>(PRIORITY_LEVELS);
  /** Ids queued here, so Publish can refuse one that is taken. */
  const ids = new Set<string>();
  const listeners: (() => void)[] = [];
  let seq = 0;
  let bytes = 0;
  const available = (): void => {
    for (const listener of listeners) listener();
  };
  return {
    kind: 'memory',
    start: () => Promise.resolve(),
    fatal: new Promise<never>(() => undefined),
    close: () => Promise.resolve(),
    isReady: () => true,
    publish(batch: readonly NewMessage[]) {
      const now = nowUnixNano();
      // The messages of a batch share their publish time.
      const publishedAtUnixNano = Number(now);
      const publishedAtMs = Number(now / 1_000_000n);
      for (const m of batch) {
        ids.add(m.id);
        bytes += m.payload.length;
        queue.push(m.priority, {
          id: m.id,
          priority: m.priority,
          payload: m.payload,
          publishedAtUnixNano,
          publishedAtMs,
          seq: seq++,
          enqueuedAtUnixNano: now,
          attempts: 0,
          firstTraceContext: undefined,
        });
      }
      available();
      return Promise.resolve();
    },
    take() {
      const message = queue.shift();
      if (message) {
        ids.delete(message.id);
        bytes -= message.payload.length;
      }
      return message;
    },
    has: (id) => ids.has(id),
    get size() {
      return queue.size;
    },
    get bytes() {
      return bytes;
    },
    depth: (priority) => queue.depth(priority),
    oldestPublishedAtMs() {
      let oldest: number | undefined;
      for (let p = 0; p < PRIORITY_LEVELS; p++) {
        const head = queue.peek(p);
        if (head && (oldest === undefined || head.publishedAtMs < oldest)) oldest = head.publishedAtMs;
      }
      return oldest;
    },
    ack: () => undefined,
    requeue(messages) {
      const now = nowUnixNano();
      const byLevel = new Map<number, QueuedMessage[]>();
      for (const m of messages) {
        m.enqueuedAtUnixNano = now;
        ids.add(m.id);
        bytes += m.payload.length;
        const level = byLevel.get(m.priority);
        if (level) level.push(m);
        else byLevel.set(m.priority, [m]);
      }
      for (const [level, items] of byLevel) queue.putBack(level, items);
      if (messages.length > 0) available();
    },
    drop: () => undefined,
    upstream(): UpstreamStats {
      return { kind: 'memory', ready: queue.size, unacked: 0, connected: true };
    },
    onAvailable(listener) {
      listeners.push(listener);
    },
  };
}
