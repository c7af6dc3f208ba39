/**
 * One scenario's processes: sidecars and their workers (and the queue's
 * broker, when it has one), started through the harness the way a user
 * starts them, with the workers exporting their per-message spans to the
 * runner's OTLP receiver. The variant says which worker stack, which worker
 * environment and which sidecar environment; this is the one place the
 * runner starts processes. Start-up is slow on a busy 2-core machine (the
 * OTel SDK loads for 1.5 to 2.5 s), so the waits here are long.
 *
 * A lab starts with one sidecar. With a broker behind it, startSidecar()
 * adds more on the same queue (several sidecars, or one per worker for the
 * per-pod topology), and a worker is started against any of them.
 */
import { createAdminClient, type AdminClient } from '@backlog-lab/harness/admin-client';
import { startSidecar as startSidecarProcess, startWorker as startWorkerProcess, type RunningSidecar } from '@backlog-lab/harness/lab-services';
import { scrape, sum, type Sample as MetricSample } from '@backlog-lab/harness/prometheus-text';
import type { LogRecord, ServiceProcess } from '@backlog-lab/harness/service-process';
import { modeEnv } from '../variants/modes.ts';
import { QUEUES, type BrokerHandle, type QueueSpec } from '../variants/queues.ts';
import { STACKS, type StackSpec } from '../variants/stacks.ts';
import type { Variant } from '../variants/variant.ts';

const READY_TIMEOUT_MS = 120_000;
/** A graceful stop that takes longer than this ends in SIGKILL (the worker's own drain time is 10 s). */
const STOP_TIMEOUT_MS = 20_000;

export type Env = Readonly<Record<string, string | number | undefined>>;

export interface SidecarHandle {
  /** `sidecar-1`, `sidecar-2`, ... in the order they started. */
  readonly name: string;
  readonly proc: ServiceProcess;
  readonly address: string;
  /** The port of `address`: where a relay in front of the sidecar connects (the size sweep's frame tap). */
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly admin: AdminClient;
  /** False once it was killed. */
  alive: boolean;
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
  /** The sidecar it receives from. */
  readonly sidecar: SidecarHandle;
  readonly proc: ServiceProcess;
  readonly metricsPort: number;
  /** Unix ms of its ready announcement (worker clock): it is about to connect. */
  readonly readyAtMs: number;
  /** False once it was stopped or killed. */
  alive: boolean;
  /** Stopped (SIGSTOP) by the scenario: it starts nothing, and its /metrics would not answer. */
  paused: boolean;
  processed(): ProcessedRecord[];
}

export interface WorkerSpec {
  readonly id: string;
  readonly role: string;
  readonly delayMs: number;
  readonly env?: Env;
  /** The sidecar to receive from; the lab's first unless given. */
  readonly sidecar?: SidecarHandle;
}

