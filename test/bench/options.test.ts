import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allContenders, streamOf, withBaselines } from '../../bench/contenders.ts';
import { parseBenchOptions } from '../../bench/options.ts';
import { UsageError } from '../../tools/lib/cli.ts';

const ids = allContenders().map((s) => s.id);

test('bench: with no flags it is a complete run of every part, seven rounds of one-second runs', () => {
  const o = parseBenchOptions([], ids);
  assert.equal(o.complete, true);
  assert.equal(o.settings.rounds, 7);
  assert.equal(o.settings.secondsPerRun, 1);
  assert.deepEqual(o.settings.memoryCounts, [100_000, 1_000_000]);
  assert.equal(o.only, undefined);
});

test('bench: any narrowing or resizing flag makes a partial run, which never replaces bench/results.*', () => {
  for (const argv of [['--quick'], ['--only', 'poll'], ['--skip-memory'], ['--skip-throughput'], ['--rounds', '3'], ['--seconds', '0.5'], ['--workers', '4'], ['--memory-runs', '1']]) {
    assert.equal(parseBenchOptions(argv, ids).complete, false, argv.join(' '));
  }
  const quick = parseBenchOptions(['--quick', '--rounds', '2'], ids);
  assert.equal(quick.settings.rounds, 2);
  assert.equal(quick.settings.secondsPerRun, 0.25);
  assert.ok(parseBenchOptions(['--only', '^poll/'], ids).only?.test('poll/off'));
});

test('bench: bad flags are refused with a message that names what is accepted', () => {
  const refuses = (argv: string[], pattern: RegExp): void => {
    assert.throws(() => parseBenchOptions(argv, ids), (e: unknown) => e instanceof UsageError && pattern.test(e.message), argv.join(' '));
  };
  refuses(['--rounds', '0'], /--rounds must be an integer 1\.\.100, got '0'/);
  refuses(['--workers', '2.5'], /--workers must be an integer 1\.\.16/);
  refuses(['--memory-runs', ''], /--memory-runs must be an integer/);
  refuses(['--seconds', 'fast'], /--seconds must be a number in \(0, 30\]/);
  refuses(['--only', 'credit-5'], /--only 'credit-5' matches no contender; the contenders are: bare-stream, bare-unary, bare-credit-1, /);
  refuses(['--only', '('], /--only: not a regular expression/);
  refuses(['--profile', 'stream'], /--profile: no contender 'stream'; one of: .*stream\/shipped/);
  refuses(['--skip-throughput', '--skip-memory'], /nothing to run/);
  refuses(['--out', ''], /--out needs a directory/);
  refuses(['--rerender', '--quick'], /--rerender runs nothing, so it takes only --out; drop --quick/);
  refuses(['--rerender', '--only', 'poll', '--skip-memory'], /drop --only, --skip-memory/);
  refuses(['--fast'], /Unknown option '--fast'/);
  refuses(['stream'], /positional/);
});

test('bench: the sidecar on RabbitMQ runs in every mode, each divided by bare amqplib consumers at the sidecar\'s own prefetch', () => {
  const onRabbit = allContenders().filter((s) => s.kind === 'lab-rabbitmq');
  assert.deepEqual(onRabbit.map((s) => s.id), ['rabbitmq/stream', 'rabbitmq/credit-100', 'rabbitmq/poll']);
  for (const spec of onRabbit) {
    const base = allContenders().find((s) => s.id === spec.baseline);
    assert.equal(base?.kind, 'rabbitmq-bare', spec.id);
    assert.equal(base.prefetch, spec.queuePrefetch, `${spec.id}: baseline prefetch ${base.prefetch}, sidecar ${spec.queuePrefetch}`);
    assert.equal(spec.telemetry, 'shipped');
  }
  // A credit row is also set against stream on the same queue, never against the memory queue's.
  const credit = onRabbit.find((s) => s.mode === 'credit');
  assert.ok(credit);
  assert.equal(streamOf(credit), 'rabbitmq/stream');
  assert.equal(streamOf(allContenders().find((s) => s.id === 'credit-100/shipped') ?? credit), 'stream/shipped');
  // The Python credit workers beside the Python stream workers, not the grpc-js ones.
  assert.equal(streamOf(allContenders().find((s) => s.id === 'c-core-credit-100/off') ?? credit), 'c-core-stream/off');
});

test('bench: each grpc-js credit row is divided by bare grpc-js running the same protocol at its prefetch, and that by bare streaming', () => {
  const all = allContenders();
  const byId = (id: string) => all.find((s) => s.id === id);
  for (const id of ['credit-1/shipped', 'credit-10/off', 'credit-1000/traces100']) {
    const spec = byId(id);
    const base = byId(spec?.baseline ?? '');
    assert.equal(base?.kind, 'bare-credit', id);
    assert.equal(base.prefetch, spec?.prefetch, id);
    assert.equal(base.baseline, 'bare-stream', id);
  }
});

test('bench --only runs what the ratios need, down the chain: a credit row brings its bare credit row, its stream row and both of theirs', () => {
  const all = allContenders();
  const ids = (selected: string[]): string[] => withBaselines(all.filter((s) => selected.includes(s.id)), all).map((s) => s.id).sort();
  assert.deepEqual(ids(['credit-1/shipped']), ['bare-credit-1', 'bare-stream', 'credit-1/shipped', 'stream/shipped']);
  assert.deepEqual(ids(['bare-credit-100']), ['bare-credit-100', 'bare-stream']);
  assert.deepEqual(ids(['poll/off']), ['bare-unary', 'poll/off']);
  assert.deepEqual(ids(['c-core-credit-100/off']), ['bare-stream', 'c-core-credit-100/off', 'c-core-stream/off', 'sidecar-bare-grpcio-reader/off']);
});
