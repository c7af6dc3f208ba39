import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRunOptions } from '../../experiments/options.ts';
import { UsageError } from '../../tools/lib/cli.ts';

const now = new Date('2026-11-23T21:05:09.123Z');

test('with no flags the runner plans every scenario in every mode and stack, on the memory queue, with the default profile, into a dated folder', () => {
  const o = parseRunOptions([], now, '/repo');
  assert.equal(o.profile, 'default');
  assert.deepEqual(o.scenarios, ['hoard', 'scale-out', 'priority', 'kill', 'autoscale', 'size-sweep', 'sizing', 'topology']);
  assert.deepEqual(o.modes, ['stream', 'credit-1', 'credit-10', 'poll']);
  assert.deepEqual(o.stacks, ['grpc-js', 'c-core']);
  assert.deepEqual(o.queues, ['memory']);
  assert.equal(o.outDir, '/repo/reports/experiment-20261123-210509');
  assert.equal(o.outAbsolute, false);
});

test('--quick, --scenario and --mode narrow the plan, keep the canonical order and accept repeats', () => {
  const o = parseRunOptions(['--quick', '--scenario', 'kill,hoard', '--mode', 'poll', '--mode', 'stream', '--stack', 'grpc-js', '--queue', 'memory', '--out', 'x/y'], now, '/repo');
  assert.equal(o.profile, 'quick');
  assert.deepEqual(o.scenarios, ['hoard', 'kill']);
  assert.deepEqual(o.modes, ['stream', 'poll']);
  assert.deepEqual(o.stacks, ['grpc-js']);
  assert.deepEqual(o.queues, ['memory']);
  assert.equal(o.outDir, '/repo/x/y');
  assert.equal(o.outAbsolute, false);
});

test('--queue memory,rabbitmq runs every scenario on both queues', () => {
  assert.deepEqual(parseRunOptions(['--queue', 'rabbitmq,memory'], now, '/repo').queues, ['memory', 'rabbitmq']);
  assert.deepEqual(parseRunOptions(['--queue', 'rabbitmq'], now, '/repo').queues, ['rabbitmq']);
});

test('an absolute --out is kept absolute, so the runner prints it as given', () => {
  const o = parseRunOptions(['--out', '/tmp/run'], now, '/repo');
  assert.equal(o.outDir, '/tmp/run');
  assert.equal(o.outAbsolute, true);
});

test('bad flags are refused with a message that names what is accepted', () => {
  const refuses = (argv: string[], pattern: RegExp): void => {
    assert.throws(() => parseRunOptions(argv, now, '/repo'), (e: unknown) => e instanceof UsageError && pattern.test(e.message));
  };
  refuses(['--scenario', 'hoard,nope'], /--scenario: unknown value 'nope'; choose from: hoard, scale-out, priority, kill, autoscale, size-sweep, sizing, topology/);
  refuses(['--mode', 'credit-5'], /--mode: unknown value 'credit-5'; choose from: stream, credit-1, credit-10, poll/);
  refuses(['--mode', ''], /--mode needs a comma-separated list/);
  refuses(['--stack', 'grpc-go'], /--stack: unknown value 'grpc-go'; choose from: grpc-js, c-core/);
  refuses(['--queue', 'kafka'], /--queue: unknown value 'kafka'; choose from: memory, rabbitmq/);
  refuses(['--stack', ''], /--stack needs a comma-separated list from: grpc-js, c-core/);
  refuses(['--fast'], /Unknown option '--fast'/);
  refuses(['--out', ''], /--out needs a directory/);
  refuses(['--rerender'], /--rerender needs --out/);
  refuses(['--update'], /--update needs --out/);
  refuses(['--update', '--rerender', '--out', 'x'], /--update runs scenarios, --rerender runs none/);
  refuses(['stream'], /positional/);
});
