/**
 * `npm run experiment`: replays the scripted scenarios (scenarios/index.ts)
 * on each variant (delivery mode × worker stack × queue) against a sidecar
 * and workers it starts and stops itself, then writes results.json,
 * report.md and the charts.
 *
 *   npm run experiment                                   the default profile (100 ms of work per message)
 *   npm run experiment -- --quick                        scaled down: a few minutes
 *   npm run experiment -- --scenario hoard,kill --mode stream,poll --stack grpc-js --out reports/mine
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
import { parseRunOptions, USAGE, type RunOptions } from './options.ts';
import { PROFILES } from './profiles.ts';
import { readResults, rewriteReport, writeReport } from './report/write.ts';
import { RESULTS_SCHEMA, type Environment, type Results } from './results.ts';
import { runScenarios } from './run-scenarios.ts';
import { stopBrokers } from './variants/queues.ts';
import { derive } from './summary/derive.ts';
import { mergeUpdate, updateRefusal } from './update.ts';
import { variantsOf } from './variants/variant.ts';

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
  if (options.update) args.push('--update');
  if (argv.some((a) => a.startsWith('--scenario'))) args.push('--scenario', options.scenarios.join(','));
  if (argv.some((a) => a.startsWith('--mode'))) args.push('--mode', options.modes.join(','));
  if (argv.some((a) => a.startsWith('--stack'))) args.push('--stack', options.stacks.join(','));
  if (argv.some((a) => a.startsWith('--queue'))) args.push('--queue', options.queues.join(','));
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
    process.stdout.write(`${shownPath(options)}/report.md\n`);
    return 0;
  }
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    process.stderr.write(`experiment: needs Node 24 (this is ${process.versions.node}); run it through npm run experiment, which uses the project's Node.\n`);
    return 2;
  }
  const profile = PROFILES[options.profile];
  // --update: read what is to be kept before running anything, so a wrong folder fails at once.
  const earlier = options.update ? readResults(options.outDir) : undefined;
  const refusal = earlier && updateRefusal(earlier, options);
  if (refusal) {
    process.stderr.write(`experiment: --update: ${options.outDir} ${refusal}\n`);
    return 2;
  }
  const loadStart = loadavg()[0] ?? 0;
  const began = nowMs();
  const progress = createProgress();
  const receiver = await startOtlpReceiver();

  process.stderr.write(`experiment: ${options.profile} profile; scenarios ${options.scenarios.join(', ')}; modes ${options.modes.join(', ')}; stacks ${options.stacks.join(', ')}; queues ${options.queues.join(', ')}\n`);
  let ran: Awaited<ReturnType<typeof runScenarios>>;
  try {
    ran = await runScenarios(options, { profile, receiver, progress });
  } finally {
    progress.end();
    await receiver.close();
    await stopBrokers();
  }

  const fresh: Omit<Results, 'summary' | 'conclusion'> = {
    schema: RESULTS_SCHEMA,
    generatedAt: new Date().toISOString(),
    command: commandLine(argv, options),
    profile,
    environment: environment(loadStart),
    variants: variantsOf(options.modes, options.stacks, options.queues),
    scenarios: ran.scenarios,
    failures: ran.failures,
    durationS: round((nowMs() - began) / 1000, 1),
  };
  const results = derive(earlier ? mergeUpdate(earlier, fresh, options) : fresh);
  await writeReport(options.outDir, results);
  process.stderr.write(`experiment: done in ${results.durationS} s${ran.failures.length > 0 ? `, ${ran.failures.length} scenario run(s) failed` : ''}\n`);
  process.stdout.write(`${shownPath(options)}/report.md\n`);
  return ran.failures.length > 0 ? 1 : 0;
}

/** Where the run went, as the user gave it: absolute for an absolute --out, else relative to here. */
function shownPath(options: RunOptions): string {
  return options.outAbsolute ? options.outDir : relative(process.cwd(), options.outDir) || '.';
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`experiment: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
