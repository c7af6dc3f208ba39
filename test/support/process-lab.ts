/**
 * A sidecar and workers as real processes, torn down when the test file
 * ends: for tests where the process is what is under test (signals, exit
 * codes, telemetry loaded with --import, another runtime on the other end).
 */
import { after } from 'node:test';
import { createAdminClient, type AdminClient } from '@backlog-lab/harness/admin-client';
import { startSidecar, startWorker, type RunningSidecar, type RunningWorker, type Stack } from '@backlog-lab/harness/lab-services';

type Env = Readonly<Record<string, string | number | undefined>>;

export interface ProcessLab {
  readonly sidecar: RunningSidecar;
  readonly address: string;
  readonly admin: AdminClient;
  worker(workerId: string, env?: Env, options?: { stack?: Stack }): Promise<RunningWorker>;
}

export async function startProcessLab(sidecarEnv: Env = {}): Promise<ProcessLab> {
  const sidecar = await startSidecar(sidecarEnv);
  const admin = createAdminClient(sidecar.address);
  const workers: RunningWorker[] = [];
  after(async () => {
    admin.close();
    await Promise.all(workers.map((w) => w.kill()));
    await sidecar.kill();
  });
  return {
    sidecar,
    address: sidecar.address,
    admin,
    async worker(workerId, env = {}, options = {}) {
      const w = await startWorker(sidecar.address, workerId, env, options);
      workers.push(w);
      return w;
    },
  };
}

export const num = (value: string | number | undefined): number => Number(value ?? 0);
