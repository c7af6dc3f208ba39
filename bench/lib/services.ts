/**
 * The lab's sidecar and workers as real processes, through
 * tools/lib/processes.ts, with two things the bench needs on a busy
 * two-core machine: a start-up deadline longer than its 15 s, and the
 * process handle even when start-up fails, so nothing is left running.
 */
import { spawnService, type ServiceProcess, type SpawnOptions } from '../../tools/lib/processes.ts';

export interface LabProcess {
  readonly proc: ServiceProcess;
  readonly pid: number;
}

export interface LabSidecar extends LabProcess {
  readonly address: string;
  readonly metricsPort: number;
}

const START_TIMEOUT_MS = 60_000;

/**
 * Starts a sidecar on free ports; `track` receives the process before
 * start-up is confirmed, so a caller can kill it if start-up fails.
 */
export async function launchSidecar(env: SpawnOptions['env'], track: (proc: ServiceProcess) => void): Promise<LabSidecar> {
  const proc = spawnService('sidecar', 'sidecar', { env: { SIDECAR_GRPC_PORT: 0, SIDECAR_METRICS_PORT: 0, SIDECAR_GRPC_HOST: '127.0.0.1', ...env } });
  track(proc);
  const ready = await proc.waitForLog((r) => r.msg === 'sidecar listening', START_TIMEOUT_MS);
  return { proc, pid: proc.child.pid ?? 0, address: `127.0.0.1:${Number(ready.grpc_port)}`, metricsPort: Number(ready.metrics_port) };
}

export async function launchWorker(sidecarAddress: string, workerId: string, env: SpawnOptions['env'], track: (proc: ServiceProcess) => void): Promise<LabProcess> {
  const proc = spawnService('worker', workerId, {
    env: { SIDECAR_ADDRESS: sidecarAddress, WORKER_ID: workerId, WORKER_METRICS_PORT: 0, WORKER_HEALTH_PORT: 0, ...env },
  });
  track(proc);
  await proc.waitForLog((r) => r.msg === 'worker started', START_TIMEOUT_MS);
  return { proc, pid: proc.child.pid ?? 0 };
}
