/**
 * The `rabbitmq` queue against a real broker: one RabbitMQ node for this
 * file (packages/harness), a queue of its own per test. The counts the broker
 * itself reports are read from its management API.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { connect } from 'amqplib';
import { createLogger, type Logger } from '@backlog-lab/common/logger';
import { PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_NORMAL } from '@backlog-lab/common/priority';
import { freePort } from '@backlog-lab/harness/free-port';
import { startRabbitMq, type RabbitMqServer } from '@backlog-lab/harness/rabbitmq-server';
import type { NewMessage, QueuedMessage } from '../../services/sidecar/src/queue/message.ts';
import type { MessageQueue } from '../../services/sidecar/src/queue/queue.ts';
import { createRabbitMqQueue, PUBLISHED_AT_HEADER, type RabbitMqOptions } from '../../services/sidecar/src/queue/rabbitmq-queue.ts';
import { waitFor } from '@backlog-lab/harness/admin-client';

let broker: RabbitMqServer;
before(async () => { broker = await startRabbitMq(); });
after(async () => { await broker.stop(); });

type LogLine = Record<string, unknown> & { msg: string; level: string };
const opened: MessageQueue[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
});

let queues = 0;
const queueName = (): string => `test-${process.pid}-${++queues}`;

/** A started queue and the log lines it wrote. */
function open(options: Partial<RabbitMqOptions> & { queueName: string }): { queue: MessageQueue; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const logger: Logger = createLogger('test', 'debug', {}, (line) => { logs.push(JSON.parse(line) as LogLine); });
  const queue = createRabbitMqQueue({ url: broker.url, prefetch: 100, statsIntervalMs: 100, ...options }, logger);
  opened.push(queue);
  void queue.start();
  return { queue, logs };
}

async function ready(options: Partial<RabbitMqOptions> & { queueName: string }): Promise<MessageQueue> {
  const { queue } = open(options);
  await waitFor('the queue to consume', () => (queue.isReady() ? true : undefined));
  return queue;
}

