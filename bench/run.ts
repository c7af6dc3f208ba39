/**
 * `npm run bench`: the lab's own cost against bare grpc-js, in one
 * invocation (docs/benchmarks.md explains the method and every row).
 *
 *   node bench/run.ts                 full run (~10 min on a 2-core machine): throughput rounds, then memory
 *   node bench/run.ts --quick         smoke run (~40 s): six contenders, one round, small memory scenarios
 *   node bench/run.ts --profile stream/shipped
 *                                     CPU-profile the server and a worker of one contender, say where the time goes
 *   node bench/run.ts --rerender      rewrite bench/results.md and its targets from bench/results.json (ratios derived again from the runs)
 *
 * Throughput: every contender (a server and its worker processes) is started
 * once and paused (SIGSTOP); rounds then resume and time each contender in
 * turn, the order rotated every round, so drift of a shared machine lands on
 * all of them. Memory: fresh sidecars, one scenario at a time, after the
 * throughput runs.
 *
 * A default run (no flag but --out) writes bench/results.json and
 * bench/results.md; any narrowed or resized run writes under reports/bench/
 * (git-ignored) unless --out says otherwise. Flags: bench/options.ts.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { UsageError } from '../tools/lib/cli.ts';
import { allContenders, QUICK_IDS, withBaselines, type ContenderSpec } from './contenders.ts';
import { summarizeProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { startOtlpSink, type OtlpSink } from './lib/otlp-sink.ts';
import { loadAverage } from './lib/proc.ts';
import { summarize } from './lib/summary.ts';
import { measureMemory, type MemoryRuns } from './memory.ts';
import { parseBenchOptions, USAGE, type BenchOptions } from './options.ts';
import { benchMarkdown, memoryResults, rederiveThroughput, targets, throughputResults, type BenchMeta, type MemoryResult, type RunRecord, type ThroughputResult } from './report.ts';
import { startContender, type ContenderOptions, type Run, type RunningContender } from './throughput.ts';

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2), allContenders().map((s) => s.id));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const { quick, settings } = options;
if (options.rerender) {
  const dir = options.out ?? join(REPO_ROOT, 'bench');
  const file = join(dir, 'results.json');
  let saved: { meta: BenchMeta; throughput: ThroughputResult[]; memory: MemoryResult[] };
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
  } catch (error) {
    process.stderr.write(`bench: --rerender: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  writeResults(dir, 'results', saved.meta, rederiveThroughput(saved.throughput, allContenders()), saved.memory);
  console.log(join(dir, 'results.md'));
  process.exit(0);
}

const began = performance.now();
const elapsed = (): string => `${((performance.now() - began) / 1000).toFixed(0)}s`;
const log = (line: string): void => { console.error(`[bench ${elapsed()}] ${line}`); };
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

/**
 * Warms a contender up (JIT, connections, heap) and sizes its runs: warm-up
 * runs of about half a second each, for WARMUP_SECONDS in all, then runs
 * sized from the last warm-up rate to take `secondsPerRun`. A cold process
 * is several times slower than a warm one, so this matters more than it seems.
 */
async function calibrate(contender: RunningContender): Promise<number> {
  const warmupSeconds = quick ? 0.5 : 2.5;
  let spent = 0;
  let size = 300;
  const rates: number[] = [];
  for (let i = 0; i < 12 && (i < 3 || spent < warmupSeconds); i++) {
    const run = await contender.run(size);
    spent += run.seconds;
    rates.push(run.messages / run.seconds);
    size = clampRun((rates[rates.length - 1] ?? 0) * 0.5);
  }
  // The median of the last three warm-up rates: one slow moment of a shared machine should not size every run.
  return clampRun(summarize(rates.slice(-3)).median * settings.secondsPerRun);
}

/** Whole thousands (hundreds below 10,000), 300..500,000. */
function clampRun(n: number): number {
  const step = n < 10_000 ? 100 : 1_000;
  return Math.min(500_000, Math.max(300, Math.round(n / step) * step));
}

