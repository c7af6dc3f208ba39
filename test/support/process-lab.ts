/**
 * A sidecar and workers as real processes, torn down when the test file
 * ends: for tests where the process is what is under test (signals, exit
 * codes, telemetry loaded with --import, another runtime on the other end).
 */
import { after } from 'node:test';
import { createAdminClient, waitFor, workerStats, type AdminClient } from '@backlog-lab/harness/admin-client';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
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

/**
 * Waits until the worker has finished `done` messages, is busy with the next,
 * and the sidecar has the ack or receipt of every finished one (a stream
 * worker counts a message processed once its receipt is queued, not sent).
 */
export async function busyAfter(admin: AdminClient, worker: RunningWorker, done: number): Promise<void> {
  await waitFor(`${worker.workerId} busy after ${done} done, every one acked`, async () => {
    const m = await scrape(worker.metricsPort);
    const processed = sum(m, 'worker_messages_processed_total');
    if (processed < done || sum(m, 'worker_busy') !== 1) return undefined;
    return num(workerStats(await admin.stats(), worker.workerId).acked) >= processed ? true : undefined;
  }, 30_000, 20);
}
