/** Entry point: config, logger, sidecar, signals. Everything else is wired in sidecar.ts. */
import { loadConfigOrExit } from '@backlog-lab/common/env';
import { errorMessage } from '@backlog-lab/common/errors';
import { createLogger } from '@backlog-lab/common/logger';
import { announceReady } from '@backlog-lab/common/ready';
import { onShutdownSignal } from '@backlog-lab/common/shutdown';
import { shutdownTelemetry } from '@backlog-lab/common/telemetry-sdk';
import { loadSidecarConfig } from './config.ts';
import { createSidecar } from './sidecar.ts';

const config = loadConfigOrExit(() => loadSidecarConfig(process.env));
const logger = createLogger('sidecar', config.logLevel);
const sidecar = createSidecar(config, logger);

onShutdownSignal(logger, async () => {
  await sidecar.stop();
  await shutdownTelemetry();
});

try {
  const ports = await sidecar.start();
  announceReady(config.readyFd, { grpc_port: ports.grpcPort, metrics_port: ports.metricsPort });
} catch (error) {
  logger.error('sidecar failed to start', { error: errorMessage(error) });
  await shutdownTelemetry();
  process.exit(1);
}
try {
  await sidecar.fatal;
} catch (error) {
  logger.error('sidecar cannot run', { error: errorMessage(error) });
  await sidecar.stop();
  await shutdownTelemetry();
  process.exit(1);
}
