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
import { createSidecarMetrics } from './metrics.ts';
import { createProducer } from './producer.ts';
import { Dispatcher, type DispatchEvents } from './queue/dispatcher.ts';
import { createMemoryQueue } from './queue/memory-queue.ts';
import { createMessageIds } from './queue/message-ids.ts';
import type { MessageQueue } from './queue/queue.ts';
import { Workers } from './queue/workers.ts';

export interface Sidecar {
  readonly dispatcher: Dispatcher;
  readonly registry: MetricsRegistry;
  /** Binds the gRPC and metrics ports; resolves to the ports bound. */
  start(): Promise<{ grpcPort: number; metricsPort: number }>;
  /** Graceful shutdown: health NOT_SERVING, stop taking work, end streams, drain, force. */
  stop(): Promise<void>;
}

export interface SidecarDeps {
  /** The queue behind the sidecar; the in-memory one unless given. */
  readonly queue?: MessageQueue;
}

/** Plaintext by default (a lab on one host or one pod network); TLS when a certificate and key are configured. */
function serverCredentials(config: SidecarConfig): grpc.ServerCredentials {
  if (!config.tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: config.tls.cert, private_key: config.tls.key }], false);
}

/** How often forgotten workers are swept out, at most. */
const SWEEP_MS = 10_000;

export function createSidecar(config: SidecarConfig, logger: Logger, deps: SidecarDeps = {}): Sidecar {
  const registry = createRegistry();
  const metrics = createSidecarMetrics(registry);
  const events: DispatchEvents = {
    published: (m) => { metrics.published(m.priority); },
    dispatching(message, delivery, holder, queueWaitSeconds) {
      const send = traceSend(message, delivery, holder);
      metrics.dispatched(holder, message.priority, message.attempts, queueWaitSeconds, send.traceId);
      return send.end;
    },
    settled: (holder) => { metrics.acked(holder); },
    requeued(message, holder, reason) {
      metrics.requeued(holder, reason);
      logger.debug('message requeued', { message_id: message.id, worker_id: holder.workerId, reason });
    },
    lost: (count, holder) => { metrics.lost(holder, count); },
  };
  const workers = new Workers({ ttlMs: config.workerTtlMs, maxWorkers: config.maxWorkers });
  workers.onSeen((record) => { metrics.workerSeen(record); });
  workers.onForgotten((record) => { metrics.workerForgotten(record); });
  const queue = deps.queue ?? createMemoryQueue();
  const dispatcher = new Dispatcher({ queue, workers, events });
  const guard = createCallGuard(dispatcher, metrics, () => undefined);
  const modes: DeliveryMode[] = DELIVERY_MODES.map((create) => create({ dispatcher, config, logger, metrics, guard }));
  metrics.observe(dispatcher, modes.map((m) => m.name));
  const ids = createMessageIds();
  const producer = createProducer(dispatcher, ids, {
    rate: config.producerRate,
    burst: config.producerBurst,
    payloadBytes: config.payloadBytes,
    highPriorityRatio: config.highPriorityRatio,
  }, logger);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [QUEUE_SERVICE_NAME]: 'NOT_SERVING' });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
    // Per connection: one client cannot open streams without limit.
    'grpc.max_concurrent_streams': 1_000,
    // Off unless configured: the stream-mode "mitigation" docs/experiments.md measures.
    ...(config.maxConnectionAgeMs > 0 ? { 'grpc.max_connection_age_ms': config.maxConnectionAgeMs } : {}),
    ...(config.maxConnectionAgeGraceMs > 0 ? { 'grpc.max_connection_age_grace_ms': config.maxConnectionAgeGraceMs } : {}),
  });
  const handlers: Partial<QueueHandlers> = {
    Publish: createPublishHandler(dispatcher, ids, config, metrics),
    Stats: createStatsHandler(dispatcher),
    Limits: createLimitsHandler(config),
  };
  for (const mode of modes) Object.assign(handlers, mode.handlers);
  server.addService(loadContract().Queue.service, handlers as grpc.UntypedServiceImplementation);
  health.addToServer(server);
  const metricsServer = createMetricsServer(registry, config.metricsPort, config.metricsHost);
  const sweeper = setInterval(() => { workers.sweep(); }, Math.min(SWEEP_MS, config.workerTtlMs));
  sweeper.unref();

  return {
    dispatcher,
    registry,
    async start() {
      const grpcPort = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${config.grpcHost}:${config.grpcPort}`, serverCredentials(config), (error, port) => {
          if (error) reject(new Error(`cannot listen for gRPC on ${config.grpcHost}:${config.grpcPort} (${error.message}): is the port in use?`));
          else resolve(port);
        });
      });
      const metricsPort = await metricsServer.start();
      await queue.start();
      producer.start();
      health.setStatus('', 'SERVING');
      health.setStatus(QUEUE_SERVICE_NAME, 'SERVING');
      logger.info('sidecar listening', { grpc_port: grpcPort, metrics_port: metricsPort, tls: config.tls !== undefined, queue: queue.kind, producer_rate: config.producerRate, producer_burst: config.producerBurst });
      return { grpcPort, metricsPort };
    },
    async stop() {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(QUEUE_SERVICE_NAME, 'NOT_SERVING');
      logger.info('health NOT_SERVING; ending streams and pending pulls');
      producer.stop();
      clearInterval(sweeper);
      dispatcher.close();
      for (const mode of modes) mode.endAll();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          logger.warn('drain deadline passed; forcing shutdown', { drain_ms: config.drainMs });
          server.forceShutdown();
          resolve();
        }, config.drainMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await queue.close();
      const last = statsSnapshot(dispatcher);
      logger.info('sidecar stopped', { queued: queue.size, totals: last.totals, in_flight: dispatcher.ledger.size });
      await metricsServer.stop();
    },
  };
}
