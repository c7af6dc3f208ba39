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
  /** Address /metrics binds; the gRPC host unless set. */
  readonly metricsHost: string;
  /** Built-in producer: messages per second, 0 = off. */
  readonly producerRate: number;
  /** Built-in producer: rate during its peaks (0 = none), how long a peak lasts, how often one starts. */
  readonly producerPeakRate: number;
  readonly producerPeakMs: number;
  readonly producerPeriodMs: number;
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
  /** `credit`: an unacked delivery is requeued after this long. */
  readonly ackDeadlineMs: number;
  /** `poll`: a pulled message's lease; the worker extends it while it works, and a lapsed one is requeued. */
  readonly pollLeaseMs: number;
  /** `stream`: receipts still count this long after their stream ended; then the rest is lost. */
  readonly receiptGraceMs: number;
  /** `poll`: with nothing pending, a poll worker counts as connected this long after its last request. */
  readonly pollPresenceMs: number;
  /** `poll`: Pulls that may wait at once, per worker id and in all. */
  readonly maxPendingPullsPerWorker: number;
  readonly maxPendingPulls: number;
  /** Publish: most messages, and most payload bytes in all, per call. */
  readonly maxPublishMessages: number;
  readonly maxPublishBytes: number;
  /** A worker gone this long with nothing in flight is forgotten, with its metric series. */
  readonly workerTtlMs: number;
  /** Most worker ids known at once; a new one beyond is refused. */
  readonly maxWorkers: number;
  /** Publish answers RESOURCE_EXHAUSTED rather than queue more than this. */
  readonly maxQueued: number;
  /** Publish answers RESOURCE_EXHAUSTED rather than queue more payload bytes than this. */
  readonly maxQueuedBytes: number;
  /** A call with no request message after this long (a Consume without its Hello) is ended. */
  readonly firstMessageTimeoutMs: number;
  /** Open TCP connections to the gRPC port; one more is closed at once. */
  readonly maxConnections: number;
  /** Concurrent calls per connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams: number;
  /** A connection with no call for this long is closed (`grpc.max_connection_idle_ms`). */
  readonly connectionIdleMs: number;
  /**
   * PEM certificate chain and key; when set, the gRPC port serves TLS instead
   * of plaintext. With a client CA, clients must present a certificate it
   * signed (mutual TLS), and a worker's id must be one of its names; with
   * admin names, only those may call Publish and Stats.
   */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa: Buffer | undefined; readonly adminNames: readonly string[] } | undefined;
  /** A plaintext port serving only grpc.health.v1, for probes that cannot present a certificate; unset: none. */
  readonly healthPort: number | undefined;
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
  /** File descriptor to announce readiness on (the lab's harness); unset: none. */
  readonly readyFd: number | undefined;
  /** The queue behind the sidecar (QUEUE, QUEUE_URL, QUEUE_NAME, QUEUE_PREFETCH, STREAM_UPSTREAM_ACK). */
  readonly queue: QueueConfig;
}

const HOST = { pattern: /^[\w.:[\]-]+$/, describe: 'a host name or IP address' };

/** Payload bytes one Publish may carry: gRPC's message limit less room for the other fields. */
const MAX_PUBLISH_PAYLOAD_BYTES = MAX_GRPC_MESSAGE_BYTES - 64 * 1024;

