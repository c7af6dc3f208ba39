/**
 * The local lab: one sidecar and N workers as processes on this machine, no
 * Docker. Prints a status line every second; keys add, stop or kill workers
 * so a scale-out (or a crash) can be watched by hand. Ctrl-C stops
 * everything with SIGTERM.
 *
 *   npm run lab -- --workers 3 --mode stream --rate 20 --burst 500
 *   npm run lab -- --stack c-core                     (the Python workers, gRPC C-core)
 *   npm run lab -- --workers 2 --python-workers 1     (two grpc-js workers and one C-core worker)
 *   WORKERS=3 MODE=credit PREFETCH=10 make lab
 *
 * Every setting is checked before anything starts: a bad flag, or a worker
 * setting the sidecar would refuse, is one line and exit status 2; a
 * process that fails to start is one line with its own reason, exit 1.
 */
import { DELIVERY_MODES } from '@backlog-lab/common/modes';
import { createAdminClient, type AdminClient } from '@backlog-lab/harness/admin-client';
import { STACK_NAMES, startSidecar, startWorker, type RunningSidecar, type RunningWorker, type Stack } from '@backlog-lab/harness/lab-services';
import { failureReason } from '@backlog-lab/harness/service-process';
import { loadWorkerConfig } from '../services/worker/src/config.ts';
import { conflicts } from '../services/worker/src/sidecar-limits.ts';
import { choiceOption, numberOption, parseFlags, UsageError } from './lib/cli.ts';

const HELP = `Usage: npm run lab -- [options]   (or: make lab WORKERS=3 MODE=stream)

  --workers N        workers to start, 0..50 (env WORKERS, default 2)
  --mode M           ${DELIVERY_MODES.join(' | ')} (env MODE, default stream)
  --stack S          the workers' client stack: ${STACK_NAMES.join(' | ')} (env STACK, default grpc-js)
  --python-workers N more workers on the c-core stack (the Python worker) beside those, 0..50
                     (env PYTHON_WORKERS, default 0): a mix, e.g. --workers 2 --python-workers 1
  --prefetch N       credit mode prefetch (env PREFETCH, default 1)
  --delay MS         processing delay per message (env PROCESSING_DELAY_MS, default 100)
  --rate R           built-in producer, messages/s (env PRODUCER_RATE, default 15)
  --burst N          messages published at start (env PRODUCER_BURST, default 300)
  --payload BYTES    payload size (env PAYLOAD_BYTES, default 100)
  --high RATIO       share of high-priority messages 0..1 (env HIGH_PRIORITY_RATIO, default 0.05)
  --port P           sidecar gRPC port, 0 for a free one (env SIDECAR_GRPC_PORT, default 50051)
  --metrics-port P   sidecar /metrics port (env SIDECAR_METRICS_PORT, default 0: a free one;
                     workers always get free ports, so the lab runs beside \`make up\`)
  --verbose          print every process's log lines

Keys while running: + add a worker, - stop the newest (SIGTERM), k kill the
newest (SIGKILL), q or Ctrl-C quit. SIGUSR1 to the lab's pid (printed at
start) also adds a worker.
`;

