/**
 * The queue behind the sidecar. Each entry names the sidecar environment it
 * needs and, if it has one, a broker startLab starts before the sidecar
 * (through the harness) and stops after it.
 */
import type { Env } from '../lib/lab.ts';

/** A running broker: where the sidecar finds it, and how to stop it. */
export interface BrokerHandle {
  readonly url: string;
  stop(): Promise<void>;
}

export interface QueueSpec {
  readonly id: string;
  /** For the report: what the sidecar takes its messages from. */
  readonly title: string;
  /** Starts a broker of its own for one scenario run, if the queue has one. */
  startBroker?(): Promise<BrokerHandle>;
  /** The sidecar's environment for this queue; `brokerUrl` is the broker startLab started, if any. */
  sidecarEnv(brokerUrl: string | undefined): Env;
}

export const QUEUES = {
  // The sidecar's default queue, so it needs no setting.
  memory: { id: 'memory', title: 'the sidecar\'s own in-memory priority queue', sidecarEnv: () => ({}) },
} as const satisfies Readonly<Record<string, QueueSpec>>;

export type QueueId = keyof typeof QUEUES;
export const QUEUE_IDS: readonly QueueId[] = Object.values(QUEUES).map((q) => q.id);
