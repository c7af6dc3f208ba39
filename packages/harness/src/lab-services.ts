/**
 * The lab's own services as processes: a sidecar, and workers of any client
 * stack, on free ports of the loopback interface, each ready once it says
 * so on its READY_FD pipe. The local lab, the experiment runner, the bench,
 * the soak and the tests all start them here.
 */
import { REPO_ROOT } from './repo.ts';
import { spawnService, type ServiceProcess, type SpawnSpec } from './service-process.ts';

type Env = Readonly<Record<string, string | number | undefined>>;

/** How to start a worker of each client stack. A new stack is one entry here. */
export const STACKS = {
  /** The TypeScript worker on grpc-js (services/worker). */
  'grpc-js': { command: process.execPath, args: nodeService('worker') },
  /**
   * The Python worker on gRPC C-core (services/worker-python): Debian's
   * python3-grpcio, never the python first on PATH. -B: no bytecode files
   * written next to the sources.
   */
  'c-core': { command: '/usr/bin/python3', args: ['-B', `${REPO_ROOT}/services/worker-python/main.py`] },
} as const satisfies Record<string, { command: string; args: readonly string[] }>;

export type Stack = keyof typeof STACKS;
export const STACK_NAMES = Object.keys(STACKS) as Stack[];

function nodeService(service: 'sidecar' | 'worker'): string[] {
  const dir = `${REPO_ROOT}/services/${service}/src`;
  return ['--import', `${dir}/telemetry.ts`, `${dir}/main.ts`];
}

export interface StartOptions {
  /** Pass the process's output through, prefixed with its name (the local lab's --verbose). */
  readonly echo?: boolean;
  /** How long start-up may take (the OTel SDK takes seconds to load on a busy machine). */
  readonly readyTimeoutMs?: number;
  readonly onLog?: SpawnSpec['onLog'];
  /** Extra flags for the runtime (e.g. a CPU profiler), before the entry point. */
  readonly runtimeArgs?: readonly string[];
}

export interface RunningSidecar extends ServiceProcess {
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly address: string;
}

export interface RunningWorker extends ServiceProcess {
  readonly workerId: string;
  readonly stack: Stack;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** Unix ms (the worker's clock) when it announced it was ready: it connects right after. */
  readonly readyAtMs: number;
  /**
   * Ids this worker finished, in order, from its log lines read so far (needs
   * LOG_LEVEL=debug). A line follows its ack, so the sidecar can count a
   * message before it is here: wait for the lines, or stop the worker first.
   */
  processedIds(): string[];
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;

/** Waits for the process to announce itself; kills it and says why if it does not. */
async function untilReady(proc: ServiceProcess, timeoutMs: number): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`${proc.name} was not ready within ${timeoutMs} ms`)); }, timeoutMs);
  });
  try {
    return await Promise.race([proc.ready, timeout]);
  } catch (error) {
    await proc.kill();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a sidecar on free loopback ports and waits until it is ready. */
export async function startSidecar(env: Env = {}, options: StartOptions & { name?: string } = {}): Promise<RunningSidecar> {
  const proc = spawnService({
    name: options.name ?? 'sidecar',
    command: process.execPath,
    args: [...(options.runtimeArgs ?? []), ...nodeService('sidecar')],
    env: { SIDECAR_GRPC_PORT: 0, SIDECAR_METRICS_PORT: 0, SIDECAR_GRPC_HOST: '127.0.0.1', ...env },
    echo: options.echo,
    onLog: options.onLog,
  });
  const ready = await untilReady(proc, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  const grpcPort = Number(ready.grpc_port);
  return Object.assign(proc, { grpcPort, metricsPort: Number(ready.metrics_port), address: `127.0.0.1:${grpcPort}` });
}

/** Starts a worker of the given stack (grpc-js unless said) on free loopback ports and waits until it runs. */
export async function startWorker(sidecarAddress: string, workerId: string, env: Env = {}, options: StartOptions & { stack?: Stack } = {}): Promise<RunningWorker> {
  const stack = options.stack ?? 'grpc-js';
  const { command, args } = STACKS[stack];
  const proc = spawnService({
    name: workerId,
    command,
    args: [...(options.runtimeArgs ?? []), ...args],
    env: {
      SIDECAR_ADDRESS: sidecarAddress,
      WORKER_ID: workerId,
      WORKER_METRICS_PORT: 0,
      WORKER_METRICS_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: 0,
      WORKER_HEALTH_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      ...env,
    },
    echo: options.echo,
    onLog: options.onLog,
  });
  const ready = await untilReady(proc, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  return Object.assign(proc, {
    workerId,
    stack,
    metricsPort: Number(ready.metrics_port),
    healthPort: Number(ready.health_port),
    readyAtMs: Date.parse(String(ready.time)),
    processedIds: () => proc.logs.filter((r) => r.msg === 'message processed').map((r) => String(r.message_id)),
  });
}