const message = (id: string, priority = PRIORITY_NORMAL): NewMessage => ({ id, priority, payload: Buffer.from(id) });
const ids = (n: number, prefix = 'm'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

/** Takes `count` messages as they arrive, as a dispatcher would (counting the delivery), settling each with `settle`. */
async function takeAll(queue: MessageQueue, count: number, settle?: (m: QueuedMessage) => void): Promise<QueuedMessage[]> {
  const taken: QueuedMessage[] = [];
  await waitFor(`${count} messages to take`, () => {
    for (let m = taken.length < count ? queue.take() : undefined; m !== undefined; m = taken.length < count ? queue.take() : undefined) {
      m.attempts++;
      taken.push(m);
      settle?.(m);
    }
    return taken.length >= count ? true : undefined;
  }, 30_000, 5);
  return taken;
}

interface QueueInfo {
  messages_ready?: number;
  messages_unacknowledged?: number;
  policy?: string;
}

/** Waits until the management API reports these counts (it samples every 500 ms in the harness's node). */
async function brokerCounts(name: string, ready: number, unacked: number): Promise<void> {
  let last: QueueInfo = {};
  await waitFor(`the broker to report ${ready} ready, ${unacked} unacked in ${name}`, async () => {
    last = (await broker.management(`/api/queues/%2F/${encodeURIComponent(name)}`)) as QueueInfo;
    return last.messages_ready === ready && last.messages_unacknowledged === unacked ? true : undefined;
  }, 20_000, 100).catch((error: unknown) => {
    throw new Error(`${String(error)}; last seen ${JSON.stringify(last)}`);
  });
}

test('hands out the highest priority first from its buffer, FIFO within a priority', async () => {
  const name = queueName();
  const queue = await ready({ queueName: name });
  const published = ids(60).map((id, i) => message(id, [PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_HIGH][i % 3]));
  await queue.publish(published);
  await waitFor('all 60 in the buffer', () => (queue.size === 60 ? true : undefined));
  assert.equal(queue.depth(PRIORITY_HIGH), 20);
  const taken = await takeAll(queue, 60, (m) => { queue.ack(m); });
  const expected = [PRIORITY_HIGH, PRIORITY_NORMAL, PRIORITY_LOW].flatMap((p) => published.filter((m) => m.priority === p).map((m) => m.id));
  assert.deepEqual(taken.map((m) => m.id), expected);
  assert.deepEqual(taken.slice(0, 3).map((m) => m.payload.toString()), expected.slice(0, 3));
});

test('drains a backlog on the broker highest priority first, holding no more than its prefetch', async () => {
  const name = queueName();
  // A publisher with a buffer of one: what it holds goes back to its place when it closes.
  const publisher = await ready({ queueName: name, prefetch: 1 });
  const published = ids(60).map((id, i) => message(id, [PRIORITY_LOW, PRIORITY_HIGH, PRIORITY_NORMAL][i % 3]));
  await publisher.publish(published);
  await publisher.close();
  const queue = await ready({ queueName: name, prefetch: 5 });
  let mostHeld = 0;
  queue.onAvailable(() => { mostHeld = Math.max(mostHeld, queue.upstream().unacked); });
  const taken = await takeAll(queue, 60, (m) => { queue.ack(m); });
  const expected = [PRIORITY_HIGH, PRIORITY_NORMAL, PRIORITY_LOW].flatMap((p) => published.filter((m) => m.priority === p).map((m) => m.id));
  assert.deepEqual(taken.map((m) => m.id), expected);
  assert.ok(mostHeld > 0 && mostHeld <= 5, `held ${mostHeld} unacked with prefetch 5`);
});

test('never holds more than its prefetch unacked upstream, by its own count and the broker\'s', async () => {
  const name = queueName();
  const queue = await ready({ queueName: name, prefetch: 10 });
  let mostHeld = 0;
  queue.onAvailable(() => { mostHeld = Math.max(mostHeld, queue.upstream().unacked); });
  await queue.publish(ids(100).map((id) => message(id)));
  await waitFor('a full buffer', () => (queue.size === 10 ? true : undefined));
  await brokerCounts(name, 90, 10);
  assert.equal(queue.upstream().unacked, 10);
  await waitFor('the ready count', () => (queue.upstream().ready === 90 ? true : undefined));

  // Taken and not settled still counts; acking two lets two more in.
  const three = [queue.take(), queue.take(), queue.take()].filter((m) => m !== undefined);
  assert.equal(three.length, 3);
  assert.equal(queue.size, 7);
  assert.equal(queue.upstream().unacked, 10);
  queue.ack(three[0]!);
  queue.ack(three[1]!);
  await waitFor('two more deliveries', () => (queue.size === 9 ? true : undefined));
  await brokerCounts(name, 88, 10);
  assert.equal(queue.upstream().unacked, 10);
  queue.ack(three[2]!);
  await takeAll(queue, 97, (m) => { queue.ack(m); });
  await brokerCounts(name, 0, 0);
  assert.equal(queue.upstream().unacked, 0);
  assert.ok(mostHeld <= 10, `held ${mostHeld} unacked with prefetch 10`);
});

test('an acked message is gone for good: a new consumer of the queue gets only what came after', async () => {
  const name = queueName();
  const first = await ready({ queueName: name });
  await first.publish(ids(5).map((id) => message(id)));
  await takeAll(first, 5, (m) => { first.ack(m); });
  await brokerCounts(name, 0, 0);
  await first.close();
  const second = await ready({ queueName: name });
  await second.publish([message('after')]);
  const taken = await takeAll(second, 1, (m) => { second.ack(m); });
  assert.deepEqual(taken.map((m) => m.id), ['after']);
  await brokerCounts(name, 0, 0);
  assert.equal(second.size, 0);
});

test('requeued messages come back in their original order, before what was buffered after them, with attempt >= 2', async () => {
  const name = queueName();
  const queue = await ready({ queueName: name, prefetch: 50 });
  const published = ids(100);
  await queue.publish(published.map((id) => message(id)));
  await waitFor('a full buffer', () => (queue.size === 50 ? true : undefined));
  const first = await takeAll(queue, 10);
  assert.deepEqual(first.map((m) => m.id), published.slice(0, 10));
  // Any order: the queue puts them back by their place.
  queue.requeue([...first].reverse());
  await waitFor('the ten to come back', () => (queue.size === 50 ? true : undefined));
  const again = await takeAll(queue, 100, (m) => { queue.ack(m); });
  assert.deepEqual(again.map((m) => m.id), published);
  // takeAll counted this delivery: the first ten are on their second.
  assert.deepEqual(again.slice(0, 10).map((m) => m.attempts), Array<number>(10).fill(2));
  assert.ok(again.slice(10).every((m) => m.attempts === 1));
  await brokerCounts(name, 0, 0);
});

test('a dropped message leaves the queue; with a dead-letter exchange it lands there', async () => {
  const name = queueName();
  const dead = `${name}-dead`;
  const connection = await connect(broker.url);
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(dead, { durable: true });
    await broker.management(`/api/policies/%2F/${name}-dlx`, {
      method: 'PUT',
      body: { pattern: `^${name}$`, 'apply-to': 'queues', definition: { 'dead-letter-exchange': '', 'dead-letter-routing-key': dead } },
    });
    const { queue, logs } = open({ queueName: name });
    await waitFor('the queue to consume', () => (queue.isReady() ? true : undefined));
    await waitFor('the policy to apply', async () => (((await broker.management(`/api/queues/%2F/${name}`)) as QueueInfo).policy === `${name}-dlx` ? true : undefined));
    await queue.publish(ids(3).map((id) => message(id)));
    const taken = await takeAll(queue, 3);
    queue.drop(taken[1]!);
    queue.ack(taken[0]!);
    queue.ack(taken[2]!);
    // Settled once: a second verdict on the same message is ignored (the broker would close the channel).
    queue.ack(taken[1]!);
    await brokerCounts(name, 0, 0);
    await brokerCounts(dead, 1, 0);
    const deadLettered = await channel.get(dead, { noAck: true });
    assert.ok(deadLettered);
    assert.equal(deadLettered.properties.messageId, 'm001');
    assert.deepEqual(logs.filter((l) => l.level !== 'debug').map((l) => l.msg), ['consuming from RabbitMQ'], 'the double ack did not cost the channel');
  } finally {
    await connection.close();
  }
});

