/** The benchmark's command line: parsed and checked once, with errors that say what is accepted. */
import { parseFlags, UsageError } from '../tools/lib/cli.ts';

export const USAGE = `usage: node bench/run.ts [--quick] [--rounds N] [--memory-runs N] [--workers N] [--seconds S] [--only REGEX]
                         [--skip-throughput] [--skip-memory] [--out DIR] [--profile CONTENDER-ID]
       node bench/run.ts --rerender [--out DIR]   rewrite DIR/results.md (and its targets) from DIR/results.json, every ratio derived again from its runs; DIR: bench
`;

export interface BenchSettings {
  readonly rounds: number;
  readonly workers: number;
  /** Each contender's run is sized from its warm-up rate to take about this long. */
  readonly secondsPerRun: number;
  readonly payloadBytes: number;
  readonly memoryRepetitions: number;
  readonly memoryCounts: readonly number[];
  readonly streamWorkers: number;
  readonly inFlightStep: number;
}

export interface BenchOptions {
  readonly help: boolean;
  readonly quick: boolean;
  /** Contenders whose id matches (their baselines run with them). */
  readonly only: RegExp | undefined;
  readonly skipThroughput: boolean;
  readonly skipMemory: boolean;
  readonly out: string | undefined;
  /** Run nothing: rewrite results.md and the targets from results.json in `out` (or bench/). */
  readonly rerender: boolean;
  /** Profile this contender instead of benchmarking. */
  readonly profile: string | undefined;
  readonly settings: BenchSettings;
  /** Every default-sized part runs: only such a run replaces bench/results.*. */
  readonly complete: boolean;
}

/** `contenderIds` are what --only and --profile may name. */
export function parseBenchOptions(argv: readonly string[], contenderIds: readonly string[]): BenchOptions {
  const values = parseFlags(argv, {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'memory-runs': { type: 'string' },
    workers: { type: 'string' },
    seconds: { type: 'string' },
    only: { type: 'string' },
    'skip-throughput': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
    out: { type: 'string' },
    profile: { type: 'string' },
    rerender: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  const quick = values.quick;
  const seconds = values.seconds === undefined ? (quick ? 0.25 : 1) : Number(values.seconds);
  if (!(seconds > 0 && seconds <= 30)) throw new UsageError(`--seconds must be a number in (0, 30], got '${values.seconds ?? ''}'`);
  const settings: BenchSettings = {
    rounds: integer('rounds', values.rounds, quick ? 1 : 7, 1, 100),
    workers: integer('workers', values.workers, 2, 1, 16),
    secondsPerRun: seconds,
    payloadBytes: 100,
    memoryRepetitions: integer('memory-runs', values['memory-runs'], quick ? 1 : 3, 1, 20),
    memoryCounts: quick ? [100_000] : [100_000, 1_000_000],
    streamWorkers: quick ? 20 : 200,
    inFlightStep: quick ? 10_000 : 100_000,
  };

  const only = values.only === undefined ? undefined : onlyPattern(values.only, contenderIds);
  if (values.profile !== undefined && !contenderIds.includes(values.profile)) {
    throw new UsageError(`--profile: no contender '${values.profile}'; one of: ${contenderIds.join(', ')}`);
  }
  if (values.out === '') throw new UsageError('--out needs a directory');
  if (values.rerender) {
    const measuring = ['quick', 'rounds', 'memory-runs', 'workers', 'seconds', 'only', 'skip-throughput', 'skip-memory', 'profile']
      .filter((name) => values[name as keyof typeof values] !== undefined && values[name as keyof typeof values] !== false);
    if (measuring.length > 0) throw new UsageError(`--rerender runs nothing, so it takes only --out; drop ${measuring.map((n) => `--${n}`).join(', ')}`);
  }
  if (values.profile === undefined && values['skip-throughput'] && values['skip-memory']) {
    throw new UsageError('--skip-throughput and --skip-memory together leave nothing to run');
  }
  return {
    help: values.help,
    quick,
    only,
    skipThroughput: values['skip-throughput'],
    skipMemory: values['skip-memory'],
    out: values.out,
    profile: values.profile,
    rerender: values.rerender,
    settings,
    complete: !quick && only === undefined && !values['skip-throughput'] && !values['skip-memory'] &&
      values.rounds === undefined && values.workers === undefined && values.seconds === undefined && values['memory-runs'] === undefined,
  };
}

/** An --only pattern: a regular expression that matches at least one of `contenderIds`, or a UsageError saying why not. */
export function onlyPattern(raw: string, contenderIds: readonly string[]): RegExp {
  let pattern: RegExp;
  try {
    pattern = new RegExp(raw);
  } catch (error) {
    throw new UsageError(`--only: not a regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!contenderIds.some((id) => pattern.test(id))) {
    throw new UsageError(`--only '${raw}' matches no contender; the contenders are: ${contenderIds.join(', ')}`);
  }
  return pattern;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}..${max}, got '${raw}'`);
  return n;
}
