/**
 * Wires one sidecar: the queue and the dispatcher, the delivery modes, the
 * admin RPCs, the producer, the gRPC server with the health service, and the
 * metrics endpoint. `main.ts` calls it with the environment's config; tests
 * call it in-process on port 0.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { loadContract, QUEUE_SERVICE_NAME, type QueueHandlers } from '@backlog-lab/common/contract';
import { MAX_GRPC_MESSAGE_BYTES } from '@backlog-lab/common/env';
import type { Logger } from '@backlog-lab/common/logger';
import { createMetricsServer, createRegistry, type MetricsRegistry } from '@backlog-lab/common/metrics-http';
import { createLimitsHandler } from './admin/limits.ts';
import { createPublishHandler } from './admin/publish.ts';
import { createStatsHandler, statsSnapshot } from './admin/stats.ts';
import type { SidecarConfig } from './config.ts';
import type { DeliveryMode } from './delivery/delivery-mode.ts';
import { DELIVERY_MODES } from './delivery/index.ts';
import { createCallGuard } from './delivery/server-calls.ts';
import { traceSend } from './message-tracing.ts';
import { createSidecarMetrics, type SidecarMetrics } from './metrics.ts';
import { createProducer } from './producer.ts';
import { Dispatcher, type DispatchEvents } from './queue/dispatcher.ts';
import { createQueue } from './queue/queue-config.ts';
import { createMessageIds } from './queue/message-ids.ts';
import type { MessageQueue } from './queue/queue.ts';
import { Workers } from './queue/workers.ts';
import { firstMessageTimeout } from './server/first-message-timeout.ts';
import { certificateNames } from './server/identity.ts';
import { createListener } from './server/listener.ts';

export interface Sidecar {
  readonly dispatcher: Dispatcher;
  readonly registry: MetricsRegistry;
  /** Rejects if the queue behind the sidecar cannot be used at all (a RabbitMQ queue declared with other arguments). */
  readonly fatal: Promise<never>;
  /** Binds the gRPC and metrics ports; resolves to the ports bound. */
  start(): Promise<{ grpcPort: number; metricsPort: number }>;
  /** Graceful shutdown: health NOT_SERVING, stop taking work, end streams, drain, force. */
  stop(): Promise<void>;
}

export interface SidecarDeps {
  /** The queue behind the sidecar; the in-memory one unless given. */
  readonly queue?: MessageQueue;
}

/**
 * Plaintext by default (a lab on one host or one pod network); TLS when a
 * certificate and key are configured; mutual TLS when a client CA is too.
 */
function serverCredentials(config: SidecarConfig): grpc.ServerCredentials {
  if (!config.tls) return grpc.ServerCredentials.createInsecure();
  const { cert, key, clientCa } = config.tls;
  return grpc.ServerCredentials.createSsl(clientCa ?? null, [{ cert_chain: cert, private_key: key }], clientCa !== undefined);
}

/** Server-side keepalive: a connection whose peer vanished without a FIN is found and closed within about this long. */
const KEEPALIVE_TIME_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 10_000;

/** How often forgotten workers are swept out, at most. */
const SWEEP_MS = 10_000;
/** How often health follows the queue's readiness (a broker connection that comes and goes). */
const QUEUE_HEALTH_MS = 500;

