/** Test fixtures: a sidecar and workers as real processes, torn down after each test. */
import { after } from 'node:test';
import { createAdminClient, type AdminClient } from '../../tools/lib/queue-client.ts';
import { startSidecar, startWorker, type RunningSidecar, type RunningWorker, type SpawnOptions } from '../../tools/lib/processes.ts';

export interface TestLab {
  readonly sidecar: RunningSidecar;
  readonly admin: AdminClient;
  worker(workerId: string, env?: SpawnOptions['env']): Promise<RunningWorker>;
}

/** Starts a sidecar (and returns a way to add workers); everything stops when the test file ends. */
export async function startLab(sidecarEnv: SpawnOptions['env'] = {}): Promise<TestLab> {
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
    admin,
    async worker(workerId, env = {}) {
      const w = await startWorker(sidecar.address, workerId, env);
      workers.push(w);
      return w;
    },
  };
}

export const num = (value: string | number | undefined): number => Number(value ?? 0);
