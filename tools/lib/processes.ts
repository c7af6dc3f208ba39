/**
 * Starts the sidecar and workers as real processes, the way a user runs them
 * (node --import telemetry.ts main.ts), for the local lab, the tests and the
 * experiment runner. Each process logs JSON lines; the launcher keeps them,
 * waits for the "listening"/"started" line to learn the ports, and can stop a
 * process with SIGTERM or kill it with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Children still running; killed if the launcher exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export type LogRecord = Record<string, unknown> & { msg?: string; level?: string };

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every JSON log record so far. */
  readonly logs: LogRecord[];
  /** Non-JSON output (stderr, crashes). */
  readonly rawOutput: string[];
  /** Resolves with the exit code (or signal name) once the process has exited and all its output has been read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log record for which `match` is true. */
  waitForLog(match: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** SIGTERM, then wait for exit. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: no chance to clean up. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string | number | undefined>>;
  /** Called with each log record as it arrives. */
  readonly onLog?: (record: LogRecord) => void;
  /** Pass the child's output through to ours (the local lab does, with a prefix). */
  readonly echo?: boolean;
  /** How long start-up may take before it counts as failed (a loaded machine needs more). */
  readonly readyTimeoutMs?: number;
}

/** How one of the repository's services is run: the project's Node, telemetry first (--import), then its main. */
export function serviceCommand(service: 'sidecar' | 'worker'): string[] {
  const dir = `${REPO_ROOT}/services/${service}/src`;
  return [process.execPath, '--import', `${dir}/telemetry.ts`, `${dir}/main.ts`];
}

export function spawnService(service: 'sidecar' | 'worker', name: string, options: SpawnOptions = {}): ServiceProcess {
  return spawnProgram(serviceCommand(service), name, options);
}

/**
 * Starts any program the same way (a worker of another client stack, a
 * broker): argv[0] is looked up on PATH (give scripts as absolute paths,
 * under REPO_ROOT), and JSON lines on stdout are its log records.
 */
export function spawnProgram(argv: readonly string[], name: string, options: SpawnOptions = {}): ServiceProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error(`${name}: empty command line`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) Reflect.deleteProperty(env, k);
    else env[k] = String(v);
  }
  const child = spawn(file, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the launcher only, which then
    // stops workers before the sidecar, in that order.
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const logs: LogRecord[] = [];
  const rawOutput: string[] = [];
  const waiters = new Set<{ match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }>();
  const onLine = (line: string): void => {
    if (line.trim() === '') return;
    if (options.echo) process.stdout.write(`[${name}] ${line}\n`);
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      rawOutput.push(line);
      return;
    }
    logs.push(record);
    options.onLog?.(record);
    for (const waiter of waiters) {
      if (waiter.match(record)) {
        waiters.delete(waiter);
        waiter.resolve(record);
      }
    }
  };
  splitLines(child.stdout, onLine);
  splitLines(child.stderr, (line) => {
    rawOutput.push(line);
    if (options.echo) process.stderr.write(`[${name}] ${line}\n`);
  });
  // 'close', not 'exit': a line the process wrote just before it died may
  // still be in the pipe at 'exit', and callers count lines after a stop.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => { resolve({ code, signal }); });
  });
  const proc: ServiceProcess = {
    name,
    child,
    logs,
    rawOutput,
    exited,
    waitForLog(match, timeoutMs = 15_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (r: LogRecord) => { clearTimeout(timer); resolve(r); } };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: no matching log line within ${timeoutMs} ms; output:\n${[...rawOutput, ...logs.slice(-20).map((l) => JSON.stringify(l))].join('\n')}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(() => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${name} exited before the expected log line; output:\n${rawOutput.join('\n')}`));
        });
      });
    },
    async stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
  return proc;
}

/** Calls `onLine` with each line of a text stream (the last one even without a newline). */
export function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  });
  stream.on('end', () => { if (rest !== '') onLine(rest); });
}

export interface RunningSidecar extends ServiceProcess {
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly address: string;
}

export interface RunningWorker extends ServiceProcess {
  readonly workerId: string;
  readonly metricsPort: number;
  readonly healthPort: number;
  /**
   * Ids this worker finished, in order, from its log lines read so far (needs
   * LOG_LEVEL=debug). A line follows its ack, so the sidecar can count a
   * message before it is here: wait for the lines, or stop the worker first.
   */
  processedIds(): string[];
}

/** Starts a sidecar on free ports and waits until it listens. */
export async function startSidecar(env: SpawnOptions['env'] = {}, options: Omit<SpawnOptions, 'env'> = {}): Promise<RunningSidecar> {
  const proc = spawnService('sidecar', 'sidecar', { ...options, env: { SIDECAR_GRPC_PORT: 0, SIDECAR_METRICS_PORT: 0, SIDECAR_GRPC_HOST: '127.0.0.1', ...env } });
  const ready = await proc.waitForLog((r) => r.msg === 'sidecar listening', options.readyTimeoutMs ?? 30_000);
  const grpcPort = Number(ready.grpc_port);
  return Object.assign(proc, { grpcPort, metricsPort: Number(ready.metrics_port), address: `127.0.0.1:${grpcPort}` });
}

/** Starts a worker on free ports and waits until it runs. */
export async function startWorker(sidecarAddress: string, workerId: string, env: SpawnOptions['env'] = {}, options: Omit<SpawnOptions, 'env'> = {}): Promise<RunningWorker> {
  const proc = spawnService('worker', workerId, {
    ...options,
    env: { SIDECAR_ADDRESS: sidecarAddress, WORKER_ID: workerId, WORKER_METRICS_PORT: 0, WORKER_HEALTH_PORT: 0, LOG_LEVEL: 'debug', ...env },
  });
  const ready = await proc.waitForLog((r) => r.msg === 'worker started', options.readyTimeoutMs ?? 30_000);
  return Object.assign(proc, {
    workerId,
    metricsPort: Number(ready.metrics_port),
    healthPort: Number(ready.health_port),
    processedIds: () => proc.logs.filter((r) => r.msg === 'message processed').map((r) => String(r.message_id)),
  });
}
