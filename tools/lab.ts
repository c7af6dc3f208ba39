/**
 * The local lab: sidecars and workers as processes on this machine, no
 * Docker. Prints a status line every second; keys add, stop or kill workers
 * so a scale-out (or a crash) can be watched by hand. Ctrl-C stops
 * everything with SIGTERM.
 *
 *   npm run lab -- --workers 3 --mode stream --rate 20 --burst 500
 *   npm run lab -- --stack c-core                     (the Python workers, gRPC C-core)
 *   npm run lab -- --workers 2 --python-workers 1     (two grpc-js workers and one C-core worker)
 *   npm run lab -- --queue rabbitmq --sidecars 2 --workers 4 --mode credit --prefetch 10
 *   npm run lab -- --queue rabbitmq --topology per-pod --workers 3
 *   WORKERS=3 MODE=credit PREFETCH=10 make lab
 *
 * Topologies (tools/lib/lab-options.ts): one sidecar for every worker (the
 * default), several sidecars on one RabbitMQ queue with the workers spread
 * over them, or one sidecar per worker ("per-pod"). With RabbitMQ the lab
 * starts a node of its own through the harness unless --queue-url names one.
 *
 * Every setting is checked before anything starts: a bad flag, or a worker
 * setting the sidecar would refuse, is one line and exit status 2; a
 * process that fails to start is one line with its own reason, exit 1.
 */
import { PRIORITY_HIGH, PRIORITY_NORMAL } from '@backlog-lab/common/priority';
import { createAdminClient, type AdminClient } from '@backlog-lab/harness/admin-client';
import { startSidecar, startWorker, type RunningSidecar, type RunningWorker, type Stack } from '@backlog-lab/harness/lab-services';
import { startRabbitMq, type RabbitMqServer } from '@backlog-lab/harness/rabbitmq-server';
import { failureReason } from '@backlog-lab/harness/service-process';
import type { StatsResponse__Output } from '@backlog-lab/common/contract';
import { redactUrl } from '../services/sidecar/src/queue/amqp-url.ts';
import { loadWorkerConfig } from '../services/worker/src/config.ts';
import { conflicts } from '../services/worker/src/sidecar-limits.ts';
import { UsageError } from './lib/cli.ts';
import { LAB_HELP, parseLabOptions, type LabOptions } from './lib/lab-options.ts';

let parsed: LabOptions | 'help';
try {
  parsed = parseLabOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`lab: ${error.message}\n\n${LAB_HELP}`);
  process.exit(2);
}
if (parsed === 'help') {
  process.stdout.write(LAB_HELP);
  process.exit(0);
}
const options = parsed;
const echo = options.verbose;
const onRabbit = options.queue === 'rabbitmq';
const perPod = options.topology === 'per-pod';

function exitWith(code: number, message: string): never {
  process.stderr.write(`\r\x1b[Klab: ${message}\n`);
  process.exit(code);
}
const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** One sidecar and the workers attached to it (per-pod: exactly one, its pod). */
interface Slot {
  readonly name: string;
  readonly proc: RunningSidecar;
  readonly admin: AdminClient;
  readonly workers: RunningWorker[];
  /** False once the lab stopped it, or it exited. */
  alive: boolean;
}

/** The environment every worker of this lab gets. */
const workerEnv = (address: string): Record<string, string | number> => ({
  SIDECAR_ADDRESS: address,
  DELIVERY_MODE: options.mode,
  PREFETCH: options.prefetch,
  PROCESSING_DELAY_MS: options.delay,
  LOG_LEVEL: 'info',
});

let quitting = false;
/** Set once everything runs; a shutdown before then has none to clear. */
const timers: { status?: NodeJS.Timeout; publisher?: NodeJS.Timeout } = {};
/** Workers in the order they were added: `-` and `k` take the newest. */
const workers: { worker: RunningWorker; slot: Slot }[] = [];
let nextWorker = 1;
let broker: RabbitMqServer | undefined;
let brokerUrl = options.queueUrl;
if (onRabbit && brokerUrl === undefined) {
  note('starting a RabbitMQ node of its own (Debian\'s rabbitmq-server) ...');
  try {
    broker = await startRabbitMq();
  } catch (error) {
    exitWith(1, `could not start RabbitMQ: ${describeError(error).split('\n')[0] ?? ''}`);
  }
  brokerUrl = broker.url;
}