interface LabOptions {
  readonly workers: number;
  readonly mode: (typeof DELIVERY_MODES)[number];
  readonly stack: Stack;
  readonly pythonWorkers: number;
  readonly prefetch: number;
  readonly delay: number;
  readonly rate: number;
  readonly burst: number;
  readonly payload: number;
  readonly high: number;
  readonly port: number;
  readonly metricsPort: number;
  readonly verbose: boolean;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): LabOptions | 'help' {
  const values = parseFlags(argv, {
    workers: { type: 'string' }, mode: { type: 'string' }, stack: { type: 'string' }, 'python-workers': { type: 'string' }, prefetch: { type: 'string' }, delay: { type: 'string' },
    rate: { type: 'string' }, burst: { type: 'string' }, payload: { type: 'string' }, high: { type: 'string' },
    port: { type: 'string' }, 'metrics-port': { type: 'string' }, verbose: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
  });
  if (values.help) return 'help';
  const options: LabOptions = {
    workers: numberOption(values.workers, env, { flag: 'workers', env: 'WORKERS', default: 2, min: 0, max: 50 }),
    mode: choiceOption(values.mode, env, { flag: 'mode', env: 'MODE', default: 'stream', choices: DELIVERY_MODES }),
    stack: choiceOption(values.stack, env, { flag: 'stack', env: 'STACK', default: 'grpc-js', choices: STACK_NAMES }),
    pythonWorkers: numberOption(values['python-workers'], env, { flag: 'python-workers', env: 'PYTHON_WORKERS', default: 0, min: 0, max: 50 }),
    prefetch: numberOption(values.prefetch, env, { flag: 'prefetch', env: 'PREFETCH', default: 1, min: 1, max: 100_000 }),
    delay: numberOption(values.delay, env, { flag: 'delay', env: 'PROCESSING_DELAY_MS', default: 100, min: 0, max: 3_600_000 }),
    rate: numberOption(values.rate, env, { flag: 'rate', env: 'PRODUCER_RATE', default: 15, min: 0, max: 100_000, integer: false }),
    burst: numberOption(values.burst, env, { flag: 'burst', env: 'PRODUCER_BURST', default: 300, min: 0, max: 10_000_000 }),
    payload: numberOption(values.payload, env, { flag: 'payload', env: 'PAYLOAD_BYTES', default: 100, min: 0, max: 1024 * 1024 }),
    high: numberOption(values.high, env, { flag: 'high', env: 'HIGH_PRIORITY_RATIO', default: 0.05, min: 0, max: 1, integer: false }),
    port: numberOption(values.port, env, { flag: 'port', env: 'SIDECAR_GRPC_PORT', default: 50051, min: 0, max: 65535 }),
    metricsPort: numberOption(values['metrics-port'], env, { flag: 'metrics-port', env: 'SIDECAR_METRICS_PORT', default: 0, min: 0, max: 65535 }),
    verbose: values.verbose,
  };
  return options;
}

function exitWith(code: number, message: string): never {
  process.stderr.write(`\r\x1b[Klab: ${message}\n`);
  process.exit(code);
}

let parsed: LabOptions | 'help';
try {
  parsed = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`lab: ${error.message}\n\n${HELP}`);
  process.exit(2);
}
if (parsed === 'help') {
  process.stdout.write(HELP);
  process.exit(0);
}
const options = parsed;
const echo = options.verbose;

/** The environment every worker of this lab gets. */
const workerEnv = (address: string): Record<string, string | number> => ({
  SIDECAR_ADDRESS: address,
  DELIVERY_MODE: options.mode,
  PREFETCH: options.prefetch,
  PROCESSING_DELAY_MS: options.delay,
  LOG_LEVEL: 'info',
});

let quitting = false;
let sidecar: RunningSidecar;
try {
  sidecar = await startSidecar({
    SIDECAR_GRPC_PORT: options.port,
    SIDECAR_METRICS_PORT: options.metricsPort,
    PRODUCER_RATE: options.rate,
    PRODUCER_BURST: options.burst,
    PAYLOAD_BYTES: options.payload,
    HIGH_PRIORITY_RATIO: options.high,
  }, { echo });
} catch (error) {
  exitWith(1, error instanceof Error ? error.message : String(error));
}
const admin: AdminClient = createAdminClient(sidecar.address);
void sidecar.exited.then((exit) => {
  if (!quitting) exitWith(1, `the sidecar exited (${exit.code ?? exit.signal}): ${failureReason(sidecar.logs, sidecar.rawOutput)}`);
});

// The workers' own checks, run here first: a setting the sidecar would refuse stops the lab at once.
try {
  const limits = await admin.limits();
  const env = Object.fromEntries(Object.entries(workerEnv(sidecar.address)).map(([k, v]) => [k, String(v)]));
  const problems = conflicts(loadWorkerConfig(env), limits);
  if (problems.length > 0) {
    await sidecar.kill();
    exitWith(2, `the sidecar would refuse these workers: ${problems.join('; ')}`);
  }
} catch (error) {
  await sidecar.kill();
  exitWith(1, `could not ask the sidecar for its limits: ${error instanceof Error ? error.message : String(error)}`);
}

const workers: RunningWorker[] = [];
let nextWorker = 1;

