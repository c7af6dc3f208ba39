/**
 * The sidecar with RabbitMQ behind it, for tests: one harness broker per
 * test file, a queue of its own per test, and what both sides report. The
 * broker's own counts come from its management API (refreshed every 500 ms
 * in the harness's node), the sidecar's from Stats.
 */
import type { StatsResponse__Output } from '@backlog-lab/common/contract';
import { waitFor, type AdminClient } from '@backlog-lab/harness/admin-client';
import type { QueueCounts, RabbitMqServer } from '@backlog-lab/harness/rabbitmq-server';

type Env = Readonly<Record<string, string | number | undefined>>;

let queues = 0;
/** A queue name no other test of this process uses. */
export const freshQueue = (what: string): string => `${what}-${process.pid}-${++queues}`;

/** The sidecar's environment for a RabbitMQ queue on `broker`. */
export function rabbitEnv(broker: RabbitMqServer, queueName: string, env: Env = {}): Env {
  return { QUEUE: 'rabbitmq', QUEUE_URL: broker.url, QUEUE_NAME: queueName, ...env };
}

/** Waits until the sidecar consumes from the broker (Stats upstream.connected). */
export async function untilConsuming(admin: AdminClient, timeoutMs = 30_000): Promise<StatsResponse__Output> {
  return waitFor('the sidecar to consume from RabbitMQ', async () => {
    const stats = await admin.stats().catch(() => undefined);
    return stats?.upstream?.connected ? stats : undefined;
  }, timeoutMs, 50);
}

/** Waits until the broker's counts for `name` satisfy `check`; the error says what it saw last. */
export async function untilBroker(broker: RabbitMqServer, name: string, what: string, check: (counts: QueueCounts) => boolean, timeoutMs = 20_000): Promise<QueueCounts> {
  let last: QueueCounts | undefined;
  try {
    return await waitFor(`the broker to report ${what} for ${name}`, async () => {
      last = await broker.queueCounts(name);
      return last !== undefined && check(last) ? last : undefined;
    }, timeoutMs, 100);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen ${JSON.stringify(last)}`, { cause: error });
  }
}

/** Ids processed by any of these workers, each as often as it was processed. */
export function processedBy(workers: readonly { processedIds(): string[] }[]): string[] {
  return workers.flatMap((w) => w.processedIds());
}

/** Ids that appear more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) twice.add(id);
    seen.add(id);
  }
  return [...twice];
}

/** Sorted and without repeats: for comparing what was processed with what was published. */
export const distinctSorted = (ids: readonly string[]): string[] => [...new Set(ids)].sort();
