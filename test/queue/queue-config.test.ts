/** readQueueConfig as a function: what each QUEUE_* variable accepts, and that no message shows a password. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, createEnvReader } from '@backlog-lab/common/env';
import { loadSidecarConfig } from '../../services/sidecar/src/config.ts';
import { readQueueConfig, type QueueConfig } from '../../services/sidecar/src/queue/queue-config.ts';

function read(env: Record<string, string>): QueueConfig {
  const reader = createEnvReader(env);
  const config = readQueueConfig(reader);
  reader.done();
  return config;
}

/** The problems reported for `env`, one string per problem. */
function problems(env: Record<string, string>): readonly string[] {
  try {
    read(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail(`no problem reported for ${JSON.stringify(env)}`);
}

test('defaults: the memory queue, a local broker URL, queue backlog-lab, prefetch 500, consuming, stream acks on dispatch', () => {
  assert.deepEqual(read({}), {
    kind: 'memory',
    url: 'amqp://guest:guest@localhost:5672',
    name: 'backlog-lab',
    prefetch: 500,
    consume: true,
    streamUpstreamAck: 'dispatch',
  });
});

test('every setting is read', () => {
  assert.deepEqual(read({ QUEUE: 'rabbitmq', QUEUE_URL: 'amqps://lab:pw@broker.example:5671/lab', QUEUE_NAME: 'tax-requests', QUEUE_PREFETCH: '65535', QUEUE_CONSUME: 'false', STREAM_UPSTREAM_ACK: 'receipt' }), {
    kind: 'rabbitmq',
    url: 'amqps://lab:pw@broker.example:5671/lab',
    name: 'tax-requests',
    prefetch: 65535,
    consume: false,
    streamUpstreamAck: 'receipt',
  });
});

test('QUEUE, QUEUE_CONSUME and STREAM_UPSTREAM_ACK take only their values', () => {
  assert.deepEqual(problems({ QUEUE: 'kafka' }), ["QUEUE must be one of memory|rabbitmq, got 'kafka'"]);
  assert.deepEqual(problems({ QUEUE_CONSUME: 'no' }), ["QUEUE_CONSUME must be one of true|false, got 'no'"]);
  assert.deepEqual(problems({ STREAM_UPSTREAM_ACK: 'write' }), ["STREAM_UPSTREAM_ACK must be one of dispatch|receipt, got 'write'"]);
});

test('QUEUE_PREFETCH is an integer 1..65535 (basic.qos takes 16 bits)', () => {
  for (const value of ['0', '65536', '1.5', 'many']) {
    assert.deepEqual(problems({ QUEUE_PREFETCH: value }), [`QUEUE_PREFETCH must be an integer 1..65535, got '${value}'`]);
  }
});

test('QUEUE_URL must be amqp:// or amqps:// with a host, and a message about it never shows the password', () => {
  const wanted = 'QUEUE_URL must be an amqp:// or amqps:// URL with a host';
  const [http] = problems({ QUEUE_URL: 'http://lab:hunter2@broker:5672' });
  assert.equal(http, `${wanted}, got a 'http:' URL`);
  const [noScheme] = problems({ QUEUE_URL: 'lab:hunter2@broker' });
  assert.equal(noScheme, `${wanted}, got a 'lab:' URL`);
  const [noHost] = problems({ QUEUE_URL: 'amqp:hunter2' });
  assert.equal(noHost, `${wanted}, got one without a host`);
  const [garbage] = problems({ QUEUE_URL: 'hunter2 at broker' });
  assert.equal(garbage, `${wanted}, got something that is not a URL (not shown: it may hold a password)`);
  for (const message of [http, noScheme, noHost, garbage]) assert.ok(!message.includes('hunter2'), message);
});

test('QUEUE_NAME is printable, at most 255 bytes, and not one of the broker\'s amq. names', () => {
  assert.equal(read({ QUEUE_NAME: 'é'.repeat(127) }).name.length, 127);
  assert.deepEqual(problems({ QUEUE_NAME: 'é'.repeat(128) }), ['QUEUE_NAME must be at most 255 bytes, got 256']);
  assert.match(problems({ QUEUE_NAME: 'tab\there' })[0] ?? '', /^QUEUE_NAME must be printable characters/);
  assert.match(problems({ QUEUE_NAME: 'amq.gen-1' })[0] ?? '', /not starting with 'amq\.'/);
});

test('problems of several variables are reported together', () => {
  assert.equal(problems({ QUEUE: 'x', QUEUE_PREFETCH: '0', QUEUE_URL: 'ftp://h' }).length, 3);
});

test('the sidecar\'s configuration carries the queue settings', () => {
  assert.equal(loadSidecarConfig({ QUEUE: 'rabbitmq', QUEUE_PREFETCH: '7' }).queue.prefetch, 7);
  assert.throws(() => loadSidecarConfig({ QUEUE_PREFETCH: '0' }), /QUEUE_PREFETCH must be an integer 1\.\.65535/);
});