export interface Lab {
  readonly variant: Variant;
  /** The first sidecar: the one every scenario publishes through. */
  readonly sidecar: SidecarHandle;
  /** Every sidecar started, in order (dead ones included: alive says). */
  readonly sidecars: readonly SidecarHandle[];
  /** The queue's broker for this run, if the queue has one. */
  readonly broker: BrokerHandle | undefined;
  readonly workers: readonly WorkerHandle[];
  /** Another sidecar on the same queue (needs a broker: two memory queues would be two queues). */
  startSidecar(): Promise<SidecarHandle>;
  /** A worker of the variant's stack in the variant's mode; `env` adds to (or overrides) what the lab sets. */
  startWorker(id: string, role: string, delayMs: number, env?: Env, sidecar?: SidecarHandle): Promise<WorkerHandle>;
  /** Starts several at once (they load in parallel). */
  startWorkers(specs: readonly WorkerSpec[]): Promise<WorkerHandle[]>;
  /** SIGKILL, no clean-up: what it held is in the sidecar's hands. */
  kill(worker: WorkerHandle): Promise<void>;
  /**
   * Graceful stop (SIGTERM) of one worker, as a scale-down does: it finishes
   * the message in hand and hands back the rest (credit, poll) or leaves it
   * to be counted lost (stream); its last spans are flushed.
   */
  stop(worker: WorkerHandle): Promise<void>;
  /** SIGKILL of a sidecar: what it held unacked goes back to the broker. */
  killSidecar(sidecar: SidecarHandle): Promise<void>;
  /** SIGSTOP / SIGCONT of a worker: time stands still for it (its connection stays, it processes nothing). */
  pause(worker: WorkerHandle): void;
  resume(worker: WorkerHandle): void;
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
  const broker = queue.startBroker ? await queue.startBroker() : undefined;
  const sidecars: SidecarHandle[] = [];
  const sidecarEnv: Env = {
    LOG_LEVEL: 'info',
    // The sidecar's own spans are not needed, and without them a Delivery
    // carries no traceparent: the message size is the payload plus the
    // fixed fields, as in the size-sweep model.
    OTEL_TRACES_EXPORTER: 'none',
    ...queue.sidecarEnv(broker),
    ...options.sidecarEnv,
  };
  let started = 0;
  const startSidecar = async (): Promise<SidecarHandle> => {
    if (started > 0 && !broker) throw new Error(`${variant.queue}: a second sidecar needs a queue with a broker behind it`);
    // Named before the await: several may start at once.
    const name = `sidecar-${++started}`;
    const proc: RunningSidecar = await startSidecarProcess(sidecarEnv, { name, readyTimeoutMs: READY_TIMEOUT_MS });
    const handle: SidecarHandle = { name, proc, address: proc.address, grpcPort: proc.grpcPort, metricsPort: proc.metricsPort, admin: createAdminClient(proc.address), alive: true };
    sidecars.push(handle);
    return handle;
  };
  let first: SidecarHandle;
  try {
    first = await startSidecar();
  } catch (error) {
    await broker?.stop();
    throw error;
  }
  const workers: WorkerHandle[] = [];

  const startWorker = async (id: string, role: string, delayMs: number, env: Env = {}, sidecar: SidecarHandle = first): Promise<WorkerHandle> => {
    const worker = await startWorkerProcess(sidecar.address, id, {
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
    }, { stack: stack.id, readyTimeoutMs: READY_TIMEOUT_MS });
    const handle: WorkerHandle = {
      id,
      role,
      delayMs,
      sidecar,
      proc: worker,
      metricsPort: worker.metricsPort,
      readyAtMs: worker.readyAtMs,
      alive: true,
      paused: false,
      processed: () => worker.logs.filter((r) => r.msg === 'message processed').map(toProcessed),
    };
    workers.push(handle);
    return handle;
  };

  return {
    variant,
    sidecar: first,
    sidecars,
    broker,
    workers,
    startSidecar,
    startWorker,
    startWorkers: (specs) => Promise.all(specs.map((s) => startWorker(s.id, s.role, s.delayMs, s.env, s.sidecar))),
    async kill(worker) {
      worker.alive = false;
      await worker.proc.kill();
    },
    async stop(worker) {
      if (!worker.alive) return;
      worker.alive = false;
      await worker.proc.stop(STOP_TIMEOUT_MS);
    },
    pause(worker) {
      worker.paused = true;
      worker.proc.pause();
    },
    resume(worker) {
      worker.proc.resume();
      worker.paused = false;
    },
    async killSidecar(sidecar) {
      sidecar.alive = false;
      sidecar.admin.close();
      await sidecar.proc.kill();
    },
    async stopWorkers() {
      const live = workers.filter((w) => w.alive);
      for (const w of live) w.alive = false;
      await Promise.all(live.map((w) => w.proc.stop(STOP_TIMEOUT_MS)));
    },
    async close() {
      for (const w of workers) w.alive = false;
      await Promise.all(workers.map((w) => w.proc.kill()));
      for (const s of sidecars) {
        s.alive = false;
        s.admin.close();
      }
      await Promise.all(sidecars.map((s) => s.proc.kill()));
      await broker?.stop();
    },
  };
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

/** The worker's metrics, or undefined if it is gone (or paused: it would not answer). */
export async function scrapeWorker(worker: WorkerHandle): Promise<MetricSample[] | undefined> {
  if (!worker.alive || worker.paused) return undefined;
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