export function createSidecar(config: SidecarConfig, logger: Logger, deps: SidecarDeps = {}): Sidecar {
  const registry = createRegistry();
  const metrics = createSidecarMetrics(registry);
  const events: DispatchEvents = {
    dispatching(message, delivery, holder, queueWaitSeconds) {
      const send = traceSend(message, delivery, holder);
      metrics.dispatched(message.priority, queueWaitSeconds, send.traceId);
      return send.end;
    },
    requeued(message, holder, reason) {
      logger.debug('message requeued', { message_id: message.id, worker_id: holder.workerId, reason });
    },
  };
  const workers = new Workers({ ttlMs: config.workerTtlMs, maxWorkers: config.maxWorkers });
  const queue = deps.queue ?? createQueue(config.queue, logger);
  const dispatcher = new Dispatcher({ queue, workers, events });
  const mutualTls = config.tls?.clientCa !== undefined;
  // With mutual TLS every caller is someone; a call without a certificate proves no name.
  const guard = createCallGuard(dispatcher, metrics, mutualTls ? (call) => certificateNames(call) ?? [] : () => undefined);
  const modes: DeliveryMode[] = DELIVERY_MODES.map((create) => create({ dispatcher, config, logger, metrics, guard }));
  metrics.observe(dispatcher, modes.map((m) => m.name));
  const ids = createMessageIds();
  const producer = createProducer(dispatcher, ids, {
    rate: config.producerRate,
    peakRate: config.producerPeakRate,
    peakMs: config.producerPeakMs,
    periodMs: config.producerPeriodMs,
    burst: config.producerBurst,
    payloadBytes: config.payloadBytes,
    highPriorityRatio: config.highPriorityRatio,
  }, logger);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [QUEUE_SERVICE_NAME]: 'NOT_SERVING' });

  const firstMessage = firstMessageTimeout(config.firstMessageTimeoutMs, () => { metrics.refused('first_message'); });
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
    // Per connection: one client cannot open calls without limit.
    'grpc.max_concurrent_streams': config.maxConcurrentStreams,
    'grpc.max_connection_idle_ms': config.connectionIdleMs,
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
    // Off unless configured: the stream-mode "mitigation" docs/experiments.md measures.
    ...(config.maxConnectionAgeMs > 0 ? { 'grpc.max_connection_age_ms': config.maxConnectionAgeMs } : {}),
    ...(config.maxConnectionAgeGraceMs > 0 ? { 'grpc.max_connection_age_grace_ms': config.maxConnectionAgeGraceMs } : {}),
    interceptors: [firstMessage.interceptor],
  });
  const listener = createListener(server, serverCredentials(config), {
    host: config.grpcHost,
    port: config.grpcPort,
    maxConnections: config.maxConnections,
    onRefused: () => { metrics.refused('connections'); },
  });
  // Probes that cannot present a client certificate (Docker, Kubernetes) ask a plaintext port that serves health only.
  const healthServer = config.healthPort === undefined ? undefined : new grpc.Server();
  if (healthServer) health.addToServer(healthServer);
  const admin = adminOnly(config, metrics);
  const handlers: Partial<QueueHandlers> = {
    Publish: admin(createPublishHandler(dispatcher, ids, config, metrics)),
    Stats: admin(createStatsHandler(dispatcher)),
    Limits: createLimitsHandler(config),
  };
  for (const mode of modes) Object.assign(handlers, mode.handlers);
  server.addService(loadContract().Queue.service, handlers as grpc.UntypedServiceImplementation);
  health.addToServer(server);
  const metricsServer = createMetricsServer(registry, config.metricsPort, config.metricsHost);
  const sweeper = setInterval(() => { workers.sweep(); }, Math.min(SWEEP_MS, config.workerTtlMs));
  sweeper.unref();

  // SERVING only while the queue can be used: a sidecar whose broker is down takes no traffic.
  let serving = false;
  const followQueue = (): void => {
    const ready = queue.isReady() && !dispatcher.closed;
    if (ready === serving) return;
    serving = ready;
    const status = ready ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    health.setStatus(QUEUE_SERVICE_NAME, status);
    logger.info(ready ? 'queue ready; health SERVING' : 'queue not ready; health NOT_SERVING', { queue: queue.kind });
  };
  let healthTimer: NodeJS.Timeout | undefined;

  return {
    dispatcher,
    registry,
    fatal: queue.fatal,
    async start() {
      const grpcPort = await listener.start();
      const healthPort = healthServer && config.healthPort !== undefined ? await bindHealth(healthServer, config.grpcHost, config.healthPort) : undefined;
      const metricsPort = await metricsServer.start();
      await queue.start();
      producer.start();
      followQueue();
      healthTimer = setInterval(followQueue, QUEUE_HEALTH_MS);
      healthTimer.unref();
      logger.info('sidecar listening', { grpc_port: grpcPort, metrics_port: metricsPort, health_port: healthPort, tls: config.tls === undefined ? false : mutualTls ? 'mutual' : true, queue: queue.kind, producer_rate: config.producerRate, producer_peak_rate: config.producerPeakRate, producer_burst: config.producerBurst });
      return { grpcPort, metricsPort };
    },
    async stop() {
      clearInterval(healthTimer);
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(QUEUE_SERVICE_NAME, 'NOT_SERVING');
      logger.info('health NOT_SERVING; ending streams and pending pulls');
      producer.stop();
      clearInterval(sweeper);
      listener.stop();
      dispatcher.close();
      for (const mode of modes) mode.endAll();
      // Graceful: GOAWAY, no new calls, running ones finish. Then wait for the
      // connections themselves: tryShutdown's callback comes early for them.
      server.tryShutdown(() => undefined);
      let force: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        listener.closed().then(() => true),
        new Promise<false>((resolve) => { force = setTimeout(() => { resolve(false); }, config.drainMs); }),
      ]);
      clearTimeout(force);
      if (!drained) {
        logger.warn('drain deadline passed; forcing shutdown', { drain_ms: config.drainMs, connections: listener.connections });
        server.forceShutdown();
        listener.destroy();
      }
      firstMessage.stop();
      healthServer?.forceShutdown();
      await queue.close();
      const last = statsSnapshot(dispatcher);
      logger.info('sidecar stopped', { queued: queue.size, totals: last.totals, in_flight: dispatcher.ledger.size });
      await metricsServer.stop();
    },
  };
}

function bindHealth(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(new Error(`cannot listen for health checks on ${host}:${port} (${error.message}): is the port in use?`));
      else resolve(bound);
    });
  });
}

/**
 * With mutual TLS and admin names configured, Publish and Stats answer only
 * callers whose certificate carries one of those names; otherwise they are
 * open to whoever may reach the port.
 */
function adminOnly(config: SidecarConfig, metrics: SidecarMetrics) {
  const names = config.tls?.adminNames ?? [];
  return <Req, Res>(handler: grpc.handleUnaryCall<Req, Res>): grpc.handleUnaryCall<Req, Res> => {
    if (names.length === 0) return handler;
    return (call, callback) => {
      if (!(certificateNames(call) ?? []).some((n) => names.includes(n))) {
        metrics.refused('identity');
        callback({ code: grpc.status.PERMISSION_DENIED, details: 'this call needs a client certificate named in SIDECAR_TLS_ADMIN_NAMES' });
        return;
      }
      handler(call, callback);
    };
  };
}
