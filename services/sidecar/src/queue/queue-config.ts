/**
 * Which queue sits behind the sidecar, and its settings: the QUEUE_*
 * variables and STREAM_UPSTREAM_ACK, read by the sidecar's config.ts
 * (`queue: readQueueConfig(read)`), and createQueue() to build the queue from
 * them. docs/rabbitmq.md describes each setting.
 */
import type { EnvReader } from '@backlog-lab/common/env';
import type { Logger } from '@backlog-lab/common/logger';
import { checkAmqpUrl } from './amqp-url.ts';
import { createMemoryQueue } from './memory-queue.ts';
import { QUEUE_KINDS, type MessageQueue, type QueueKind } from './queue.ts';
import { createRabbitMqQueue } from './rabbitmq-queue.ts';

/**
 * Stream mode only (credit and poll ack upstream when the worker acks):
 * - dispatch: ack upstream when the message is written to a stream. The
 *   broker forgets it at once; what a dead stream had in transit is lost.
 * - receipt: ack upstream when the worker's receipt arrives. The broker
 *   holds every message in transit as unacked (bounded by QUEUE_PREFETCH)
 *   and redelivers it if the sidecar dies.
 */
export const STREAM_UPSTREAM_ACKS = ['dispatch', 'receipt'] as const;
export type StreamUpstreamAck = (typeof STREAM_UPSTREAM_ACKS)[number];

export interface QueueConfig {
  readonly kind: QueueKind;
  /** rabbitmq: the broker, amqp:// or amqps://, user and password included. Never log it: use redactUrl() (amqp-url.ts). */
  readonly url: string;
  /** rabbitmq: the queue to declare and consume. */
  readonly name: string;
  /** rabbitmq: the sidecar's own basic.qos: messages it may hold unacked upstream. */
  readonly prefetch: number;
  /**
   * rabbitmq: false makes the sidecar a publisher only (Publish, the built-in
   * producer): it takes nothing from the queue, so a sidecar without workers
   * (the per-pod topology's producer) holds no messages hostage.
   */
  readonly consume: boolean;
  readonly streamUpstreamAck: StreamUpstreamAck;
}

export const DEFAULT_QUEUE_URL = 'amqp://guest:guest@localhost:5672';
export const DEFAULT_QUEUE_NAME = 'backlog-lab';
/** AMQP 0-9-1 queue names are short strings: at most 255 bytes. */
const MAX_QUEUE_NAME_BYTES = 255;

export function readQueueConfig(read: EnvReader): QueueConfig {
  const kind = read.oneOf('QUEUE', QUEUE_KINDS, 'memory');
  const url = read.string('QUEUE_URL', DEFAULT_QUEUE_URL);
  const urlProblem = checkAmqpUrl(url);
  if (urlProblem !== undefined) read.problem(`QUEUE_URL ${urlProblem}`);
  const name = read.string('QUEUE_NAME', DEFAULT_QUEUE_NAME, {
    // No control characters; `amq.` names are the broker's own (declaring one is refused).
    pattern: /^(?!amq\.)[^\p{C}]+$/u,
    describe: "printable characters, not starting with 'amq.'",
  });
  if (Buffer.byteLength(name) > MAX_QUEUE_NAME_BYTES) read.problem(`QUEUE_NAME must be at most ${MAX_QUEUE_NAME_BYTES} bytes, got ${Buffer.byteLength(name)}`);
  return {
    kind,
    url,
    name,
    prefetch: read.int('QUEUE_PREFETCH', { default: 500, min: 1, max: 65_535 }),
    consume: read.oneOf('QUEUE_CONSUME', ['true', 'false'] as const, 'true') === 'true',
    streamUpstreamAck: read.oneOf('STREAM_UPSTREAM_ACK', STREAM_UPSTREAM_ACKS, 'dispatch'),
  };
}

export function createQueue(config: QueueConfig, logger: Logger): MessageQueue {
  switch (config.kind) {
    case 'memory':
      return createMemoryQueue();
    case 'rabbitmq':
      return createRabbitMqQueue({ url: config.url, queueName: config.name, prefetch: config.prefetch, consume: config.consume }, logger);
  }
}
