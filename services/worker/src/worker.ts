/**
 * Wires one worker: the gRPC client, the receiver for its delivery mode, the
 * processor, metrics, and a gRPC health service that reports SERVING while
 * the channel to the sidecar is ready. `main.ts` calls it with the
 * environment's config; tests call it in-process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { createBackoff } from '@backlog-lab/common/backoff';
import { isServiceError } from '@backlog-lab/common/errors';
import type { Logger } from '@backlog-lab/common/logger';
import { createMetricsServer, createRegistry, type MetricsRegistry } from '@backlog-lab/common/metrics-http';
import type { WorkerConfig } from './config.ts';
import { createCreditReceiver } from './credit-receiver.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import { createPollReceiver } from './poll-receiver.ts';
import { createProcessor } from './processor.ts';
import { createQueueClient } from './queue-client.ts';
import type { Receiver } from './receiver.ts';
import { createStreamReceiver, describeError } from './stream-receiver.ts';

export interface Worker {
  readonly registry: MetricsRegistry;
  /** Binds the metrics and health ports and starts receiving; resolves to the ports bound. */
  start(): Promise<{ metricsPort: number; healthPort: number }>;
  /** Finishes the message in hand, hands back the rest, closes; within the drain time. */
  stop(): Promise<void>;
  /**
   * Rejects if the sidecar refuses this worker's request as invalid (say, a
   * prefetch above its maximum): retrying would only repeat the refusal.
   */
  readonly fatal: Promise<never>;
}

/** Status codes that mean "this request will never succeed", so reconnecting is pointless. */
const FATAL_CODES = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.UNIMPLEMENTED, grpc.status.PERMISSION_DENIED, grpc.status.UNAUTHENTICATED]);

export function createWorker(config: WorkerConfig, logger: Logger): Worker {
  const log = logger.child({ worker_id: config.workerId, mode: config.mode });
  const registry = createRegistry();
  const metrics = createWorkerMetrics(registry, config.workerId, config.mode);
  const client = createQueueClient(config.sidecarAddress, config.flowControlWindow, config.tlsCa);
  const processor = createProcessor({
    workerId: config.workerId,
    mode: config.mode,
    delayMs: config.processingDelayMs,
    jitterMs: config.processingJitterMs,
    metrics,
    logger: log,
  });
  const receiver = createReceiver(config, client, processor, log);
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  const healthServer = new grpc.Server();
  health.addToServer(healthServer);
  const metricsServer = createMetricsServer(registry, config.metricsPort);
  const stopRequested = new AbortController();
  let running: Promise<void> | undefined;
  let rejectFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => { rejectFatal = reject; });
  fatal.catch(() => undefined); // observed by main; not an unhandled rejection elsewhere

  const receiveUntilStopped = async (): Promise<void> => {
    const backoff = createBackoff(100, 5_000);
    const stopped = (): boolean => stopRequested.signal.aborted;
    while (!stopped()) {
      try {
        if (await receiver.session()) backoff.reset();
      } catch (error) {
        if (isServiceError(error) && FATAL_CODES.has(error.code)) {
          rejectFatal(new Error(`the sidecar refused this worker: ${describeError(error)}`));
          return;
        }
        log.warn('lost the sidecar; reconnecting', { error: describeError(error) });
      }
      if (stopped()) break;
      const delay = backoff.next();
      log.debug('reconnect backoff', { delay_ms: delay });
      await sleep(delay, undefined, { signal: stopRequested.signal }).catch(() => undefined);
    }
  };

  return {
    registry,
    fatal,
    async start() {
      const metricsPort = await metricsServer.start();
      const healthPort = await new Promise<number>((resolve, reject) => {
        healthServer.bindAsync(`0.0.0.0:${config.healthPort}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
          if (error) reject(error);
          else resolve(port);
        });
      });
      watchConnectivity(client.getChannel(), stopRequested.signal, (ready) => {
        metrics.setConnected(ready);
        health.setStatus('', ready ? 'SERVING' : 'NOT_SERVING');
      });
      running = receiveUntilStopped();
      log.info('worker started', {
        sidecar: config.sidecarAddress,
        prefetch: config.mode === 'credit' ? config.prefetch : undefined,
        processing_delay_ms: config.processingDelayMs,
        metrics_port: metricsPort,
        health_port: healthPort,
      });
      return { metricsPort, healthPort };
    },
    async stop() {
      health.setStatus('', 'NOT_SERVING');
      stopRequested.abort();
      receiver.requestStop();
      const drained = await Promise.race([
        (running ?? Promise.resolve()).then(() => true),
        sleep(config.drainMs).then(() => false),
      ]);
      if (!drained) {
        log.warn('drain time passed; abandoning the session', { drain_ms: config.drainMs });
        receiver.abort();
        await running;
      }
      client.close();
      healthServer.forceShutdown();
      await metricsServer.stop();
      log.info('worker stopped');
    },
  };
}

function createReceiver(config: WorkerConfig, client: ReturnType<typeof createQueueClient>, processor: ReturnType<typeof createProcessor>, log: Logger): Receiver {
  switch (config.mode) {
    case 'stream':
      return createStreamReceiver(client, config.workerId, processor, log);
    case 'credit':
      return createCreditReceiver(client, config.workerId, config.prefetch, processor, log);
    case 'poll':
      return createPollReceiver(client, config.workerId, config.pollTimeoutMs, processor, log);
  }
}

/** Calls `onChange(ready)` whenever the channel enters or leaves READY. */
function watchConnectivity(channel: grpc.ChannelInterface, signal: AbortSignal, onChange: (ready: boolean) => void): void {
  let last = channel.getConnectivityState(true);
  onChange(last === grpc.connectivityState.READY);
  const watch = (): void => {
    if (signal.aborted) return;
    channel.watchConnectivityState(last, Infinity, () => {
      last = channel.getConnectivityState(true);
      onChange(last === grpc.connectivityState.READY);
      watch();
    });
  };
  watch();
}

export type { WorkerMetrics };
