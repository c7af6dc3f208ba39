/**
 * What a change bought: the bench's contenders from two trees, run
 * interleaved on this machine, as ratios of this tree to the other.
 *
 *   node bench/compare.ts <git-ref> [--only REGEX] [--pairs N] [--rounds N] [--quick]
 *   npm run bench:compare -- HEAD~1
 *
 * The other tree is a detached `git worktree` of <ref> with a copy of this
 * tree's node_modules (so both must have the same package-lock.json). Each
 * pair runs `bench/run.ts --only REGEX --rounds N --skip-memory` once in
 * each tree, the order swapped from one pair to the next so a machine
 * slowing down or speeding up falls on both alike. Each tree's run has its
 * own bare grpc-js baselines, so besides the raw rates the comparison gives
 * each contender's ratio to its own baseline, this tree's over the other's:
 * the figure that moves least with the machine. Writes
 * reports/bench-compare/<ref>-<time>.md and prints it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { numberOption, parseFlagsAndPositionals, UsageError } from '../tools/lib/cli.ts';
import { allContenders } from './contenders.ts';
import { onlyPattern } from './options.ts';
import { summarize, type Summary } from './lib/summary.ts';
import type { ThroughputResult } from './report.ts';

const DEFAULT_ONLY = '^(stream|credit-1|credit-100|poll)/shipped$';
export const COMPARE_USAGE = `usage: node bench/compare.ts <git-ref> [--only REGEX] [--pairs N] [--rounds N] [--quick]
  runs the bench's contenders matching REGEX (default ${DEFAULT_ONLY}) in this tree
  and in <ref>, interleaved: N pairs (default 3) of one bench run per tree, each of --rounds
  rounds (default 2); --quick: the bench's smoke-sized runs
`;

export interface CompareOptions {
  readonly ref: string;
  readonly only: string;
  readonly pairs: number;
  /** Rounds of each bench run; a tree's figures in a pair are that run's medians. */
  readonly rounds: number;
  readonly quick: boolean;
}

/** `contenderIds`: this tree's, which --only must match. */
export function parseCompareOptions(argv: readonly string[], contenderIds: readonly string[]): CompareOptions {
  const { values, positionals } = parseFlagsAndPositionals(argv, {
    only: { type: 'string' }, pairs: { type: 'string' }, rounds: { type: 'string' }, quick: { type: 'boolean', default: false },
  });
  const [ref, ...extra] = positionals;
  if (ref === undefined || ref === '') throw new UsageError('name the tree to compare with: a git ref (a commit, a branch, HEAD~1)');
  if (extra.length > 0) throw new UsageError(`one git ref, got ${positionals.length}: ${positionals.join(' ')}`);
  const only = values.only ?? DEFAULT_ONLY;
  onlyPattern(only, contenderIds);
  return {
    ref,
    only,
    pairs: numberOption(values.pairs, {}, { flag: 'pairs', default: 3, min: 1, max: 20 }),
    rounds: numberOption(values.rounds, {}, { flag: 'rounds', default: 2, min: 1, max: 20 }),
    quick: values.quick,
  };
}

/** One tree's figures for one contender in one pair. */
export interface TreeFigures {
  readonly rate: number;
  /** Rate over the same run's baseline (null for a baseline). */
  readonly rateRatio: number | null;
  /** That baseline's id: the two trees' ratios are compared only when they divide by the same contender. */
  readonly baseline: string | null;
  readonly serverCpuMicros: number;
  readonly clientCpuMicros: number;
}

export interface ContenderComparison {
  readonly id: string;
  readonly pairs: number;
  readonly here: Summary;
  readonly there: Summary;
  /** This tree's over the other's, pair by pair. */
  readonly rate: Summary;
  readonly rateRatio: Summary | null;
  readonly serverCpu: Summary;
  readonly clientCpu: Summary;
}

/** Pairs each contender's figures by pair number; a contender only one tree ran is left out (and named). */
export function compare(here: readonly ReadonlyMap<string, TreeFigures>[], there: readonly ReadonlyMap<string, TreeFigures>[]): { rows: ContenderComparison[]; onlyOneTree: string[] } {
  const ids = new Set([...here, ...there].flatMap((m) => [...m.keys()]));
  const rows: ContenderComparison[] = [];
  const onlyOneTree: string[] = [];
  for (const id of ids) {
    const paired: [TreeFigures, TreeFigures][] = [];
    for (let i = 0; i < Math.min(here.length, there.length); i++) {
      const a = here[i]?.get(id);
      const b = there[i]?.get(id);
      if (a && b) paired.push([a, b]);
    }
    if (paired.length === 0) {
      onlyOneTree.push(id);
      continue;
    }
    const ratios = paired.flatMap(([a, b]) => (a.rateRatio !== null && b.rateRatio !== null && a.baseline === b.baseline ? [a.rateRatio / b.rateRatio] : []));
    rows.push({
      id,
      pairs: paired.length,
      here: summarize(paired.map(([a]) => a.rate)),
      there: summarize(paired.map(([, b]) => b.rate)),
      rate: summarize(paired.map(([a, b]) => a.rate / b.rate)),
      rateRatio: ratios.length > 0 ? summarize(ratios) : null,
      serverCpu: summarize(paired.map(([a, b]) => a.serverCpuMicros / b.serverCpuMicros)),
      clientCpu: summarize(paired.map(([a, b]) => a.clientCpuMicros / b.clientCpuMicros)),
    });
  }
  return { rows, onlyOneTree };
}

