import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { compare, parseCompareOptions, type TreeFigures } from '../../bench/compare.ts';
import { allContenders } from '../../bench/contenders.ts';
import { UsageError } from '../../tools/lib/cli.ts';

const ids = allContenders().map((c) => c.id);

test('bench compare: one git ref and checked flags, refused with what is accepted', () => {
  const o = parseCompareOptions(['HEAD~1'], ids);
  assert.deepEqual([o.ref, o.pairs, o.rounds, o.quick], ['HEAD~1', 3, 2, false]);
  assert.ok(new RegExp(o.only).test('credit-100/shipped') && !new RegExp(o.only).test('credit-10/shipped'));
  const refuses = (argv: string[], pattern: RegExp): void => {
    assert.throws(() => parseCompareOptions(argv, ids), (e: unknown) => e instanceof UsageError && pattern.test(e.message), argv.join(' '));
  };
  refuses([], /name the tree to compare with/);
  refuses(['a', 'b'], /one git ref, got 2/);
  refuses(['HEAD', '--pairs', '0'], /--pairs must be an integer 1\.\.20, got '0'/);
  refuses(['HEAD', '--rounds', '1.5'], /--rounds must be an integer 1\.\.20/);
  refuses(['HEAD', '--only', 'credit-5'], /matches no contender; the contenders are: bare-stream/);
  refuses(['HEAD', '--only', '('], /not a regular expression/);
  refuses(['HEAD', '--fast'], /Unknown option '--fast'/);
});

test('bench compare: each ratio is this tree over the other within one pair, and a contender one tree lacks is named, not compared', () => {
  const f = (rate: number, rateRatio: number | null, server: number, client: number, baseline: string | null = 'bare-stream'): TreeFigures => ({ rate, rateRatio, baseline, serverCpuMicros: server, clientCpuMicros: client });
  // The machine doubles its speed between pairs: within a pair both trees see the same machine.
  const here = [new Map([['stream/shipped', f(1200, 0.3, 80, 100)], ['new-row', f(1, 1, 1, 1)], ['credit-1/shipped', f(300, 0.5, 1, 1, 'bare-credit-1')]]), new Map([['stream/shipped', f(2400, 0.3, 40, 50)]])];
  const there = [new Map([['stream/shipped', f(1000, 0.25, 100, 125)], ['credit-1/shipped', f(300, 0.1, 1, 1)]]), new Map([['stream/shipped', f(2000, 0.25, 50, 62.5)]])];
  const { rows, onlyOneTree } = compare(here, there);
  assert.deepEqual(onlyOneTree, ['new-row']);
  assert.equal(rows.length, 2);
  // The trees divided credit-1 by different baselines: its rates compare, its ratios do not.
  const credit = rows.find((r) => r.id === 'credit-1/shipped');
  assert.equal(credit?.rate.median, 1);
  assert.equal(credit.rateRatio, null);
  const row = rows.find((r) => r.id === 'stream/shipped');
  assert.ok(row);
  assert.equal(row.pairs, 2);
  for (const s of [row.rate, row.rateRatio]) {
    assert.ok(s);
    assert.ok(Math.abs(s.median - 1.2) < 1e-9 && Math.abs(s.min - 1.2) < 1e-9 && Math.abs(s.max - 1.2) < 1e-9);
  }
  assert.ok(Math.abs(row.serverCpu.median - 0.8) < 1e-9 && Math.abs(row.clientCpu.median - 0.8) < 1e-9);
  assert.equal(row.here.median, 1800);
  assert.equal(row.there.median, 1500);
});

test('bench compare: a real run against HEAD, in a worktree it removes afterwards', () => {
  const worktrees = (): string => execFileSync('git', ['-C', REPO_ROOT, 'worktree', 'list', '--porcelain'], { encoding: 'utf8' });
  const before = worktrees();
  const reports = join(REPO_ROOT, 'reports', 'bench-compare');
  const listed = (): string[] => { try { return readdirSync(reports); } catch { return []; } };
  const earlier = new Set(listed());
  const run = spawnSync(process.execPath, ['bench/compare.ts', 'HEAD', '--quick', '--pairs', '1', '--rounds', '1', '--only', '^stream/shipped$'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
  assert.equal(run.status, 0, run.stderr);
  // Both trees ran: the contender and its baseline, one pair each, from each tree's own bench.
  assert.match(run.stdout, /\| stream\/shipped \| 1 \| [\d,]+ \| [\d,]+ \| \d+\.\d\d \(/);
  assert.match(run.stdout, /\| bare-stream \| 1 \|/);
  assert.match(run.stderr, /pair 1\/1: this tree/);
  assert.match(run.stderr, /pair 1\/1: HEAD/);
  assert.equal(worktrees(), before, 'the worktree was left behind');
  const added = listed().filter((f) => !earlier.has(f));
  assert.equal(added.length, 1);
  assert.equal(readFileSync(join(reports, added[0] ?? ''), 'utf8'), run.stdout);
  // A ref that is no commit stops it before anything runs.
  const bad = spawnSync(process.execPath, ['bench/compare.ts', 'no-such-ref-anywhere'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /'no-such-ref-anywhere' is not a commit of this repository/);
});