function record(round: number, run: Run): RunRecord {
  return {
    round,
    messages: run.messages,
    seconds: run.seconds,
    rate: run.messages / run.seconds,
    serverCpuMicrosPerMessage: (run.serverCpuSeconds * 1e6) / run.messages,
    clientCpuMicrosPerMessage: (run.clientCpuSeconds * 1e6) / run.messages,
    anomalies: run.anomalies,
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

function selectedContenders(): ContenderSpec[] {
  let specs = allContenders();
  const { only } = options;
  if (only !== undefined) {
    specs = specs.filter((s) => only.test(s.id));
  } else if (quick) {
    specs = specs.filter((s) => QUICK_IDS.includes(s.id));
  }
  return withBaselines(specs);
}

interface ThroughputOutcome {
  specs: ContenderSpec[];
  runs: Map<string, RunRecord[]>;
  failures: Map<string, string[]>;
  sizes: Map<string, number>;
  /** The 1-minute load average as each round began. */
  loadPerRound: number[];
}

async function runThroughput(sink: OtlpSink): Promise<ThroughputOutcome> {
  const specs = selectedContenders();
  const options: ContenderOptions = { workers: settings.workers, payloadBytes: settings.payloadBytes, sinkEndpoint: sink.endpoint };
  const runs = new Map<string, RunRecord[]>();
  const failures = new Map<string, string[]>();
  const sizes = new Map<string, number>();
  const loadPerRound: number[] = [];
  const fail = (id: string, error: unknown): void => {
    const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
    log(`${id}: FAILED ${message}`);
    failures.set(id, [...(failures.get(id) ?? []), message]);
  };

  log(`starting ${specs.length} contenders (${settings.workers} worker processes each); each is paused (SIGSTOP) until its turn`);
  const started = await mapLimit(specs, 2, async (spec) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const contender = await startContender(spec, options);
        contender.pause();
        return contender;
      } catch (error) {
        if (attempt < 2) {
          log(`${spec.id}: start failed, retrying (${error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)})`);
          continue;
        }
        fail(spec.id, error);
        return undefined;
      }
    }
  });
  const live = started.filter((c): c is RunningContender => c !== undefined);
  /** Resumes a contender for one run and pauses it again. */
  const turn = async <T>(contender: RunningContender, f: () => Promise<T>): Promise<T> => {
    await contender.resume();
    try {
      return await f();
    } finally {
      contender.pause();
    }
  };
  try {
    log(`${live.length} contenders up, ${live.reduce((n, c) => n + c.pids.length, 0)} processes`);
    const active = new Set<RunningContender>();
    for (const contender of live) {
      try {
        const size = await turn(contender, () => calibrate(contender));
        sizes.set(contender.spec.id, size);
        active.add(contender);
        log(`${contender.spec.id}: ${size.toLocaleString('en-US')} messages per run`);
      } catch (error) {
        fail(contender.spec.id, error);
      }
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = live.filter((c) => active.has(c));
      const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
      loadPerRound.push(loadAverage()[0]);
      log(`round ${round + 1}/${settings.rounds}, load ${loadAverage()[0].toFixed(2)}`);
      for (const contender of rotated) {
        const id = contender.spec.id;
        try {
          const run = record(round, await turn(contender, () => contender.run(sizes.get(id) ?? 1_000)));
          runs.set(id, [...(runs.get(id) ?? []), run]);
          log(`  ${id.padEnd(28)} ${Math.round(run.rate).toLocaleString('en-US').padStart(9)} msg/s  server ${run.serverCpuMicrosPerMessage.toFixed(1)} µs/msg${run.anomalies.length > 0 ? `  (${run.anomalies.join(', ')})` : ''}`);
        } catch (error) {
          // A run that did not finish leaves messages behind; the next would count them.
          fail(id, error);
          active.delete(contender);
        }
      }
    }
    return { specs, runs, failures, sizes, loadPerRound };
  } finally {
    // A stopped process acts on SIGTERM only once it continues.
    for (const c of live) c.continue();
    await Promise.all(live.map((c) => c.stop().catch((error: unknown) => { fail(c.spec.id, error); })));
  }
}

async function runProfile(sink: OtlpSink, id: string): Promise<void> {
  const spec = allContenders().find((s) => s.id === id);
  // parseBenchOptions accepts only contender ids.
  if (!spec) throw new Error(`no contender '${id}'`);
  const dir = join(REPO_ROOT, 'reports', 'bench-profiles', `${id.replace('/', '-')}-${Date.now()}`);
  const serverDir = join(dir, 'server');
  const workerDir = join(dir, 'workers');
  mkdirSync(serverDir, { recursive: true });
  mkdirSync(workerDir, { recursive: true });
  log(`profiling ${id} (server and workers); profiles in ${dir}`);
  const contender = await startContender(spec, {
    workers: settings.workers,
    payloadBytes: settings.payloadBytes,
    sinkEndpoint: sink.endpoint,
    serverNodeOptions: `--cpu-prof --cpu-prof-dir=${serverDir}`,
    clientNodeOptions: `--cpu-prof --cpu-prof-dir=${workerDir}`,
  });
  const windows: (readonly [number, number])[] = [];
  const runs: Run[] = [];
  try {
    const size = await calibrate(contender);
    for (let i = 0; i < settings.rounds; i++) {
      const run = await contender.run(size);
      windows.push(run.window);
      runs.push(run);
      log(`  run ${i + 1}: ${Math.round(run.messages / run.seconds).toLocaleString('en-US')} msg/s (profiler on)`);
    }
  } finally {
    await contender.stop();
  }
  const messages = runs.reduce((n, r) => n + r.messages, 0);
  const profiles = (where: string): string[] => readdirSync(where).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(where, f));
  const [serverProfile] = profiles(serverDir);
  const [workerProfile] = profiles(workerDir);
  if (serverProfile === undefined) throw new Error(`no .cpuprofile written in ${serverDir}`);
  const rates = runs.map((r) => r.messages / r.seconds);
  const md = [
    profileMarkdown(`server of ${id}`, summarizeProfile(serverProfile, windows), rates, (runs.reduce((n, r) => n + r.serverCpuSeconds, 0) * 1e6) / messages, serverProfile),
    workerProfile === undefined ? '' : profileMarkdown(`one of the ${settings.workers} workers of ${id}`, summarizeProfile(workerProfile, windows), rates, (runs.reduce((n, r) => n + r.clientCpuSeconds, 0) * 1e6) / messages, workerProfile),
  ].join('\n');
  writeFileSync(join(dir, 'summary.md'), md);
  console.log(md);
}