export function loadSidecarConfig(env: Readonly<Record<string, string | undefined>>): SidecarConfig {
  const read = createEnvReader(env);
  const maxPayloadBytes = read.int('MAX_PAYLOAD_BYTES', { default: 1024 * 1024, min: 0, max: MAX_PUBLISH_PAYLOAD_BYTES });
  const grpcHost = read.string('SIDECAR_GRPC_HOST', '0.0.0.0', HOST);
  const config: SidecarConfig = {
    grpcPort: read.int('SIDECAR_GRPC_PORT', { default: 50051, min: 0, max: 65535 }),
    grpcHost,
    metricsPort: read.int('SIDECAR_METRICS_PORT', { default: 9464, min: 0, max: 65535 }),
    metricsHost: read.string('SIDECAR_METRICS_HOST', grpcHost, HOST),
    producerRate: read.number('PRODUCER_RATE', { default: 0, min: 0, max: 100_000 }),
    producerPeakRate: read.number('PRODUCER_PEAK_RATE', { default: 0, min: 0, max: 100_000 }),
    producerPeakMs: read.int('PRODUCER_PEAK_MS', { default: 60_000, min: 1_000, max: 86_400_000 }),
    producerPeriodMs: read.int('PRODUCER_PERIOD_MS', { default: 120_000, min: 1_000, max: 86_400_000 }),
    producerBurst: read.int('PRODUCER_BURST', { default: 0, min: 0, max: 10_000_000 }),
    payloadBytes: read.int('PAYLOAD_BYTES', { default: 100, min: 0, max: maxPayloadBytes }),
    highPriorityRatio: read.number('HIGH_PRIORITY_RATIO', { default: 0, min: 0, max: 1 }),
    maxPayloadBytes,
    maxPrefetch: read.int('MAX_PREFETCH', { default: 1000, min: 1, max: 100_000 }),
    longPollMaxMs: read.int('LONG_POLL_MAX_MS', { default: 30_000, min: 1, max: 600_000 }),
    ackDeadlineMs: read.int('ACK_DEADLINE_MS', { default: 30_000, min: 100, max: 3_600_000 }),
    pollLeaseMs: read.int('POLL_LEASE_MS', { default: 1_000, min: 100, max: 600_000 }),
    receiptGraceMs: read.int('RECEIPT_GRACE_MS', { default: 3_000, min: 0, max: 60_000 }),
    pollPresenceMs: read.int('POLL_PRESENCE_MS', { default: 10_000, min: 100, max: 600_000 }),
    maxPendingPullsPerWorker: read.int('MAX_PENDING_PULLS_PER_WORKER', { default: 8, min: 1, max: 1_000 }),
    maxPendingPulls: read.int('MAX_PENDING_PULLS', { default: 10_000, min: 1, max: 1_000_000 }),
    maxPublishMessages: read.int('MAX_PUBLISH_MESSAGES', { default: 10_000, min: 1, max: 100_000 }),
    maxPublishBytes: read.int('MAX_PUBLISH_BYTES', { default: MAX_PUBLISH_PAYLOAD_BYTES, min: 0, max: MAX_PUBLISH_PAYLOAD_BYTES }),
    workerTtlMs: read.int('WORKER_TTL_MS', { default: 300_000, min: 1_000, max: 86_400_000 }),
    maxWorkers: read.int('MAX_WORKERS', { default: 10_000, min: 1, max: 1_000_000 }),
    maxQueued: read.int('MAX_QUEUED', { default: 2_000_000, min: 1, max: 50_000_000 }),
    maxQueuedBytes: read.int('MAX_QUEUED_BYTES', { default: 512 * 1024 * 1024, min: 0, max: 64 * 1024 ** 3 }),
    firstMessageTimeoutMs: read.int('FIRST_MESSAGE_TIMEOUT_MS', { default: 10_000, min: 100, max: 600_000 }),
    maxConnections: read.int('MAX_CONNECTIONS', { default: 512, min: 1, max: 100_000 }),
    maxConcurrentStreams: read.int('MAX_CONCURRENT_STREAMS', { default: 100, min: 1, max: 10_000 }),
    connectionIdleMs: read.int('CONNECTION_IDLE_MS', { default: 300_000, min: 1_000, max: 86_400_000 }),
    tls: tlsConfig(read.file('SIDECAR_TLS_CERT_FILE'), read.file('SIDECAR_TLS_KEY_FILE'), read.file('SIDECAR_TLS_CLIENT_CA_FILE'), read.string('SIDECAR_TLS_ADMIN_NAMES', '', { pattern: /^[\x21-\x7e]*$/, describe: 'a comma-separated list of certificate names' })),
    healthPort: read.optionalInt('SIDECAR_HEALTH_PORT', { min: 0, max: 65_535 }),
    maxConnectionAgeMs: read.int('MAX_CONNECTION_AGE_MS', { default: 0, min: 0, max: 86_400_000 }),
    maxConnectionAgeGraceMs: read.int('MAX_CONNECTION_AGE_GRACE_MS', { default: 0, min: 0, max: 86_400_000 }),
    drainMs: read.int('SIDECAR_DRAIN_MS', { default: 5_000, min: 0, max: 600_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    readyFd: read.optionalInt('READY_FD', { min: 3, max: 65_535 }),
    queue: readQueueConfig(read),
  };
  read.requireTogether(['SIDECAR_TLS_CERT_FILE', 'SIDECAR_TLS_KEY_FILE']);
  if (config.producerPeakMs > config.producerPeriodMs) read.problem(`PRODUCER_PEAK_MS (${config.producerPeakMs}) must not exceed PRODUCER_PERIOD_MS (${config.producerPeriodMs})`);
  if (!config.tls && (env.SIDECAR_TLS_CLIENT_CA_FILE ?? '').trim() !== '') read.problem('SIDECAR_TLS_CLIENT_CA_FILE needs SIDECAR_TLS_CERT_FILE and SIDECAR_TLS_KEY_FILE: mutual TLS is TLS first');
  if (config.tls && config.tls.adminNames.length > 0 && !config.tls.clientCa) read.problem('SIDECAR_TLS_ADMIN_NAMES needs SIDECAR_TLS_CLIENT_CA_FILE: names come from client certificates');
  // Read by the telemetry SDK, which starts before this (packages/common/src/telemetry-sdk.ts); checked here like every other variable.
  read.oneOf('TRACE_MESSAGE_RPCS', ['false', 'true'], 'false');
  read.done();
  return Object.freeze(config);
}

function tlsConfig(cert: Buffer | undefined, key: Buffer | undefined, clientCa: Buffer | undefined, adminNames: string): SidecarConfig['tls'] {
  if (!cert || !key) return undefined;
  return { cert, key, clientCa, adminNames: adminNames.split(',').map((n) => n.trim()).filter((n) => n !== '') };
}
