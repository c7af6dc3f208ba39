/** Entry point: config, logger, worker, signals. Everything else is wired in worker.ts. */
import { loadConfigOrExit } from '@backlog-lab/common/env';
import { errorMessage } from '@backlog-lab/common/errors';
import { createLogger } from '@backlog-lab/common/logger';
import { announceReady } from '@backlog-lab/common/ready';
import { onShutdownSignal } from '@backlog-lab/common/shutdown';
import { shutdownTelemetry } from '@backlog-lab/common/telemetry-sdk';
import { loadWorkerConfig } from './config.ts';
import { createWorker, WorkerRefused } from './worker.ts';

const config = loadConfigOrExit(() => loadWorkerConfig(process.env));
const logger = createLogger('worker', config.logLevel);
const worker = createWorker(config, logger);

onShutdownSignal(logger, async () => {
  await worker.stop();
  await shutdownTelemetry();
});

try {
  const ports = await worker.start();
  announceReady(config.readyFd, { metrics_port: ports.metricsPort, health_port: ports.healthPort });
  await worker.fatal;
} catch (error) {
  logger.error('worker cannot run', { error: errorMessage(error) });
  await worker.stop();
  await shutdownTelemetry();
  process.exit(error instanceof WorkerRefused ? error.exitCode : 1);
}