test('two queue instances (two sidecars) on one queue split the messages: no overlap, nothing missing', async () => {
  const name = queueName();
  const a = await ready({ queueName: name, prefetch: 10 });
  const b = await ready({ queueName: name, prefetch: 10 });
  const seen = new Map<MessageQueue, string[]>([[a, []], [b, []]]);
  for (const q of [a, b]) {
    q.onAvailable(() => {
      for (let m = q.take(); m !== undefined; m = q.take()) {
        seen.get(q)?.push(m.id);
        q.ack(m);
      }
    });
  }
  const published = ids(300);
  for (let i = 0; i < published.length; i += 50) await a.publish(published.slice(i, i + 50).map((id) => message(id)));
  await waitFor('every message taken', () => ((seen.get(a)?.length ?? 0) + (seen.get(b)?.length ?? 0) === 300 ? true : undefined));
  const fromA = seen.get(a) ?? [];
  const fromB = seen.get(b) ?? [];
  assert.ok(fromA.length > 0 && fromB.length > 0, `a took ${fromA.length}, b ${fromB.length}`);
  assert.equal(fromA.filter((id) => fromB.includes(id)).length, 0);
  assert.deepEqual([...fromA, ...fromB].sort(), published);
  await brokerCounts(name, 0, 0);
});

test('closing an instance gives what it buffered (and what it took and never settled) to the other', async () => {
  const name = queueName();
  const a = await ready({ queueName: name, prefetch: 50 });
  const published = ids(30);
  await a.publish(published.map((id) => message(id)));
  await waitFor('all in a\'s buffer', () => (a.size === 30 ? true : undefined));
  const inHand = await takeAll(a, 5);
  const b = await ready({ queueName: name, prefetch: 50 });
  await brokerCounts(name, 0, 30);
  assert.equal(b.size, 0);
  await a.close();
  const taken = await takeAll(b, 30, (m) => { b.ack(m); });
  assert.deepEqual(taken.map((m) => m.id).sort(), published);
  // The five a held come back among the rest, each once.
  assert.equal(new Set(taken.map((m) => m.id)).size, 30);
  a.ack(inHand[0]!); // too late: ignored
  await brokerCounts(name, 0, 0);
});

