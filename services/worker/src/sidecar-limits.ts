/**
 * Before its first session the worker asks the sidecar for its limits and
 * checks its own settings against them, so a prefetch the sidecar would
 * refuse stops the worker at once with a message naming the variable,
 * instead of a refused stream and a retry loop.
 */
import * as grpc from '@grpc/grpc-js';
import type { QueueClient } from '@backlog-lab/common/contract';
import type { LimitsResponse__Output } from '@backlog-lab/common/generated/backlog/v1/LimitsResponse';
import type { WorkerConfig } from './config.ts';

const LIMITS_DEADLINE_MS = 5_000;

/** Resolves to the sidecar's limits, or undefined if it does not serve Limits; rejects if it is unreachable. */
export function fetchLimits(client: QueueClient): Promise<LimitsResponse__Output | undefined> {
  return new Promise((resolve, reject) => {
    client.Limits({}, { deadline: Date.now() + LIMITS_DEADLINE_MS }, (error, response) => {
      if (error?.code === grpc.status.UNIMPLEMENTED) resolve(undefined);
      else if (error) reject(error);
      else resolve(response);
    });
  });
}

/** Each setting of this worker the sidecar would refuse, as a line naming the variable. */
export function conflicts(config: WorkerConfig, limits: LimitsResponse__Output): string[] {
  const out: string[] = [];
  if (config.mode === 'credit' && config.prefetch > limits.maxPrefetch) {
    out.push(`PREFETCH is ${config.prefetch}, above the sidecar's limit of ${limits.maxPrefetch} (its MAX_PREFETCH)`);
  }
  if (config.mode === 'poll' && config.pollTimeoutMs > limits.longPollMaxMs) {
    out.push(`POLL_TIMEOUT_MS is ${config.pollTimeoutMs}, above the sidecar's limit of ${limits.longPollMaxMs} (its LONG_POLL_MAX_MS)`);
  }
  return out;
}
