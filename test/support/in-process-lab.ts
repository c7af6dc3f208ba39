/**
 * A sidecar and workers in this very process (createSidecar, createWorker on
 * port 0, real gRPC over loopback), for tests where no process boundary is
 * under test: they start in milliseconds instead of seconds. Their log lines
 * are kept, parsed, for the test to read. Everything stops when the test
 * file ends.
 */
import { after } from 'node:test';
import { createAdminClient, type AdminClient } from '@backlog-lab/harness/admin-client';
import type { LogRecord } from '@backlog-lab/harness/service-process';
import { createLogger, type Logger } from '@backlog-lab/common/logger';
import { loadSidecarConfig, type SidecarConfig } from '../../services/sidecar/src/config.ts';
import { createSidecar, type Sidecar, type SidecarDeps } from '../../services/sidecar/src/sidecar.ts';
import { loadWorkerConfig, type WorkerConfig } from '../../services/worker/src/config.ts';
import { createWorker, type Worker } from '../../services/worker/src/worker.ts';

type Env = Readonly<Record<string, string | number | undefined>>;

export interface InProcessWorker {
  readonly workerId: string;
  readonly worker: Worker;
  readonly config: WorkerConfig;
  readonly metricsPort: number;
  readonly healthPort: number;
  readonly logs: LogRecord[];
  /** Ids this worker finished, in order (its `message processed` lines). */
  processedIds(): string[];
  /** Graceful stop: the message in hand is finished and acked, the rest handed back. */
  stop(): Promise<void>;
}

export interface InProcessLab {
  readonly sidecar: Sidecar;
  readonly config: SidecarConfig;
  readonly address: string;
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly admin: AdminClient;
  readonly logs: LogRecord[];
  worker(workerId: string, env?: Env): Promise<InProcessWorker>;
  /** Stops the sidecar gracefully (what SIGTERM does). */
  stop(): Promise<void>;
}

/** A logger that keeps each record, parsed, instead of writing it. */
export function capturingLogger(service: string, logs: LogRecord[]): Logger {
  return createLogger(service, 'debug', {}, (line) => { logs.push(JSON.parse(line) as LogRecord); });
}

function strings(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
}

export async function startInProcessLab(sidecarEnv: Env = {}, deps: SidecarDeps = {}): Promise<InProcessLab> {
  const config = loadSidecarConfig(strings({ SIDECAR_GRPC_PORT: 0, SIDECAR_METRICS_PORT: 0, SIDECAR_GRPC_HOST: '127.0.0.1', ...sidecarEnv }));
  const logs: LogRecord[] = [];
  const sidecar = createSidecar(config, capturingLogger('sidecar', logs), deps);
  const { grpcPort, metricsPort } = await sidecar.start();
  const address = `127.0.0.1:${grpcPort}`;
  const admin = createAdminClient(address);
  const workers: InProcessWorker[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await sidecar.stop();
  };
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    admin.close();
    await stop();
  });
  return {
    sidecar,
    config,
    address,
    grpcPort,
    metricsPort,
    admin,
    logs,
    stop,
    async worker(workerId, env = {}) {
      const workerConfig = loadWorkerConfig(strings({
        SIDECAR_ADDRESS: address,
        WORKER_ID: workerId,
        WORKER_METRICS_PORT: 0,
        WORKER_METRICS_HOST: '127.0.0.1',
        WORKER_HEALTH_PORT: 0,
        WORKER_HEALTH_HOST: '127.0.0.1',
        ...env,
      }));
      const workerLogs: LogRecord[] = [];
      const worker = createWorker(workerConfig, capturingLogger('worker', workerLogs));
      const ports = await worker.start();
      let workerStopped: Promise<void> | undefined;
      const handle: InProcessWorker = {
        workerId,
        worker,
        config: workerConfig,
        metricsPort: ports.metricsPort,
        healthPort: ports.healthPort,
        logs: workerLogs,
        processedIds: () => workerLogs.filter((r) => r.msg === 'message processed').map((r) => String(r.message_id)),
        stop: () => (workerStopped ??= worker.stop()),
      };
      workers.push(handle);
      return handle;
    },
  };
}

export const num = (value: string | number | undefined): number => Number(value ?? 0);