function profileMarkdown(what: string, s: ProfileSummary, rates: readonly number[], cpuMicros: number, file: string): string {
  const table = (rows: ProfileSummary['topSelf']): string[] => [
    '| where | ms | share of busy time |',
    '|---|--:|--:|',
    ...rows.map((r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)} % |`),
  ];
  return [
    `## CPU profile: ${what}`,
    '',
    `${rates.length} runs, ${rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')} msg/s with the profiler on; ${cpuMicros.toFixed(1)} µs of ${what.startsWith('server') ? 'server' : 'worker (all workers together)'} CPU per message.`,
    `Samples ${s.windowed ? 'inside the timed runs' : 'of the whole process (no sample fell inside the runs)'}: ${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle. Profile: \`${file}\`.`,
    '',
    '### Self time by package',
    '',
    ...table(s.byPackage),
    '',
    '### Self time by function (top)',
    '',
    ...table(s.topSelf),
    '',
    '### Inclusive time of the lab\'s own functions',
    '',
    ...table(s.labInclusive),
    '',
  ].join('\n');
}

// ---- main ----

const [load1] = loadAverage();
log(`load average ${loadAverage().map((n) => n.toFixed(2)).join(' ')} on ${cpus().length} cores`);
const sink = await startOtlpSink();
try {
  if (options.profile !== undefined) {
    await runProfile(sink, options.profile);
  } else {
    const throughput = options.skipThroughput ? undefined : await runThroughput(sink);
    let memoryRuns: MemoryRuns = new Map();
    if (!options.skipMemory) {
      log('memory');
      memoryRuns = await measureMemory({
        sinkEndpoint: sink.endpoint,
        repetitions: settings.memoryRepetitions,
        counts: settings.memoryCounts,
        streamWorkers: settings.streamWorkers,
        inFlightStep: settings.inFlightStep,
        log,
      });
    }
    const throughputRows = throughput ? throughputResults(throughput.specs, throughput.runs, throughput.failures, throughput.sizes) : [];
    const memoryRows = memoryResults(memoryRuns, settings.memoryCounts, settings.streamWorkers);
    const command = `node bench/run.ts${process.argv.slice(2).map((a) => ` ${a}`).join('')}`;
    const meta: BenchMeta = {
      command,
      date: new Date().toISOString(),
      node: process.version,
      grpcJs: await packageVersion('@grpc/grpc-js'),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryBytes: totalmem(),
      loadAverageAtStart: load1,
      loadAverageAtEnd: loadAverage()[0],
      loadAverageEachRound: throughput?.loadPerRound ?? [],
      durationSeconds: (performance.now() - began) / 1000,
      settings,
      otlpSink: sink.received,
    };

    const { complete, out } = options;
    const outDir = out ?? (complete ? join(REPO_ROOT, 'bench') : join(REPO_ROOT, 'reports', 'bench'));
    mkdirSync(outDir, { recursive: true });
    const base = complete || out !== undefined ? 'results' : quick ? 'results.quick' : 'results.partial';
    console.log(writeResults(outDir, base, meta, throughputRows, memoryRows));
    log(`wrote ${join(outDir, `${base}.json`)} and ${base}.md`);
  }
} finally {
  await sink.close();
}

/** Writes `<base>.json` and `<base>.md` in `dir`, the targets derived from the rows; returns the markdown. */
function writeResults(dir: string, base: string, meta: BenchMeta, throughputRows: readonly ThroughputResult[], memoryRows: readonly MemoryResult[]): string {
  const targetRows = targets(throughputRows, memoryRows);
  const markdown = benchMarkdown(meta, targetRows, throughputRows, memoryRows);
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify({ meta, targets: targetRows, throughput: throughputRows, memory: memoryRows }, null, 2)}\n`);
  writeFileSync(join(dir, `${base}.md`), markdown);
  return markdown;
}

async function packageVersion(name: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
