/**
 * The lab's sidecar and workers as real processes, through the harness,
 * with a start-up deadline long enough for a busy two-core machine. A
 * process that fails to start is killed by the harness, with its own error;
 * one that started is handed to `track`, so a caller can stop it if a later
 * one fails.
 */
import { startSidecar, startWorker, type Stack } from '@backlog-lab/harness/lab-services';
import type { ServiceProcess } from '@backlog-lab/harness/service-process';

type Env = Readonly<Record<string, string | number | undefined>>;

export interface LabProcess {
  readonly proc: ServiceProcess;
  readonly pid: number;
}

export interface LabSidecar extends LabProcess {
  readonly address: string;
  readonly metricsPort: number;
}

const START_TIMEOUT_MS = 60_000;

export async function launchSidecar(env: Env, track: (proc: ServiceProcess) => void): Promise<LabSidecar> {
  const proc = await startSidecar(env, { readyTimeoutMs: START_TIMEOUT_MS });
  track(proc);
  return { proc, pid: proc.pid, address: proc.address, metricsPort: proc.metricsPort };
}

export async function launchWorker(sidecarAddress: string, workerId: string, env: Env, track: (proc: ServiceProcess) => void, stack: Stack = 'grpc-js'): Promise<LabProcess> {
  const proc = await startWorker(sidecarAddress, workerId, { LOG_LEVEL: 'info', ...env }, { readyTimeoutMs: START_TIMEOUT_MS, stack });
  track(proc);
  return { proc, pid: proc.pid };
}
