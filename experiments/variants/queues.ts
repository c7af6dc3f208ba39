/**
 * The queue behind the sidecar. Each entry names the sidecar environment it
 * needs and, if it has one, a broker startLab starts before the sidecar (on
 * a free port, ready once that port accepts connections) and stops after it.
 *
 * Adding RabbitMQ is one entry, along the lines of:
 *   'rabbitmq': {
 *     id: 'rabbitmq', title: 'a RabbitMQ priority queue the sidecar consumes',
 *     broker: {
 *       command: (port) => ({ argv: ['rabbitmq-server'], env: { RABBITMQ_NODE_PORT: port, ... } }),
 *       url: (port) => `amqp://guest:guest@127.0.0.1:${port}`,
 *     },
 *     sidecarEnv: (url) => ({ QUEUE: 'rabbitmq', RABBITMQ_URL: url }),
 *   },
 */
import type { Env } from '../lib/lab.ts';

export interface BrokerProgram {
  /** Its command line and environment when it is to listen on `port`. */
  command(port: number): { readonly argv: readonly string[]; readonly env: Env };
  /** Where the sidecar finds it. */
  url(port: number): string;
}

export interface QueueSpec {
  readonly id: string;
  /** For the report: what the sidecar takes its messages from. */
  readonly title: string;
  readonly broker?: BrokerProgram;
  /** The sidecar's environment for this queue; `brokerUrl` is the broker startLab started, if any. */
  sidecarEnv(brokerUrl: string | undefined): Env;
}

export const QUEUES = {
  // The sidecar's default queue, so it needs no setting.
  memory: { id: 'memory', title: 'the sidecar\'s own in-memory priority queue', sidecarEnv: () => ({}) },
} as const satisfies Readonly<Record<string, QueueSpec>>;

export type QueueId = keyof typeof QUEUES;
export const QUEUE_IDS: readonly QueueId[] = Object.values(QUEUES).map((q) => q.id);
