/**
 * The local lab: one sidecar and N workers as processes on this machine, no
 * Docker. Prints a status line every second; keys add, stop or kill workers
 * so a scale-out (or a crash) can be watched by hand. Ctrl-C stops
 * everything with SIGTERM.
 *
 *   npm run lab -- --workers 3 --mode stream --rate 20 --burst 500
 *   WORKERS=3 MODE=credit PREFETCH=10 make lab
 */
import { parseArgs } from 'node:util';
import { DELIVERY_MODES, type DeliveryMode } from '@backlog-lab/common/modes';
import { startSidecar, startWorker, type RunningWorker } from './lib/processes.ts';
import { createAdminClient } from './lib/queue-client.ts';

const HELP = `Usage: npm run lab -- [options]   (or: make lab WORKERS=3 MODE=stream)

  --workers N        workers to start (env WORKERS, default 2)
  --mode M           stream | credit | poll (env MODE, default stream)
  --prefetch N       credit mode prefetch (env PREFETCH, default 1)
  --delay MS         processing delay per message (env PROCESSING_DELAY_MS, default 100)
  --rate R           built-in producer, messages/s (env PRODUCER_RATE, default 15)
  --burst N          messages published at start (env PRODUCER_BURST, default 300)
  --payload BYTES    payload size (env PAYLOAD_BYTES, default 100)
  --high RATIO       share of high-priority messages 0..1 (env HIGH_PRIORITY_RATIO, default 0.05)
  --port P           sidecar gRPC port (env SIDECAR_GRPC_PORT, default 50051)
  --verbose          print every process's log lines

Keys while running: + add a worker, - stop the newest (SIGTERM), k kill the
newest (SIGKILL), q or Ctrl-C quit. SIGUSR1 also adds a worker.
`;

interface LabOptions {
  workers: number;
  mode: DeliveryMode;
  prefetch: number;
  delay: number;
  rate: number;
  burst: number;
  payload: number;
  high: number;
  port: number;
  verbose: boolean;
}

function fail(message: string): never {
  process.stderr.write(`lab: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseOptions(): LabOptions {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        workers: { type: 'string' }, mode: { type: 'string' }, prefetch: { type: 'string' }, delay: { type: 'string' },
        rate: { type: 'string' }, burst: { type: 'string' }, payload: { type: 'string' }, high: { type: 'string' },
        port: { type: 'string' }, verbose: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const env = process.env;
  const int = (flag: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) fail(`--${flag} must be ${min}..${max}, got '${raw}'`);
    return n;
  };
  const mode = values.mode ?? env.MODE ?? 'stream';
  if (!DELIVERY_MODES.includes(mode as DeliveryMode)) fail(`--mode must be one of ${DELIVERY_MODES.join('|')}, got '${mode}'`);
  return {
    workers: int('workers', values.workers ?? env.WORKERS, 2, 0, 50),
    mode: mode as DeliveryMode,
    prefetch: int('prefetch', values.prefetch ?? env.PREFETCH, 1, 1, 100_000),
    delay: int('delay', values.delay ?? env.PROCESSING_DELAY_MS, 100, 0, 3_600_000),
    rate: int('rate', values.rate ?? env.PRODUCER_RATE, 15, 0, 100_000),
    burst: int('burst', values.burst ?? env.PRODUCER_BURST, 300, 0, 10_000_000),
    payload: int('payload', values.payload ?? env.PAYLOAD_BYTES, 100, 0, 1024 * 1024),
    high: int('high', values.high ?? env.HIGH_PRIORITY_RATIO, 0.05, 0, 1),
    port: int('port', values.port ?? env.SIDECAR_GRPC_PORT, 50051, 1, 65535),
    verbose: values.verbose,
  };
}

const options = parseOptions();
const echo = options.verbose;
const sidecar = await startSidecar({
  SIDECAR_GRPC_PORT: options.port,
  SIDECAR_METRICS_PORT: 9464,
  PRODUCER_RATE: options.rate,
  PRODUCER_BURST: options.burst,
  PAYLOAD_BYTES: options.payload,
  HIGH_PRIORITY_RATIO: options.high,
}, { echo });
const admin = createAdminClient(sidecar.address);
const workers: RunningWorker[] = [];
let nextWorker = 1;

async function addWorker(): Promise<void> {
  const n = nextWorker++;
  const worker = await startWorker(sidecar.address, `lab-worker-${n}`, {
    DELIVERY_MODE: options.mode,
    PREFETCH: options.prefetch,
    PROCESSING_DELAY_MS: options.delay,
    WORKER_METRICS_PORT: 9464 + n,
    WORKER_HEALTH_PORT: 0,
    LOG_LEVEL: 'info',
  }, { echo });
  workers.push(worker);
  note(`started ${worker.workerId} (metrics on :${worker.metricsPort})`);
}

function note(message: string): void {
  process.stdout.write(`\r\x1b[K${message}\n`);
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

let quitting = false;
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

note(`sidecar on ${sidecar.address} (metrics :${sidecar.metricsPort}); mode ${options.mode}${options.mode === 'credit' ? ` prefetch ${options.prefetch}` : ''}, ${options.delay} ms per message`);
for (let i = 0; i < options.workers; i++) await addWorker();
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