function note(message: string): void {
  process.stdout.write(`\r\x1b[K${message}\n`);
}

async function addWorker(stack: Stack = options.stack): Promise<void> {
  const n = nextWorker++;
  const id = `lab-worker-${n}`;
  let worker: RunningWorker;
  try {
    worker = await startWorker(sidecar.address, id, workerEnv(sidecar.address), { echo, stack });
  } catch (error) {
    note(`${id} did not start: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  workers.push(worker);
  note(`started ${worker.workerId} (${stack}, metrics on :${worker.metricsPort})`);
  void worker.exited.then((exit) => {
    const index = workers.indexOf(worker);
    if (index < 0 || quitting) return;
    // Not stopped by the lab: say why, in the worker's own words.
    workers.splice(index, 1);
    note(`${worker.workerId} exited (${exit.code ?? exit.signal}): ${failureReason(worker.logs, worker.rawOutput)}`);
  });
}

async function removeNewest(how: 'stop' | 'kill'): Promise<void> {
  const worker = workers.pop();
  if (!worker) return;
  note(`${how === 'stop' ? 'stopping (SIGTERM)' : 'killing (SIGKILL)'} ${worker.workerId}`);
  const result = how === 'stop' ? await worker.stop() : await worker.kill();
  note(`${worker.workerId} exited (${result.code ?? result.signal})`);
}

const previousAcked = new Map<string, number>();
let lastTick = performance.now();

async function printStatus(): Promise<void> {
  const stats = await admin.stats();
  const now = performance.now();
  const seconds = (now - lastTick) / 1000;
  lastTick = now;
  const depth = stats.queueDepth.map(Number);
  const parts = stats.workers.filter((w) => w.connected || Number(w.inFlight) > 0).map((w) => {
    const acked = Number(w.acked);
    const rate = (acked - (previousAcked.get(w.workerId) ?? acked)) / seconds;
    previousAcked.set(w.workerId, acked);
    return `${w.workerId.replace('lab-worker-', 'w')}: ${w.inFlight} in flight, ${rate.toFixed(1)}/s`;
  });
  const t = stats.totals;
  process.stdout.write(`\r\x1b[Kqueue ${depth.reduce((a, b) => a + b, 0)} (high ${depth[2] ?? 0}) | ${parts.join(' | ') || 'no workers'} | done ${t?.acked ?? 0}, lost ${t?.lost ?? 0}, requeued ${t?.requeued ?? 0}`);
}

async function quit(): Promise<void> {
  if (quitting) return;
  quitting = true;
  clearInterval(statusTimer);
  note('stopping workers and sidecar...');
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  await Promise.all(workers.map((w) => w.stop()));
  const last = await admin.stats().catch(() => undefined);
  admin.close();
  await sidecar.stop();
  if (last?.totals) note(`published ${last.totals.published}, acked ${last.totals.acked}, lost ${last.totals.lost}, requeued ${last.totals.requeued}`);
  process.exit(0);
}

process.on('SIGINT', () => { void quit(); });
process.on('SIGTERM', () => { void quit(); });
process.on('SIGUSR1', () => { void addWorker(); });

note(`lab pid ${process.pid} (kill -USR1 ${process.pid} adds a worker); sidecar on ${sidecar.address}, metrics on :${sidecar.metricsPort}; mode ${options.mode}${options.mode === 'credit' ? ` prefetch ${options.prefetch}` : ''}, ${options.delay} ms per message`);
// "In flight" below is the sidecar's count per worker: sent and not yet acked (stream: receipted).
for (let i = 0; i < options.workers; i++) await addWorker();
for (let i = 0; i < options.pythonWorkers; i++) await addWorker('c-core');
if (process.stdin.isTTY) {
  note('keys: + add worker, - stop newest, k kill newest, q quit');
  process.stdin.setRawMode(true);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (key: string) => {
    if (key === '+' || key === '=') void addWorker();
    else if (key === '-') void removeNewest('stop');
    else if (key === 'k') void removeNewest('kill');
    else if (key === 'q' || key === '\u0003') void quit();
  });
}
const statusTimer = setInterval(() => { printStatus().catch((error: unknown) => { note(`stats failed: ${String(error)}`); }); }, 1000);