const slots: Slot[] = [];
let nextSlot = 1;

async function addSidecar(first: boolean): Promise<Slot> {
  const name = perPod ? `pod-${nextSlot++}` : `sidecar-${nextSlot++}`;
  const proc = await startSidecar({
    SIDECAR_GRPC_PORT: first ? options.port : 0,
    SIDECAR_METRICS_PORT: first ? options.metricsPort : 0,
    // With RabbitMQ the lab publishes itself (see publisher below); the memory queue's one sidecar produces.
    PRODUCER_RATE: onRabbit ? 0 : options.rate,
    PRODUCER_BURST: onRabbit ? 0 : options.burst,
    PAYLOAD_BYTES: options.payload,
    HIGH_PRIORITY_RATIO: options.high,
    ...(onRabbit ? {
      QUEUE: 'rabbitmq',
      QUEUE_URL: brokerUrl,
      QUEUE_NAME: options.queueName,
      QUEUE_PREFETCH: options.queuePrefetch,
      STREAM_UPSTREAM_ACK: options.upstreamAck,
    } : {}),
  }, { echo, name });
  const slot: Slot = { name, proc, admin: createAdminClient(proc.address), workers: [], alive: true };
  slots.push(slot);
  void proc.exited.then((exit) => {
    if (!slot.alive || quitting) return;
    slot.alive = false;
    const why = `${name} exited (${exit.code ?? exit.signal}): ${failureReason(proc.logs, proc.rawOutput)}`;
    // Shared: workers lose their sidecar, which is the lab itself. Per-pod: that pod is gone.
    if (!perPod) void shutdown(1, why);
    else {
      note(why);
      for (const w of slot.workers) void w.stop();
    }
  });
  return slot;
}

let firstSlot: Slot;
try {
  const count = perPod ? Math.min(1, options.workers) : options.sidecars;
  const started = [];
  for (let i = 0; i < count; i++) started.push(await addSidecar(i === 0));
  firstSlot = started[0] ?? await addSidecar(true);
} catch (error) {
  await stopEverything();
  exitWith(1, describeError(error));
}

// The workers' own checks, run here first: a setting the sidecar would refuse stops the lab at once.
try {
  const limits = await firstSlot.admin.limits();
  const env = Object.fromEntries(Object.entries(workerEnv(firstSlot.proc.address)).map(([k, v]) => [k, String(v)]));
  const problems = conflicts(loadWorkerConfig(env), limits);
  if (problems.length > 0) {
    await stopEverything();
    exitWith(2, `the sidecar would refuse these workers: ${problems.join('; ')}`);
  }
} catch (error) {
  await stopEverything();
  exitWith(1, `could not ask the sidecar for its limits: ${describeError(error)}`);
}
if (perPod && options.workers === 0) {
  // The pod started for the checks above has no worker: it goes.
  firstSlot.alive = false;
  await firstSlot.proc.stop();
  firstSlot.admin.close();
}

function note(message: string): void {
  process.stdout.write(`\r\x1b[K${message}\n`);
}

/** Shared: the live sidecar with the fewest workers. Per-pod: a new pod, unless the first one (started for the checks) is still empty. */
async function slotForNewWorker(): Promise<Slot> {
  const live = slots.filter((s) => s.alive);
  if (!perPod) return live.reduce((a, b) => (b.workers.length < a.workers.length ? b : a));
  const empty = live.find((s) => s.workers.length === 0);
  return empty ?? addSidecar(false);
}

async function addWorker(stack: Stack = options.stack): Promise<void> {
  const id = `lab-worker-${nextWorker++}`;
  let slot: Slot;
  let worker: RunningWorker;
  try {
    slot = await slotForNewWorker();
    worker = await startWorker(slot.proc.address, id, workerEnv(slot.proc.address), { echo, stack });
  } catch (error) {
    note(`${id} did not start: ${describeError(error)}`);
    return;
  }
  slot.workers.push(worker);
  workers.push({ worker, slot });
  note(`started ${worker.workerId} (${stack}, metrics on :${worker.metricsPort})${slots.length > 1 || perPod ? ` on ${slot.name} (${slot.proc.address})` : ''}`);
  void worker.exited.then((exit) => {
    const index = workers.findIndex((w) => w.worker === worker);
    if (index < 0 || quitting) return;
    // Not stopped by the lab: say why, in the worker's own words.
    workers.splice(index, 1);
    slot.workers.splice(slot.workers.indexOf(worker), 1);
    note(`${worker.workerId} exited (${exit.code ?? exit.signal}): ${failureReason(worker.logs, worker.rawOutput)}`);
  });
}

