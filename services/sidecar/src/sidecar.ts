/**
 * Wires one sidecar: broker, delivery modes, producer, gRPC server with the
 * health service, metrics endpoint. `main.ts` calls it with the environment's
 * config; tests call it in-process on port 0.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { loadContract, QUEUE_SERVICE_NAME } from '@backlog-lab/common/contract';
import { MAX_GRPC_MESSAGE_BYTES } from '@backlog-lab/common/env';
import type { Logger } from '@backlog-lab/common/logger';
import { createMetricsServer, createRegistry, type MetricsRegistry } from '@backlog-lab/common/metrics-http';
import { Broker, type BrokerEvents } from './broker.ts';
import type { SidecarConfig } from './config.ts';
import { createConsumeHandler } from './credit-delivery.ts';
import { traceSend } from './message-tracing.ts';
import { createMessageIds } from './message-ids.ts';
import { createSidecarMetrics } from './metrics.ts';
import { createAckHandler, createPullHandler } from './poll-delivery.ts';
import { createProducer } from './producer.ts';
import { createPublishHandler, createStatsHandler, statsSnapshot } from './queue-admin.ts';
import { createReceiptHandler, createSubscribeHandler, type OpenStream } from './stream-delivery.ts';

export interface Sidecar {
  readonly broker: Broker;
  readonly registry: MetricsRegistry;
  /** Binds the gRPC and metrics ports; resolves to the ports bound. */
  start(): Promise<{ grpcPort: number; metricsPort: number }>;
  /** Graceful shutdown (see DESIGN: health, stop, end streams, drain, force). */
  stop(): Promise<void>;
}

/** Plaintext by default (a lab on one host or one pod network); TLS when a certificate and key are configured. */
function serverCredentials(config: SidecarConfig): grpc.ServerCredentials {
  if (!config.tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: config.tls.cert, private_key: config.tls.key }], false);
}

export function createSidecar(config: SidecarConfig, logger: Logger): Sidecar {
  const registry = createRegistry();
  const metrics = createSidecarMetrics(registry);
  const events: BrokerEvents = {
    workerSeen: (holder) => { metrics.workerSeen(holder); },
    published: (m) => { metrics.published(m.priority); },
    dispatching(message, delivery, holder, queueWaitSeconds) {
      const send = traceSend(message, delivery, holder);
      metrics.dispatched(holder, message.priority, message.attempts, queueWaitSeconds, send.traceId);
      return send.end;
    },
    acked: (holder) => { metrics.acked(holder); },
    requeued(message, holder, reason) {
      metrics.requeued(holder, reason);
      logger.debug('message requeued', { message_id: message.id, worker_id: holder.workerId, reason });
    },
    lost: (count, holder) => { metrics.lost(holder, count); },
  };
  const broker = new Broker({ ackDeadlineMs: config.ackDeadlineMs, events });
  metrics.observe(broker);
  const ids = createMessageIds();
  const producer = createProducer(broker, ids, {
    rate: config.producerRate,
    burst: config.producerBurst,
    payloadBytes: config.payloadBytes,
    highPriorityRatio: config.highPriorityRatio,
  });
  const streams = new Set<OpenStream>();
  const pendingPulls = new Set<{ finish(): void }>();
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
  const { Queue } = loadContract();
  server.addService(Queue.service, {
    Subscribe: createSubscribeHandler({ broker, logger, streams, onWriteBlocked: (workerId, seconds) => { metrics.writeBlocked(workerId, seconds); } }),
    Consume: createConsumeHandler({ broker, logger, streams, maxPrefetch: config.maxPrefetch, helloTimeoutMs: config.helloTimeoutMs }),
    Receipt: createReceiptHandler(broker, (ids) => { metrics.receiptBatch(ids); }),
    Pull: createPullHandler({ broker, logger, longPollMaxMs: config.longPollMaxMs, pendingPulls }),
    Ack: createAckHandler(broker),
    Publish: createPublishHandler({ broker, ids, maxPayloadBytes: config.maxPayloadBytes, maxQueued: config.maxQueued }),
    Stats: createStatsHandler(broker),
  });
  health.addToServer(server);
  const metricsServer = createMetricsServer(registry, config.metricsPort);

  return {
    broker,
    registry,
    async start() {
      const grpcPort = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${config.grpcHost}:${config.grpcPort}`, serverCredentials(config), (error, port) => {
          if (error) reject(error);
          else resolve(port);
        });
      });
      const metricsPort = await metricsServer.start();
      producer.start();
      health.setStatus('', 'SERVING');
      health.setStatus(QUEUE_SERVICE_NAME, 'SERVING');
      logger.info('sidecar listening', { grpc_port: grpcPort, metrics_port: metricsPort, tls: config.tls !== undefined, producer_rate: config.producerRate, producer_burst: config.producerBurst });
      return { grpcPort, metricsPort };
    },
    async stop() {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(QUEUE_SERVICE_NAME, 'NOT_SERVING');
      logger.info('health NOT_SERVING; ending streams and pending pulls', { streams: streams.size, pending_pulls: pendingPulls.size });
      producer.stop();
      broker.close();
      for (const pull of [...pendingPulls]) pull.finish();
      for (const stream of [...streams]) stream.end();
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
      const last = statsSnapshot(broker);
      logger.info('sidecar stopped', { queued: broker.queued, totals: last.totals, in_flight: last.workers?.reduce((n, w) => n + Number(w.inFlight ?? 0), 0) });
      await metricsServer.stop();
    },
  };
}
