/**
 * `npm run experiment`: replays the scripted scenarios of DESIGN.md section 6
 * in each delivery mode against a sidecar and workers it starts and stops
 * itself, then writes results.json, report.md and the charts.
 *
 *   npm run experiment                                   the default profile (100 ms of work per message)
 *   npm run experiment -- --quick                        scaled down: a few minutes
 *   npm run experiment -- --scenario hoard,kill --mode stream,poll --out reports/mine
 *
 * Progress goes to stderr; the report's path to stdout. Exit status: 0 when
 * every scenario ran, 1 when one failed (the report says which), 2 for bad flags.
 */
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { relative } from 'node:path';
import { startOtlpReceiver } from '@backlog-lab/harness/otlp-receiver';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { UsageError } from '../tools/lib/cli.ts';
import { round } from './lib/distribution.ts';
import { nowMs } from './lib/lab.ts';
import { createProgress } from './lib/progress.ts';
import { grpcJsVersion } from './model.ts';
import type { ModeId } from './modes.ts';
import { parseRunOptions, USAGE, type RunOptions, type ScenarioId } from './options.ts';
import { PROFILES } from './profiles.ts';
import { rewriteReport, writeReport } from './report/write.ts';
import { RESULTS_SCHEMA, type Environment, type Failure, type HoardRun, type KillRun, type PriorityRun, type Results, type ScaleOutRun, type SizeSweep } from './results.ts';
import type { RunContext } from './scenarios/context.ts';
import { runHoard } from './scenarios/hoard.ts';
import { runKill } from './scenarios/kill.ts';
import { runPriority } from './scenarios/priority.ts';
import { runScaleOut } from './scenarios/scale-out.ts';
import { runSizeSweep } from './scenarios/size-sweep.ts';
import { conclude, summarize } from './summary.ts';

const PER_MODE: Readonly<Record<Exclude<ScenarioId, 'size-sweep'>, (ctx: RunContext, mode: ModeId) => Promise<unknown>>> = {
  'hoard': runHoard,
  'scale-out': runScaleOut,
  'priority': runPriority,
  'kill': runKill,
};

function parseOrExit(argv: readonly string[]): RunOptions {
  try {
    return parseRunOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`experiment: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

function environment(loadAverageStart: number): Environment {
  const cpu = cpus();
  return {
    node: process.versions.node,
    grpcJs: grpcJsVersion(),
    os: `${osType()} ${release()}`,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    loadAverageStart: round(loadAverageStart, 2),
    loadAverageEnd: round(loadavg()[0] ?? 0, 2),
  };
}

/** How to run this again, as a reader would type it. */
function commandLine(argv: readonly string[], options: RunOptions): string {
  const args: string[] = [];
  if (options.profile === 'quick') args.push('--quick');
  if (argv.some((a) => a.startsWith('--scenario'))) args.push('--scenario', options.scenarios.join(','));
  if (argv.some((a) => a.startsWith('--mode'))) args.push('--mode', options.modes.join(','));
  const out = relative(REPO_ROOT, options.outDir);
  args.push('--out', out === '' ? '.' : out.startsWith('..') ? options.outDir : out);
  return `npm run experiment -- ${args.join(' ')}`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const options = parseOrExit(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.rerender) {
    await rewriteReport(options.outDir);
    process.stdout.write(`${relative(process.cwd(), options.outDir) || '.'}/report.md\n`);
    return 0;
  }
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    process.stderr.write(`experiment: needs Node 24 (this is ${process.versions.node}); run it through npm run experiment, which uses the project's Node.\n`);
    return 2;
  }
  const profile = PROFILES[options.profile];
  const loadStart = loadavg()[0] ?? 0;
  const began = nowMs();
  const progress = createProgress();
  const receiver = await startOtlpReceiver();
  const ctx: RunContext = { profile, receiver, progress };
  const failures: Failure[] = [];
  const measured = { hoard: [] as HoardRun[], scaleOut: [] as ScaleOutRun[], priority: [] as PriorityRun[], kill: [] as KillRun[], sizeSweep: null as SizeSweep | null };
  const sinks: Record<Exclude<ScenarioId, 'size-sweep'>, unknown[]> = { 'hoard': measured.hoard, 'scale-out': measured.scaleOut, 'priority': measured.priority, 'kill': measured.kill };

  process.stderr.write(`experiment: ${options.profile} profile; scenarios ${options.scenarios.join(', ')}; modes ${options.modes.join(', ')}\n`);
  try {
    for (const scenario of options.scenarios) {
      if (scenario === 'size-sweep') {
        try {
          measured.sizeSweep = await runSizeSweep(ctx);
          progress.note(`size-sweep: ${measured.sizeSweep.points.map((p) => `${p.payloadBytes}B/${p.windowOption || 'default'} ${p.measured} (model ${p.model})`).join(', ')}`);
        } catch (error) {
          failures.push(recordFailure(progress, scenario, 'stream', error));
        }
        continue;
      }
      for (const mode of options.modes) {
        try {
          const run = await PER_MODE[scenario](ctx, mode);
          sinks[scenario].push(run);
          progress.note(`${scenario} · ${mode}: done (max in transit ${(run as { maxInTransit: number }).maxInTransit})`);
        } catch (error) {
          failures.push(recordFailure(progress, scenario, mode, error));
        }
        // Each scenario's spans are read when it ends; drop them so memory stays flat.
        receiver.spans.length = 0;
      }
    }
  } finally {
    progress.end();
    await receiver.close();
  }

  const summary = summarize(options.modes, measured);
  const results: Results = {
    schema: RESULTS_SCHEMA,
    generatedAt: new Date().toISOString(),
    command: commandLine(argv, options),
    profile,
    environment: environment(loadStart),
    modes: options.modes,
    scenarios: options.scenarios,
    ...measured,
    summary,
    conclusion: conclude(summary, measured, profile.payloadBytes),
    failures,
    durationS: round((nowMs() - began) / 1000, 1),
  };
  await writeReport(options.outDir, results);
  process.stderr.write(`experiment: done in ${results.durationS} s${failures.length > 0 ? `, ${failures.length} scenario run(s) failed` : ''}\n`);
  process.stdout.write(`${relative(process.cwd(), options.outDir) || '.'}/report.md\n`);
  return failures.length > 0 ? 1 : 0;
}

function recordFailure(progress: ReturnType<typeof createProgress>, scenario: ScenarioId, mode: ModeId, error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  progress.note(`${scenario} · ${mode}: FAILED: ${message.split('\n')[0] ?? ''}`);
  return { scenario, mode, error: message.slice(0, 2000) };
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`experiment: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
