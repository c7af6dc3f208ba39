/**
 * One scenario's processes: a sidecar and its workers (and the queue's
 * broker, when it has one), started the way a user starts them
 * (tools/lib/processes.ts), with the workers exporting their per-message
 * spans to the runner's OTLP receiver. The variant says which worker
 * program, which worker environment and which sidecar environment; this is
 * the one place the runner starts processes. Readiness comes from the
 * services' own log lines; start-up is slow on a busy 2-core machine (the
 * OTel SDK loads for 1.5 to 2.5 s), so the waits here are long.
 */
import { connect } from 'node:net';
import { freePort } from '@backlog-lab/harness/free-port';
import { spawnProgram, spawnService, type LogRecord, type ServiceProcess } from '../../tools/lib/processes.ts';
import { scrape, sum, type Sample as MetricSample } from '../../tools/lib/prometheus-text.ts';
import { createAdminClient, type AdminClient } from '../../tools/lib/queue-client.ts';
import { modeEnv } from '../variants/modes.ts';
import { QUEUES, type BrokerProgram, type QueueSpec } from '../variants/queues.ts';
import { STACKS, type StackSpec } from '../variants/stacks.ts';
import type { Variant } from '../variants/variant.ts';

const READY_TIMEOUT_MS = 120_000;

export type Env = Readonly<Record<string, string | number | undefined>>;

export interface SidecarHandle {
  readonly proc: ServiceProcess;
  readonly address: string;
  readonly metricsPort: number;
  readonly admin: AdminClient;
}

/** One `message processed` debug line of a worker. */
export interface ProcessedRecord {
  readonly messageId: string;
  readonly attempt: number;
  readonly priority: number;
  readonly outcome: string;
  /** Unix ms of the log line (the worker's clock): the end of processing. */
  readonly atMs: number;
}

export interface WorkerHandle {
  readonly id: string;
  /** What the scenario uses it for ("hoarder", "later", ...). */
  readonly role: string;
  readonly delayMs: number;
  readonly proc: ServiceProcess;
  readonly metricsPort: number;
  /** Unix ms of its `worker started` line (worker clock): it is about to connect. */
  readonly readyAtMs: number;
  /** False once it was stopped or killed. */
  alive: boolean;
  processed(): ProcessedRecord[];
}

export interface Lab {
  readonly variant: Variant;
  readonly sidecar: SidecarHandle;
  readonly workers: readonly WorkerHandle[];
  /** A worker of the variant's stack in the variant's mode; `env` adds to (or overrides) what the lab sets. */
  startWorker(id: string, role: string, delayMs: number, env?: Env): Promise<WorkerHandle>;
  /** Starts several at once (they load in parallel). */
  startWorkers(specs: readonly { id: string; role: string; delayMs: number; env?: Env }[]): Promise<WorkerHandle[]>;
  /** SIGKILL, no clean-up: what it held is in the sidecar's hands. */
  kill(worker: WorkerHandle): Promise<void>;
  /** Graceful stop (SIGTERM) of every live worker: their last spans are flushed. */
  stopWorkers(): Promise<void>;
  /** Stops everything still running. */
  close(): Promise<void>;
}

export interface LabOptions {
  /** Which worker program and mode, and which queue behind the sidecar. */
  readonly variant: Variant;
  /** What the scenario adds to the sidecar's environment (an ack deadline, say). */
  readonly sidecarEnv?: Env;
  /** OTLP/HTTP endpoint the workers export their spans to. */
  readonly otlpEndpoint: string;
}