async function removeNewest(how: 'stop' | 'kill'): Promise<void> {
  const newest = workers.pop();
  if (!newest) return;
  const { worker, slot } = newest;
  slot.workers.splice(slot.workers.indexOf(worker), 1);
  const what = perPod ? `${worker.workerId} and its sidecar (${slot.name})` : worker.workerId;
  note(`${how === 'stop' ? 'stopping (SIGTERM)' : 'killing (SIGKILL)'} ${what}`);
  const result = how === 'stop' ? await worker.stop() : await worker.kill();
  if (perPod) {
    // A pod goes as a whole: its sidecar after its worker (stop), or with it (kill).
    slot.alive = false;
    slot.admin.close();
    if (how === 'stop') await slot.proc.stop();
    else await slot.proc.kill();
  }
  note(`${worker.workerId} exited (${result.code ?? result.signal})`);
}

/**
 * With RabbitMQ the lab is the producer: a burst, then the rate, published
 * through the Publish RPC of the first live sidecar (the broker queues them;
 * every sidecar consumes). Messages due while no sidecar is up wait.
 */
function startPublisher(): NodeJS.Timeout | undefined {
  if (!onRabbit || (options.rate <= 0 && options.burst <= 0)) return undefined;
  const payload = Buffer.alloc(options.payload, 0x61);
  let owed = options.burst;
  let last = performance.now();
  let busy = false;
  const timer = setInterval(() => {
    const now = performance.now();
    owed += ((now - last) / 1000) * options.rate;
    last = now;
    const slot = slots.find((s) => s.alive);
    const due = Math.min(10_000, Math.floor(owed));
    if (busy || slot === undefined || due === 0) return;
    busy = true;
    const batch = Array.from({ length: due }, () => ({ id: '', priority: Math.random() < options.high ? PRIORITY_HIGH : PRIORITY_NORMAL, payload }));
    slot.admin.publish(batch).then(() => { owed -= due; }, () => undefined).finally(() => { busy = false; });
  }, 100);
  return timer;
}

const previousAcked = new Map<string, number>();
let lastTick = performance.now();

/** `w1: 3 in flight, 9.8/s` for each worker of one sidecar's Stats that is connected or holds messages. */
function workerParts(stats: StatsResponse__Output, seconds: number): string[] {
  return stats.workers.filter((w) => w.connected || Number(w.inFlight) > 0).map((w) => {
    const acked = Number(w.acked);
    const rate = (acked - (previousAcked.get(w.workerId) ?? acked)) / seconds;
    previousAcked.set(w.workerId, acked);
    return `${w.workerId.replace('lab-worker-', 'w')}: ${w.inFlight} in flight, ${rate.toFixed(1)}/s`;
  });
}

async function printStatus(): Promise<void> {
  const live = slots.filter((s) => s.alive);
  const [counts, ...all] = await Promise.all([
    broker?.queueCounts(options.queueName).catch(() => undefined),
    ...live.map((s) => s.admin.stats().catch(() => undefined)),
  ]);
  const now = performance.now();
  const seconds = (now - lastTick) / 1000;
  lastTick = now;
  const totals = { acked: 0, lost: 0, requeued: 0 };
  for (const stats of all) {
    totals.acked += Number(stats?.totals?.acked ?? 0);
    totals.lost += Number(stats?.totals?.lost ?? 0);
    totals.requeued += Number(stats?.totals?.requeued ?? 0);
  }
  const done = `done ${totals.acked}, lost ${totals.lost}, requeued ${totals.requeued}`;
  if (!onRabbit) {
    const stats = all[0];
    const depth = stats?.queueDepth.map(Number) ?? [];
    const parts = stats ? workerParts(stats, seconds) : [];
    process.stdout.write(`\r\x1b[Kqueue ${depth.reduce((a, b) => a + b, 0)} (high ${depth[2] ?? 0}) | ${parts.join(' | ') || 'no workers'} | ${done}`);
    return;
  }
  // The broker's own count when the lab runs it; otherwise what the sidecars last saw of it.
  const ready = counts?.ready ?? Math.max(0, ...all.map((s) => Number(s?.upstream?.ready ?? 0)));
  const unacked = counts?.unacked ?? all.reduce((n, s) => n + Number(s?.upstream?.unacked ?? 0), 0);
  const brokerPart = `broker ready ${ready}, unacked ${unacked}${counts === undefined ? ' (as the sidecars see it)' : ''}`;
  const sidecarParts = live.map((slot, i) => {
    const stats = all[i];
    if (!stats) return `${slot.name}: no answer`;
    const buffered = stats.queueDepth.reduce((n, d) => n + Number(d), 0);
    const up = stats.upstream;
    const state = up?.connected ? `unacked ${up.unacked}, buffered ${buffered}` : 'NOT connected to the broker';
    const parts = workerParts(stats, seconds);
    return `${slot.name.replace('sidecar-', 's')} [${state}]${parts.length > 0 ? ` ${parts.join(', ')}` : ''}`;
  });
  process.stdout.write(`\r\x1b[K${brokerPart} | ${sidecarParts.join(' | ') || 'no sidecars'} | ${done}`);
}