const spread = (s: Summary, digits = 2): string => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const rate = (s: Summary): string => Math.round(s.median).toLocaleString('en-US');

export function compareMarkdown(title: string, result: ReturnType<typeof compare>): string {
  const lines = [
    title,
    '',
    'Each ratio is this tree over the other, pair by pair: median (min–max). "x own baseline" divides each tree\'s rate by the bare grpc-js baseline of its own run first ("-" where the trees divide by different baselines). CPU ratios below 1 are savings.',
    '',
    '| contender | pairs | msg/s here | msg/s there | rate | x own baseline | server CPU/msg | client CPU/msg |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    ...result.rows.map((r) => `| ${r.id} | ${r.pairs} | ${rate(r.here)} | ${rate(r.there)} | ${spread(r.rate)} | ${r.rateRatio ? spread(r.rateRatio) : '-'} | ${spread(r.serverCpu)} | ${spread(r.clientCpu)} |`),
  ];
  if (result.onlyOneTree.length > 0) lines.push('', `Run in one tree only (not compared): ${result.onlyOneTree.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

function figuresOf(resultsJson: string): Map<string, TreeFigures> {
  const parsed = JSON.parse(readFileSync(resultsJson, 'utf8')) as { throughput: ThroughputResult[] };
  return new Map(parsed.throughput.map((t) => [t.id, {
    rate: t.rate.median,
    rateRatio: t.rateRatio?.median ?? null,
    baseline: t.baseline,
    serverCpuMicros: t.serverCpuMicrosPerMessage.median,
    clientCpuMicros: t.clientCpuMicrosPerMessage.median,
  }]));
}

const git = (...args: string[]): string => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function log(line: string): void {
  process.stderr.write(`[compare] ${line}\n`);
}

/** Runs the bench once in `tree`, its progress lines passed on; resolves to its results.json. */
function benchOnce(tree: string, label: string, out: string, options: CompareOptions): Promise<string> {
  const args = ['bench/run.ts', '--only', options.only, '--rounds', String(options.rounds), '--skip-memory', '--out', out, ...(options.quick ? ['--quick'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: tree, stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      for (const line of chunk.split('\n')) if (/msg\/s|^bench:|error/i.test(line)) log(`${label}: ${line.trim()}`);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const results = join(out, 'results.json');
      if (code === 0 && existsSync(results)) resolve(results);
      else reject(new Error(`the bench in ${label} exited with ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

async function main(): Promise<void> {
  let options: CompareOptions;
  try {
    options = parseCompareOptions(process.argv.slice(2), allContenders().map((c) => c.id));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench/compare: ${error.message}\n${COMPARE_USAGE}`);
    process.exit(2);
  }
  let sha: string;
  try {
    sha = git('rev-parse', '--verify', '--quiet', `${options.ref}^{commit}`);
  } catch {
    process.stderr.write(`bench/compare: '${options.ref}' is not a commit of this repository\n`);
    process.exit(2);
  }
  const lockDiff = git('diff', '--name-only', sha, '--', 'package-lock.json');
  if (lockDiff !== '') {
    process.stderr.write(`bench/compare: ${options.ref} has another package-lock.json; both trees share this tree's node_modules, so compare only commits with the same dependencies\n`);
    process.exit(2);
  }
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  const head = `${git('rev-parse', '--short=12', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`;
  const work = mkdtempSync(join(tmpdir(), 'bench-compare-'));
  const tree = join(work, 'tree');
  log(`${options.ref} = ${sha.slice(0, 12)} in ${tree}; this tree: ${head}`);
  try {
    git('worktree', 'add', '--detach', '--quiet', tree, sha);
    // A copy, not a link: the workspace packages are relative links, and must resolve inside the other tree.
    cpSync(join(REPO_ROOT, 'node_modules'), join(tree, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    const here: Map<string, TreeFigures>[] = [];
    const there: Map<string, TreeFigures>[] = [];
    for (let pair = 0; pair < options.pairs; pair++) {
      const order = pair % 2 === 0 ? (['here', 'there'] as const) : (['there', 'here'] as const);
      for (const side of order) {
        log(`pair ${pair + 1}/${options.pairs}: ${side === 'here' ? 'this tree' : options.ref}`);
        const results = await benchOnce(side === 'here' ? REPO_ROOT : tree, side === 'here' ? 'this tree' : options.ref, join(work, `${side}-${pair}`), options);
        (side === 'here' ? here : there).push(figuresOf(results));
      }
    }
    const title = `# This tree (${head}) against ${options.ref} (${sha.slice(0, 12)}), ${new Date().toISOString()}, ${options.pairs} pairs of ${options.rounds}-round runs, --only '${options.only}'${options.quick ? ', --quick' : ''}`;
    const markdown = compareMarkdown(title, compare(here, there));
    const dir = join(REPO_ROOT, 'reports', 'bench-compare');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${options.ref.replace(/[^A-Za-z0-9._-]+/g, '_')}-${Date.now()}.md`);
    writeFileSync(file, markdown);
    process.stdout.write(markdown);
    log(`wrote ${file}`);
  } finally {
    try {
      git('worktree', 'remove', '--force', tree);
    } catch {
      git('worktree', 'prune');
    }
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