test('takes what a foreign publisher sent: a missing id is made up, the AMQP timestamp is the publish time, priority is capped', async () => {
  const name = queueName();
  const queue = await ready({ queueName: name });
  const connection = await connect(broker.url);
  const timestamp = Math.floor(Date.now() / 1000) - 60;
  try {
    const channel = await connection.createConfirmChannel();
    channel.sendToQueue(name, Buffer.from('bare'), { priority: 9, timestamp });
    channel.sendToQueue(name, Buffer.from('lab'), { messageId: 'lab-1', headers: { [PUBLISHED_AT_HEADER]: '1700000000123456789' } });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
  const [bare, lab] = await takeAll(queue, 2, (m) => { queue.ack(m); });
  assert.ok(bare && lab);
  assert.match(bare.id, /^amqp-[0-9a-f-]{36}$/);
  assert.equal(bare.priority, PRIORITY_HIGH);
  assert.equal(bare.payload.toString(), 'bare');
  assert.equal(bare.publishedAtUnixNano, timestamp * 1e9);
  assert.equal(bare.publishedAtMs, timestamp * 1000);
  assert.equal(lab.id, 'lab-1');
  assert.equal(lab.publishedAtUnixNano, Number(1700000000123456789n));
  assert.equal(lab.publishedAtMs, 1700000000123);
  assert.equal(lab.priority, 0);
});

test('a broker restart loses nothing that was not acked: ready goes false and back, and it consumes again', async () => {
  const name = queueName();
  const { queue, logs } = open({ queueName: name, prefetch: 10, reconnectBaseMs: 50, reconnectCapMs: 500 });
  await waitFor('the queue to consume', () => (queue.isReady() ? true : undefined));
  const published = ids(100);
  await queue.publish(published.map((id) => message(id)));
  const acked = await takeAll(queue, 20, (m) => { queue.ack(m); });
  const inHand = await takeAll(queue, 5);
  await brokerCounts(name, 70, 10);

  const restarting = broker.restart();
  await waitFor('the queue to notice', () => (queue.isReady() ? undefined : true), 60_000);
  assert.equal(queue.size, 0, 'the buffer went with the connection');
  assert.deepEqual(queue.upstream(), { kind: 'rabbitmq', ready: queue.upstream().ready, unacked: 0, connected: false });
  await assert.rejects(queue.publish([message('while-down')]), /not connected/);
  await restarting;
  await waitFor('the queue to consume again', () => (queue.isReady() ? true : undefined), 60_000);
  for (const m of inHand) queue.ack(m); // their channel is gone: ignored, the broker redelivers them

  const after = await takeAll(queue, 80, (m) => { queue.ack(m); });
  const ackedIds = new Set(acked.map((m) => m.id));
  assert.deepEqual(after.map((m) => m.id).sort(), published.filter((id) => !ackedIds.has(id)));
  assert.ok(after.filter((m) => inHand.some((h) => h.id === m.id)).every((m) => m.attempts >= 2), 'what was in hand comes back as a redelivery');
  await brokerCounts(name, 0, 0);
  assert.ok(logs.some((l) => l.level === 'warn' && l.msg === 'lost RabbitMQ; reconnecting'));
  assert.equal(logs.filter((l) => l.msg === 'consuming from RabbitMQ').length, 2);
});

test('a queue that exists with other arguments stops it with one clear error, and no retrying', async () => {
  const name = queueName();
  const connection = await connect(broker.url);
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(name, { durable: true });
  } finally {
    await connection.close();
  }
  const { queue, logs } = open({ queueName: name, reconnectBaseMs: 10, reconnectCapMs: 20 });
  await assert.rejects(queue.fatal, (error: Error) => {
    assert.match(error.message, new RegExp(`^queue '${name}' exists with other arguments \\(.*x-max-priority.*\\); delete it or set QUEUE_NAME$`));
    return true;
  });
  assert.equal(queue.isReady(), false);
  await queue.close();
  assert.equal(logs.filter((l) => l.level === 'error').length, 1);
  assert.equal(logs.filter((l) => l.msg.includes('retrying')).length, 0);
});

test('an unreachable broker is retried with one warning per attempt that never shows the password, and nothing crashes', async () => {
  const port = await freePort();
  const { queue, logs } = open({ queueName: queueName(), url: `amqp://guest:s3cret-pw@127.0.0.1:${port}`, reconnectBaseMs: 10, reconnectCapMs: 40 });
  await waitFor('three attempts', () => (logs.filter((l) => l.msg === 'cannot connect to RabbitMQ; retrying').length >= 3 ? true : undefined));
  const warnings = logs.filter((l) => l.msg === 'cannot connect to RabbitMQ; retrying');
  assert.deepEqual(warnings.slice(0, 3).map((l) => l.attempt), [1, 2, 3]);
  assert.ok(warnings.every((l) => l.level === 'warn' && /ECONNREFUSED/.test(String(l.error))));
  assert.equal(warnings[0]?.broker, `amqp://guest:***@127.0.0.1:${port}`);
  assert.ok(!JSON.stringify(logs).includes('s3cret-pw'));
  assert.equal(queue.isReady(), false);
  assert.deepEqual(queue.upstream(), { kind: 'rabbitmq', ready: 0, unacked: 0, connected: false });
  await assert.rejects(queue.publish([message('x')]), /not connected/);
});

test('wrong credentials are retried as a warning with the broker\'s reason and without the password', async () => {
  const url = broker.url.replace('guest:guest', 'guest:not-the-password');
  const { queue, logs } = open({ queueName: queueName(), url, reconnectBaseMs: 10, reconnectCapMs: 40 });
  await waitFor('two attempts', () => (logs.filter((l) => l.msg === 'cannot connect to RabbitMQ; retrying').length >= 2 ? true : undefined));
  assert.match(String(logs.find((l) => l.msg === 'cannot connect to RabbitMQ; retrying')?.error), /ACCESS.REFUSED/);
  assert.ok(!JSON.stringify(logs).includes('not-the-password'));
  assert.equal(queue.isReady(), false);
});
