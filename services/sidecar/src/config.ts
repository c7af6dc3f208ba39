/**
 * The sidecar's configuration: read once from the environment, validated,
 * frozen. Bad values stop the process with status 2 (see common/env.ts).
 */
import { createEnvReader, MAX_GRPC_MESSAGE_BYTES } from '@backlog-lab/common/env';
import { LOG_LEVELS, type LogLevel } from '@backlog-lab/common/logger';
import { readQueueConfig, type QueueConfig } from './queue/queue-config.ts';

export interface SidecarConfig {
  /** gRPC listen port; 0 picks a free one (tests). */
  readonly grpcPort: number;
  readonly grpcHost: string;
  /** Prometheus /metrics port; 0 picks a free one. */
  readonly metricsPort: number;
  /** Built-in producer: messages per second, 0 = off. */
  readonly producerRate: number;
  /** Built-in producer: messages published at start-up. */
  readonly producerBurst: number;
  /** Built-in producer: payload size of each message. */
  readonly payloadBytes: number;
  /** Built-in producer: share of messages published at high priority. */
  readonly highPriorityRatio: number;
  /** Largest payload Publish accepts. */
  readonly maxPayloadBytes: number;
  /** Largest prefetch a `credit` worker may ask for. */
  readonly maxPrefetch: number;
  /** Longest a Pull may wait for a message. */
  readonly longPollMaxMs: number;
  /** `credit`/`poll`: an unacked message is requeued after this long. */
  readonly ackDeadlineMs: number;
  /** Publish answers RESOURCE_EXHAUSTED rather than queue more than this. */
  readonly maxQueued: number;
  /** A Consume stream that has not said hello after this long is closed. */
  readonly helloTimeoutMs: number;
  /** PEM certificate chain and key; when set, the gRPC port serves TLS instead of plaintext. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /**
   * gRFC A9 `grpc.max_connection_age_ms`: after about this long (±10 %
   * jitter) a connection gets GOAWAY and takes no new calls; 0 = never.
   */
  readonly maxConnectionAgeMs: number;
  /** `grpc.max_connection_age_grace_ms`: then, after this long, the connection and its calls are cut; 0 = never. */
  readonly maxConnectionAgeGraceMs: number;
  /** Shutdown: how long to wait for RPCs to finish before forcing. */
  readonly drainMs: number;
  readonly logLevel: LogLevel;
  /** The queue behind the sidecar (QUEUE, QUEUE_URL, QUEUE_NAME, QUEUE_PREFETCH, STREAM_UPSTREAM_ACK). */
  readonly queue: QueueConfig;
}

export function loadSidecarConfig(env: Readonly<Record<string, string | undefined>>): SidecarConfig {
  const read = createEnvReader(env);
  const maxPayloadBytes = read.int('MAX_PAYLOAD_BYTES', { default: 1024 * 1024, min: 0, max: MAX_GRPC_MESSAGE_BYTES - 64 * 1024 });
  const config: SidecarConfig = {
    grpcPort: read.int('SIDECAR_GRPC_PORT', { default: 50051, min: 0, max: 65535 }),
    grpcHost: read.string('SIDECAR_GRPC_HOST', '0.0.0.0', { pattern: /^[\w.:[\]-]+$/, describe: 'a host name or IP address' }),
    metricsPort: read.int('SIDECAR_METRICS_PORT', { default: 9464, min: 0, max: 65535 }),
    producerRate: read.number('PRODUCER_RATE', { default: 0, min: 0, max: 100_000 }),
    producerBurst: read.int('PRODUCER_BURST', { default: 0, min: 0, max: 10_000_000 }),
    payloadBytes: read.int('PAYLOAD_BYTES', { default: 100, min: 0, max: maxPayloadBytes }),
    highPriorityRatio: read.number('HIGH_PRIORITY_RATIO', { default: 0, min: 0, max: 1 }),
    maxPayloadBytes,
    maxPrefetch: read.int('MAX_PREFETCH', { default: 1000, min: 1, max: 100_000 }),
    longPollMaxMs: read.int('LONG_POLL_MAX_MS', { default: 30_000, min: 1, max: 600_000 }),
    ackDeadlineMs: read.int('ACK_DEADLINE_MS', { default: 30_000, min: 100, max: 3_600_000 }),
    maxQueued: read.int('MAX_QUEUED', { default: 2_000_000, min: 1, max: 50_000_000 }),
    helloTimeoutMs: read.int('HELLO_TIMEOUT_MS', { default: 10_000, min: 100, max: 600_000 }),
    tls: tlsPair(read.file('SIDECAR_TLS_CERT_FILE'), read.file('SIDECAR_TLS_KEY_FILE')),
    maxConnectionAgeMs: read.int('MAX_CONNECTION_AGE_MS', { default: 0, min: 0, max: 86_400_000 }),
    maxConnectionAgeGraceMs: read.int('MAX_CONNECTION_AGE_GRACE_MS', { default: 0, min: 0, max: 86_400_000 }),
    drainMs: read.int('SIDECAR_DRAIN_MS', { default: 5_000, min: 0, max: 600_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    queue: readQueueConfig(read),
  };
  read.requireTogether(['SIDECAR_TLS_CERT_FILE', 'SIDECAR_TLS_KEY_FILE']);
  read.done();
  return Object.freeze(config);
}

function tlsPair(cert: Buffer | undefined, key: Buffer | undefined): SidecarConfig['tls'] {
  return cert && key ? { cert, key } : undefined;
}
