/** The local lab's command line: topologies and the queue, and the combinations it refuses before starting anything. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLabOptions, type LabOptions } from '../../tools/lib/lab-options.ts';
import { UsageError } from '../../tools/lib/cli.ts';

const parse = (argv: string[], env: Record<string, string> = {}): LabOptions => {
  const options = parseLabOptions(argv, env);
  assert.notEqual(options, 'help');
  return options as LabOptions;
};
const refuses = (argv: string[], pattern: RegExp, env: Record<string, string> = {}): void => {
  assert.throws(() => parseLabOptions(argv, env), (e: unknown) => e instanceof UsageError && pattern.test(e.message), `${argv.join(' ')} was not refused with ${String(pattern)}`);
};

test('by default one sidecar on its memory queue, as before', () => {
  const o = parse([]);
  assert.equal(o.queue, 'memory');
  assert.equal(o.topology, 'shared');
  assert.equal(o.sidecars, 1);
  assert.equal(o.queueUrl, undefined);
});

test('--queue rabbitmq --sidecars 2: two sidecars on one queue, a broker of the lab\'s own unless --queue-url names one', () => {
  const own = parse(['--queue', 'rabbitmq', '--sidecars', '2']);
  assert.deepEqual([own.queue, own.sidecars, own.queueUrl, own.queueName, own.queuePrefetch, own.upstreamAck], ['rabbitmq', 2, undefined, 'backlog-lab', 500, 'dispatch']);
  const given = parse(['--queue-url', 'amqp://u:p@broker:5672/lab', '--queue-prefetch', '50', '--upstream-ack', 'receipt'], { QUEUE: 'rabbitmq', SIDECARS: '3' });
  assert.deepEqual([given.sidecars, given.queueUrl, given.queuePrefetch, given.upstreamAck], [3, 'amqp://u:p@broker:5672/lab', 50, 'receipt']);
});

test('--topology per-pod gives each worker its own sidecar', () => {
  const o = parse(['--queue', 'rabbitmq', '--topology', 'per-pod', '--workers', '3']);
  assert.equal(o.topology, 'per-pod');
  assert.equal(o.sidecars, 0);
  assert.equal(o.workers, 3);
});

test('combinations that cannot work are refused with what to do', () => {
  refuses(['--sidecars', '2'], /--sidecars 2 needs --queue rabbitmq/);
  refuses(['--topology', 'per-pod'], /per-pod needs --queue rabbitmq/);
  refuses(['--queue-url', 'amqp://broker'], /--queue-url needs --queue rabbitmq/);
  refuses(['--queue', 'rabbitmq', '--topology', 'per-pod', '--sidecars', '2'], /--sidecars does not apply to --topology per-pod/);
  refuses(['--queue', 'rabbitmq', '--queue-url', 'http://u:secret@broker'], /--queue-url must be an amqp:\/\/ or amqps:\/\/ URL/);
  refuses(['--queue', 'kafka'], /--queue must be one of memory\|rabbitmq, got 'kafka'/);
  refuses(['--queue', 'rabbitmq', '--sidecars', '21'], /--sidecars must be an integer 1\.\.20/);
  refuses(['--queue', 'rabbitmq', '--queue-name', 'amq.direct'], /--queue-name/);
  refuses(['--topology', 'mesh'], /--topology must be one of shared\|per-pod/);
});

test('the URL a refusal names never shows its password', () => {
  assert.throws(() => parseLabOptions(['--queue', 'rabbitmq', '--queue-url', 'http://u:secret@broker'], {}), (e: unknown) => e instanceof UsageError && !e.message.includes('secret'));
});