export async function startLab(options: LabOptions): Promise<Lab> {
  const { variant } = options;
  const stack: StackSpec = STACKS[variant.stack];
  const queue: QueueSpec = QUEUES[variant.queue];
  const broker = queue.broker ? await startBroker(queue.broker, variant.queue) : undefined;
  const proc = spawnService('sidecar', 'sidecar', {
    env: {
      SIDECAR_GRPC_PORT: 0,
      SIDECAR_METRICS_PORT: 0,
      SIDECAR_GRPC_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // The sidecar's own spans are not needed, and without them a Delivery
      // carries no traceparent: the message size is the payload plus the
      // fixed fields, as in the size-sweep model.
      OTEL_TRACES_EXPORTER: 'none',
      ...queue.sidecarEnv(broker?.url),
      ...options.sidecarEnv,
    },
  });
  let ready: LogRecord;
  try {
    ready = await proc.waitForLog((r) => r.msg === 'sidecar listening', READY_TIMEOUT_MS);
  } catch (error) {
    await proc.kill();
    await broker?.proc.kill();
    throw error;
  }
  const address = `127.0.0.1:${Number(ready.grpc_port)}`;
  const sidecar: SidecarHandle = { proc, address, metricsPort: Number(ready.metrics_port), admin: createAdminClient(address) };
  const workers: WorkerHandle[] = [];

  const startWorker = async (id: string, role: string, delayMs: number, env: Env = {}): Promise<WorkerHandle> => {
    const worker = spawnProgram(stack.command, id, {
      env: {
        SIDECAR_ADDRESS: address,
        WORKER_ID: id,
        WORKER_METRICS_PORT: 0,
        WORKER_HEALTH_PORT: 0,
        LOG_LEVEL: 'debug',
        PROCESSING_DELAY_MS: delayMs,
        PROCESSING_JITTER_MS: 0,
        OTEL_SERVICE_NAME: 'worker',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_TRACES_SAMPLER: 'parentbased_always_on',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${options.otlpEndpoint}/v1/traces`,
        OTEL_BSP_SCHEDULE_DELAY: 200,
        OTEL_BSP_MAX_QUEUE_SIZE: 20_000,
        ...stack.env,
        ...modeEnv(variant.mode),
        ...env,
      },
    });
    let started: LogRecord;
    try {
      started = await worker.waitForLog((r) => r.msg === 'worker started', READY_TIMEOUT_MS);
    } catch (error) {
      await worker.kill();
      throw error;
    }
    const handle: WorkerHandle = {
      id,
      role,
      delayMs,
      proc: worker,
      metricsPort: Number(started.metrics_port),
      readyAtMs: Date.parse(String(started.time)),
      alive: true,
      processed: () => worker.logs.filter((r) => r.msg === 'message processed').map(toProcessed),
    };
    workers.push(handle);
    return handle;
  };

  return {
    variant,
    sidecar,
    workers,
    startWorker,
    startWorkers: (specs) => Promise.all(specs.map((s) => startWorker(s.id, s.role, s.delayMs, s.env))),
    async kill(worker) {
      worker.alive = false;
      await worker.proc.kill();
    },
    async stopWorkers() {
      const live = workers.filter((w) => w.alive);
      for (const w of live) w.alive = false;
      await Promise.all(live.map((w) => w.proc.stop(20_000)));
    },
    async close() {
      for (const w of workers) w.alive = false;
      await Promise.all(workers.map((w) => w.proc.kill()));
      sidecar.admin.close();
      await proc.kill();
      await broker?.proc.kill();
    },
  };
}

/** The queue's broker on a free port, once that port takes connections; its own output if it dies first. */
export async function startBroker(program: BrokerProgram, name: string, timeoutMs = READY_TIMEOUT_MS): Promise<{ proc: ServiceProcess; url: string }> {
  const port = await freePort();
  const { argv, env } = program.command(port);
  const proc = spawnProgram(argv, name, { env });
  const deadline = performance.now() + timeoutMs;
  // An object, so the loop sees the callback flip it.
  const state = { exited: false };
  void proc.exited.then(() => { state.exited = true; });
  while (!(await accepts(port))) {
    if (state.exited || performance.now() > deadline) {
      await proc.kill();
      throw new Error(`${name} ${state.exited ? 'exited' : `did not listen on ${port} within ${timeoutMs} ms`}; output:\n${proc.rawOutput.slice(-20).join('\n')}`);
    }
    await sleep(100);
  }
  return { proc, url: program.url(port) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}

function toProcessed(r: LogRecord): ProcessedRecord {
  return {
    messageId: String(r.message_id),
    attempt: Number(r.attempt),
    priority: Number(r.priority),
    outcome: String(r.outcome),
    atMs: Date.parse(String(r.time)),
  };
}

/** The worker's metrics, or undefined if it is gone. */
export async function scrapeWorker(worker: WorkerHandle): Promise<MetricSample[] | undefined> {
  if (!worker.alive) return undefined;
  try {
    return await scrape(worker.metricsPort);
  } catch {
    return undefined;
  }
}

/** worker_messages_started_total of one worker, or undefined if it cannot be read. */
export async function startedCount(worker: WorkerHandle): Promise<number | undefined> {
  const samples = await scrapeWorker(worker);
  return samples ? sum(samples, 'worker_messages_started_total') : undefined;
}

/** Unix ms with sub-millisecond resolution, on the clock the services stamp messages with. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
