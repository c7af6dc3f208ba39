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
import { CONFIG_ERROR_EXIT_CODE } from '@backlog-lab/common/env';
import { describeError, isServiceError } from '@backlog-lab/common/errors';
import { grpcJsVersion } from '@backlog-lab/common/grpc-version';
import type { Logger } from '@backlog-lab/common/logger';
import { createMetricsServer, createRegistry, type MetricsRegistry } from '@backlog-lab/common/metrics-http';
import type { WorkerConfig } from './config.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createProcessor } from './processor.ts';
import { createQueueClient } from './queue-client.ts';
import { RECEIVERS } from './receivers/index.ts';
import { conflicts, fetchLimits } from './sidecar-limits.ts';

export interface Worker {
  readonly registry: MetricsRegistry;
  /** Binds the metrics and health ports and starts receiving; resolves to the ports bound. */
  start(): Promise<{ metricsPort: number; healthPort: number }>;
  /** Finishes the message in hand, hands back the rest, closes; within the drain time. */
  stop(): Promise<void>;
  /**
   * Rejects if the sidecar refuses this worker (a prefetch above its limit,
   * say): retrying would only repeat the refusal. The error's exitCode is
   * what the process should exit with.
   */
  readonly fatal: Promise<never>;
}

/** The sidecar refused this worker for good; `exitCode` 2 when the worker's own configuration is the cause. */
export class WorkerRefused extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'WorkerRefused';
    this.exitCode = exitCode;
  }
}

/** Status codes that mean "this request will never succeed", so reconnecting is pointless. */
const FATAL_CODES = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.UNIMPLEMENTED, grpc.status.PERMISSION_DENIED, grpc.status.UNAUTHENTICATED]);

export function createWorker(config: WorkerConfig, logger: Logger): Worker {
  const log = logger.child({ worker_id: config.workerId, mode: config.mode });
  const registry = createRegistry();
  const metrics = createWorkerMetrics(registry, config.workerId, config.mode, { name: 'grpc-js', grpcVersion: grpcJsVersion() });
  const client = createQueueClient(config);
  const processor = createProcessor({
    workerId: config.workerId,
    mode: config.mode,
    delayMs: config.processingDelayMs,
    jitterMs: config.processingJitterMs,
    metrics,
    logger: log,
  });
  const receiver = RECEIVERS[config.mode]({ client, config, processor, logger: log });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  const healthServer = new grpc.Server();
  health.addToServer(healthServer);
  const metricsServer = createMetricsServer(registry, config.metricsPort, config.metricsHost);
  const stopRequested = new AbortController();
  let running: Promise<void> | undefined;
  let rejectFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => { rejectFatal = reject; });
  fatal.catch(() => undefined); // observed by main; not an unhandled rejection elsewhere

  const receiveUntilStopped = async (): Promise<void> => {
    const backoff = createBackoff(100, 5_000);
    const stopped = (): boolean => stopRequested.signal.aborted;
    let checked = false;
    while (!stopped()) {
      try {
        if (!checked) {
          const limits = await fetchLimits(client);
          const problems = limits ? conflicts(config, limits) : [];
          if (problems.length > 0) {
            rejectFatal(new WorkerRefused(`the sidecar would refuse this worker: ${problems.join('; ')}`, CONFIG_ERROR_EXIT_CODE));
            return;
          }
          checked = true;
        }
        if (await receiver.session()) backoff.reset();
      } catch (error) {
        if (isServiceError(error) && FATAL_CODES.has(error.code)) {
          rejectFatal(new WorkerRefused(`the sidecar refused this worker: ${describeError(error)}`, 1));
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
        healthServer.bindAsync(`${config.healthHost}:${config.healthPort}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
          if (error) reject(new Error(`cannot listen for health checks on ${config.healthHost}:${config.healthPort} (${error.message}): is the port in use?`));
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
        processor.abandon();
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
