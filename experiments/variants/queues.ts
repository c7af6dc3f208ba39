/**
 * The queue behind the sidecar. Each entry names the sidecar environment it
 * needs and, if it has one, a broker startLab gets before the first sidecar
 * (through the harness) and lets go of after the last.
 *
 * RabbitMQ: one node for the whole runner process (a start costs ~6 s on
 * the project's machine, and a node per scenario run would add minutes),
 * started on first use, with a queue of its own for each run, deleted when
 * the run ends; stopBrokers() stops the node when the runner is done (the
 * harness also kills it if the process dies).
 */
import { startRabbitMq, type QueueCounts, type RabbitMqServer } from '@backlog-lab/harness/rabbitmq-server';
import type { Env } from '../lib/lab.ts';

/** A broker queue one scenario run uses: where the sidecars find it, what the broker reports of it, and letting go of it. */
export interface BrokerHandle {
  readonly url: string;
  /** The run's own queue (QUEUE_NAME). */
  readonly queueName: string;
  /** What the broker itself reports for the queue (its management API); undefined until it has counted. */
  counts(): Promise<QueueCounts | undefined>;
  stop(): Promise<void>;
}

export interface QueueSpec {
  readonly id: string;
  /** For the report: what the sidecar takes its messages from. */
  readonly title: string;
  /** A broker queue for one scenario run, if the queue has a broker. */
  startBroker?(): Promise<BrokerHandle>;
  /** The sidecar's environment for this queue; `broker` is what startBroker gave, if anything. */
  sidecarEnv(broker: BrokerHandle | undefined): Env;
}

let rabbitNode: Promise<RabbitMqServer> | undefined;
let runs = 0;

/** The runner's RabbitMQ node, started on first use; if the start fails, the next run tries again. */
function rabbitMq(): Promise<RabbitMqServer> {
  rabbitNode ??= startRabbitMq().catch((error: unknown) => {
    rabbitNode = undefined;
    throw error;
  });
  return rabbitNode;
}

/** Stops the brokers the runner started (at its end). */
export async function stopBrokers(): Promise<void> {
  const node = rabbitNode;
  rabbitNode = undefined;
  if (node) await (await node.catch(() => undefined))?.stop();
}

const rabbitmq: QueueSpec = {
  id: 'rabbitmq',
  title: 'a RabbitMQ queue (a classic priority queue on a node the runner starts, Debian\'s rabbitmq-server), the sidecar one consumer of it with QUEUE_PREFETCH 500 unless a scenario says otherwise, stream mode acking upstream on dispatch',
  async startBroker() {
    const node = await rabbitMq();
    const queueName = `run-${process.pid}-${++runs}`;
    return {
      url: node.url,
      queueName,
      counts: () => node.queueCounts(queueName),
      async stop() {
        // What a run left behind (a lost stream's acks, say) must not reach the next one.
        await node.management(`/api/queues/%2F/${encodeURIComponent(queueName)}`, { method: 'DELETE' }).catch(() => undefined);
      },
    };
  },
  sidecarEnv(broker) {
    if (!broker) throw new Error('the rabbitmq queue needs its broker');
    return { QUEUE: 'rabbitmq', QUEUE_URL: broker.url, QUEUE_NAME: broker.queueName };
  },
};

export const QUEUES = {
  // The sidecar's default queue, so it needs no setting.
  memory: { id: 'memory', title: 'the sidecar\'s own in-memory priority queue', sidecarEnv: () => ({}) },
  rabbitmq,
} as const satisfies Readonly<Record<string, QueueSpec>>;

export type QueueId = keyof typeof QUEUES;
export const QUEUE_IDS: readonly QueueId[] = Object.values(QUEUES).map((q) => q.id as QueueId);
/** What `--queue` means when not given: the queues that need nothing but the sidecar. */
export const DEFAULT_QUEUE_IDS: readonly QueueId[] = ['memory'];
