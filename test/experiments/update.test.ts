/**
 * `--update`'s bookkeeping, in process: which runs and failures an update
 * keeps and which it replaces, and when it refuses. (test/experiments/
 * quick.test.ts runs a real update through the runner.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRunOptions } from '../../experiments/options.ts';
import type { Failure, Results } from '../../experiments/results.ts';
import { REGISTRY } from '../../experiments/scenarios/index.ts';
import { mergeUpdate, updateRefusal } from '../../experiments/update.ts';

const plan = (...flags: string[]) => parseRunOptions(['--quick', '--out', 'x', ...flags], new Date(), '/repo');
const variant = (mode: string, stack: string) => ({ mode, stack, queue: 'memory' });
const failure = (scenario: string, mode: string, stack: string): Failure => ({ scenario, variant: variant(mode, stack), error: `${scenario} ${mode}/${stack} failed` } as Failure);
const quickParams = (id: 'hoard' | 'sizing') => JSON.parse(JSON.stringify(REGISTRY[id].profile.quick)) as unknown;

/** A results.json as far as an update reads it: runs stand for themselves by a label. */
function results(scenarios: Record<string, Record<string, string>>, failures: Failure[], command: string, params = quickParams): Results {
  const keys = new Set(Object.values(scenarios).flatMap((runs) => Object.keys(runs)));
  return {
    command,
    profile: { name: 'quick' },
    environment: { loadAverageStart: 1, loadAverageEnd: 2 },
    variants: [...keys].map((k) => { const [mode, stack] = k.split('/'); return variant(mode ?? '', stack ?? ''); }),
    scenarios: Object.fromEntries(Object.entries(scenarios).map(([id, runs]) => [id, { title: id, params: params(id as 'hoard'), runs, summary: {} }])),
    failures,
    durationS: 100,
  } as unknown as Results;
}

test('an update replaces the runs and failures of the scenario and variant pairs it ran, and keeps every other one', () => {
  const earlier = results({
    hoard: { 'stream/c-core/memory': 'old hoard stream c-core', 'stream/grpc-js/memory': 'old hoard stream grpc-js' },
    sizing: { 'credit-1/grpc-js/memory': 'old sizing grpc-js' },
  }, [failure('sizing', 'credit-1', 'c-core'), failure('hoard', 'poll', 'grpc-js')], 'first');
  const options = plan('--scenario', 'hoard,sizing', '--mode', 'stream,poll', '--stack', 'c-core');
  const fresh = results({
    hoard: { 'stream/c-core/memory': 'new hoard stream c-core', 'poll/c-core/memory': 'new hoard poll c-core' },
    sizing: { 'credit-1/c-core/memory': 'new sizing c-core' },
  }, [failure('hoard', 'poll', 'c-core')], 'second');
  const merged = mergeUpdate(earlier, fresh, options);
  assert.deepEqual(merged.scenarios.hoard?.runs, {
    'stream/grpc-js/memory': 'old hoard stream grpc-js',
    'stream/c-core/memory': 'new hoard stream c-core',
    'poll/c-core/memory': 'new hoard poll c-core',
  });
  assert.deepEqual(Object.keys(merged.scenarios.hoard.runs), ['stream/c-core/memory', 'stream/grpc-js/memory', 'poll/c-core/memory'],
    'a rerun pair keeps its place in results.json; new pairs come after');
  // sizing runs only in credit mode: the update reran credit-1 on c-core, whatever --mode said.
  assert.deepEqual(merged.scenarios.sizing?.runs, { 'credit-1/grpc-js/memory': 'old sizing grpc-js', 'credit-1/c-core/memory': 'new sizing c-core' });
  assert.deepEqual(merged.failures.map((f) => f.error), ['hoard poll/grpc-js failed', 'hoard poll/c-core failed'],
    "sizing's c-core failure was rerun (and ran), grpc-js's hoard failure was not rerun");
  assert.equal(merged.command, 'first, then second');
  assert.equal(merged.durationS, 200);
  assert.deepEqual(merged.variants.map((v) => `${v.mode}/${v.stack}`).sort(), ['credit-1/c-core', 'credit-1/grpc-js', 'poll/c-core', 'stream/c-core', 'stream/grpc-js']);
});

test('a rerun that fails takes the place of the earlier run of its pair', () => {
  const earlier = results({ hoard: { 'stream/grpc-js/memory': 'old', 'stream/c-core/memory': 'kept' } }, [], 'first');
  const fresh = results({ hoard: {} }, [failure('hoard', 'stream', 'grpc-js')], 'second');
  const merged = mergeUpdate(earlier, fresh, plan('--scenario', 'hoard', '--mode', 'stream', '--stack', 'grpc-js'));
  assert.deepEqual(merged.scenarios.hoard?.runs, { 'stream/c-core/memory': 'kept' });
  assert.deepEqual(merged.failures.map((f) => f.error), ['hoard stream/grpc-js failed']);
});

test('an update is refused for another profile, or when a scenario whose parameters changed would keep runs made with the old ones', () => {
  const earlier = results({ hoard: { 'stream/grpc-js/memory': 'a', 'stream/c-core/memory': 'b' } }, [], 'first');
  assert.equal(updateRefusal(earlier, plan('--scenario', 'hoard', '--stack', 'c-core')), undefined);
  assert.match(updateRefusal(earlier, parseRunOptions(['--out', 'x'], new Date(), '/repo')) ?? '', /holds a quick run; this is default/);

  const older = results({ hoard: { 'stream/grpc-js/memory': 'a', 'stream/c-core/memory': 'b' } }, [], 'first', () => ({ messages: 1 }));
  assert.match(updateRefusal(older, plan('--scenario', 'hoard', '--mode', 'stream', '--stack', 'c-core')) ?? '',
    /hoard's parameters changed since that run .* its runs on stream\/grpc-js\/memory would not compare/);
  // Rerun on every variant it holds, the scenario is replaced whole: nothing old is kept.
  assert.equal(updateRefusal(older, plan('--scenario', 'hoard', '--mode', 'stream')), undefined);
  // A scenario the earlier run does not have is only added.
  assert.equal(updateRefusal(older, plan('--scenario', 'sizing', '--stack', 'c-core')), undefined);
});

test('a scenario the earlier run does not have is added beside the ones it has', () => {
  const earlier = results({ hoard: { 'stream/grpc-js/memory': 'hoard' } }, [], 'first');
  const fresh = results({ priority: { 'poll/grpc-js/memory': 'priority' } }, [], 'second');
  const merged = mergeUpdate(earlier, fresh, plan('--scenario', 'priority', '--mode', 'poll', '--stack', 'grpc-js'));
  assert.deepEqual(merged.scenarios.hoard?.runs, { 'stream/grpc-js/memory': 'hoard' });
  assert.deepEqual(merged.scenarios.priority?.runs, { 'poll/grpc-js/memory': 'priority' });
});
