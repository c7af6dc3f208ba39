/**
 * Runs a service's graceful stop on SIGTERM or SIGINT, once, then exits 0 (1
 * if the stop itself failed). A second signal while stopping forces exit 130.
 */
import { errorMessage } from './errors.ts';
import type { Logger } from './logger.ts';

export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    stop().then(
      () => { process.exit(0); },
      (error: unknown) => {
        logger.error('shutdown failed', { error: errorMessage(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}