async function stopEverything(): Promise<void> {
  await Promise.all(workers.map((w) => w.worker.stop()));
  for (const slot of slots) slot.admin.close();
  await Promise.all(slots.filter((s) => s.alive).map((s) => { s.alive = false; return s.proc.stop(); }));
  await broker?.stop();
}

async function shutdown(code: number, why?: string): Promise<void> {
  if (quitting) return;
  quitting = true;
  clearInterval(timers.status);
  clearInterval(timers.publisher);
  if (why !== undefined) note(why);
  note('stopping workers and sidecars...');
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  await Promise.all(workers.map((w) => w.worker.stop()));
  const last = await Promise.all(slots.filter((s) => s.alive).map((s) => s.admin.stats().catch(() => undefined)));
  await stopEverything();
  const sum = (field: 'published' | 'acked' | 'lost' | 'requeued'): number => last.reduce((n, s) => n + Number(s?.totals?.[field] ?? 0), 0);
  if (last.length > 0) note(`published ${sum('published')}, acked ${sum('acked')}, lost ${sum('lost')}, requeued ${sum('requeued')}`);
  process.exit(code);
}

process.on('SIGINT', () => { void shutdown(0); });
process.on('SIGTERM', () => { void shutdown(0); });
process.on('SIGUSR1', () => { void addWorker(); });

const where = onRabbit
  ? `RabbitMQ ${broker ? `of its own at ${redactUrl(broker.url)} (management UI http://127.0.0.1:${broker.managementPort}, guest/guest)` : redactUrl(brokerUrl ?? '')}, queue ${options.queueName}, prefetch ${options.queuePrefetch} per sidecar${options.mode === 'stream' ? `, upstream ack on ${options.upstreamAck}` : ''}; ${perPod ? 'a sidecar per worker (per-pod)' : `${options.sidecars} sidecar${options.sidecars > 1 ? 's' : ''}`}`
  : 'the memory queue';
note(`lab pid ${process.pid} (kill -USR1 ${process.pid} adds a worker); ${where}; first sidecar on ${firstSlot.proc.address}, metrics on :${firstSlot.proc.metricsPort}; mode ${options.mode}${options.mode === 'credit' ? ` prefetch ${options.prefetch}` : ''}, ${options.delay} ms per message`);
// "In flight" below is the sidecar's count per worker: sent and not yet acked (stream: receipted).
for (let i = 0; i < options.workers; i++) await addWorker();
for (let i = 0; i < options.pythonWorkers; i++) await addWorker('c-core');
timers.publisher = startPublisher();
if (process.stdin.isTTY) {
  note(`keys: + add worker${perPod ? ' (and its sidecar)' : ''}, - stop newest, k kill newest${perPod ? ' (a pod dies)' : ''}, q quit`);
  process.stdin.setRawMode(true);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (key: string) => {
    if (key === '+' || key === '=') void addWorker();
    else if (key === '-') void removeNewest('stop');
    else if (key === 'k') void removeNewest('kill');
    else if (key === 'q' || key === '\u0003') void shutdown(0);
  });
}
timers.status = setInterval(() => { printStatus().catch((error: unknown) => { note(`stats failed: ${String(error)}`); }); }, 1000);
