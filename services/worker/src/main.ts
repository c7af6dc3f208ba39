/** Entry point: config, logger, worker, signals. Everything else is wired in worker.ts. */
import { loadConfigOrExit } from '@backlog-lab/common/env';
import { errorMessage } from '@backlog-lab/common/errors';
import { createLogger } from '@backlog-lab/common/logger';
import { onShutdownSignal } from '@backlog-lab/common/shutdown';
import { shutdownTelemetry } from '@backlog-lab/common/telemetry-sdk';
import { loadWorkerConfig } from './config.ts';
import { createWorker } from './worker.ts';

const config = loadConfigOrExit(() => loadWorkerConfig(process.env));
const logger = createLogger('worker', config.logLevel);
const worker = createWorker(config, logger);

onShutdownSignal(logger, async () => {
  await worker.stop();
  await shutdownTelemetry();
});

try {
  await worker.start();
  await worker.fatal;
} catch (error) {
  logger.error('worker cannot run', { error: errorMessage(error) });
  await worker.stop();
  await shutdownTelemetry();
  process.exit(1);
}
