/**
 * The worker's configuration: read once from the environment, validated,
 * frozen. Bad values stop the process with status 2 (see common/env.ts).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createEnvReader } from '@backlog-lab/common/env';
import { ID_RULE, isValidId } from '@backlog-lab/common/identifiers';
import { LOG_LEVELS, type LogLevel } from '@backlog-lab/common/logger';
import { DELIVERY_MODES, type DeliveryMode } from '@backlog-lab/common/modes';

export interface WorkerConfig {
  readonly mode: DeliveryMode;
  /** host:port of the sidecar's gRPC server. */
  readonly sidecarAddress: string;
  /** Same value as the sidecar's worker_id label; unique per replica. */
  readonly workerId: string;
  /** Simulated work per message (the "tax service" takes about 100 ms). */
  readonly processingDelayMs: number;
  /** Up to this much extra delay, uniformly random, per message. */
  readonly processingJitterMs: number;
  /** `credit` mode: messages the sidecar may have outstanding to this worker. */
  readonly prefetch: number;
  /** `poll` mode: how long one Pull waits for a message. */
  readonly pollTimeoutMs: number;
  /**
   * HTTP/2 stream window the worker's channel advertises, in bytes (grpc-js
   * option `grpc-node.flow_control_window`); 0 keeps grpc-js's default.
   */
  readonly flowControlWindow: number;
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** gRPC health service (SERVING while connected to the sidecar); 0 = any free port. */
  readonly healthPort: number;
  readonly healthHost: string;
  /** PEM of the CA that signed the sidecar's certificate; when set, the worker connects with TLS. */
  readonly tlsCa: Buffer | undefined;
  /** PEM certificate and key the worker presents when the sidecar asks for one (mutual TLS). */
  readonly tlsClient: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** Shutdown: how long to wait for the message in hand and the hand-back. */
  readonly drainMs: number;
  readonly logLevel: LogLevel;
  /** File descriptor to announce readiness on (the lab's harness); unset: none. */
  readonly readyFd: number | undefined;
}

const HOST = { pattern: /^[\w.:[\]-]+$/, describe: 'a host name or IP address' };

function pair(cert: Buffer | undefined, key: Buffer | undefined): WorkerConfig['tlsClient'] {
  return cert && key ? { cert, key } : undefined;
}

export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>>, pid = process.pid): WorkerConfig {
  const read = createEnvReader(env);
  const config: WorkerConfig = {
    mode: read.oneOf('DELIVERY_MODE', DELIVERY_MODES, 'stream'),
    sidecarAddress: read.string('SIDECAR_ADDRESS', 'localhost:50051', { pattern: /^[\w.-]+:\d{1,5}$|^\[[\da-fA-F:]+\]:\d{1,5}$/, describe: 'host:port' }),
    // hostname-pid plus a random suffix: a restarted container keeps its
    // hostname and pid 1, and must not inherit its predecessor's counts.
    workerId: read.string('WORKER_ID', `${hostname()}-${pid}-${randomBytes(2).toString('hex')}`, { test: isValidId, describe: ID_RULE }),
    processingDelayMs: read.int('PROCESSING_DELAY_MS', { default: 100, min: 0, max: 3_600_000 }),
    processingJitterMs: read.int('PROCESSING_JITTER_MS', { default: 0, min: 0, max: 3_600_000 }),
    prefetch: read.int('PREFETCH', { default: 1, min: 1, max: 100_000 }),
    pollTimeoutMs: read.int('POLL_TIMEOUT_MS', { default: 10_000, min: 1, max: 600_000 }),
    flowControlWindow: read.int('FLOW_CONTROL_WINDOW', { default: 0, min: 0, max: 2 ** 31 - 1 }),
    metricsPort: read.int('WORKER_METRICS_PORT', { default: 9464, min: 0, max: 65535 }),
    metricsHost: read.string('WORKER_METRICS_HOST', '0.0.0.0', HOST),
    healthPort: read.int('WORKER_HEALTH_PORT', { default: 50052, min: 0, max: 65535 }),
    healthHost: read.string('WORKER_HEALTH_HOST', '0.0.0.0', HOST),
    tlsCa: read.file('SIDECAR_TLS_CA_FILE'),
    tlsClient: pair(read.file('WORKER_TLS_CERT_FILE'), read.file('WORKER_TLS_KEY_FILE')),
    drainMs: read.int('WORKER_DRAIN_MS', { default: 10_000, min: 0, max: 600_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    readyFd: read.optionalInt('READY_FD', { min: 3, max: 65_535 }),
  };
  read.requireTogether(['WORKER_TLS_CERT_FILE', 'WORKER_TLS_KEY_FILE']);
  if (config.tlsClient && !config.tlsCa) read.problem('WORKER_TLS_CERT_FILE needs SIDECAR_TLS_CA_FILE: a client certificate is only sent over TLS');
  // Read by the telemetry SDK, which starts before this (packages/common/src/telemetry-sdk.ts); checked here like every other variable.
  read.oneOf('TRACE_MESSAGE_RPCS', ['false', 'true'], 'false');
  read.done();
  return Object.freeze(config);
}
