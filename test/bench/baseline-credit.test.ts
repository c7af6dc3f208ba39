/**
 * The bench's bare credit baseline (bench/baseline/server.ts's Consume) is
 * what the lab's credit rows are divided by, so it must hold the same
 * contract the sidecar holds: never more than the prefetch unacked on a
 * stream, one credit back per acked id. Real processes, real gRPC.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { baselineScript, spawnBare, type BareProcess } from '../../bench/lib/bare-process.ts';
import { createQueueRpc, type QueueRpc } from '../../bench/lib/queue-rpc.ts';
import { loadQueueService, methodOf } from '../../bench/baseline/proto.ts';

let server: BareProcess;
let address: string;
let rpc: QueueRpc;

before(async () => {
  server = spawnBare('baseline server', baselineScript('server.ts'), []);
  const listening = await server.waitFor((l) => l.msg === 'listening', 30_000);
  address = `127.0.0.1:${Number(listening.port)}`;
  rpc = createQueueRpc(address);
});

after(async () => {
  rpc.close();
  await server.stop();
});

/** Resolves once `count` deliveries have arrived, then waits `settleMs` more for any that should not. */
async function collect(received: string[], count: number, settleMs = 300): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, settleMs));
}

test('bare credit baseline: a stream gets its prefetch and no more, and one more per acked id', async () => {
  const Queue = loadQueueService();
  const client = new Queue(address, grpc.credentials.createInsecure());
  const consume = methodOf(Queue, 'Consume');
  const call = client.makeBidiStreamRequest(consume.path, consume.requestSerialize, consume.responseDeserialize);
  const received: string[] = [];
  call.on('data', (d: { ackId: string }) => { received.push(d.ackId); });
  call.on('error', () => undefined);
  call.write({ hello: { workerId: 'probe', prefetch: 3 } });
  await rpc.publish(10, 10);
  await collect(received, 3);
  assert.equal(received.length, 3, 'more than the prefetch was sent before any ack');
  assert.ok(received.every((id) => id !== ''), 'a delivery without an ack id');

  call.write({ ack: { ackIds: received.slice(0, 2) } });
  await collect(received, 5);
  assert.equal(received.length, 5, 'two acks did not return exactly two credits');
  const stats = await rpc.stats();
  assert.equal(Number(stats.totals?.acked), 2);
  assert.ok(stats.workers.some((w) => w.workerId === 'probe' && w.mode === 'credit' && w.connected));

  call.write({ ack: { ackIds: received.slice(2) } });
  await collect(received, 8);
  assert.equal(received.length, 8);
  call.end();
  await once(call, 'status');
  client.close();
});

test('bare credit baseline: a Consume that starts with an ack is refused', async () => {
  const Queue = loadQueueService();
  const client = new Queue(address, grpc.credentials.createInsecure());
  const consume = methodOf(Queue, 'Consume');
  const call = client.makeBidiStreamRequest(consume.path, consume.requestSerialize, consume.responseDeserialize);
  call.on('data', () => undefined);
  const failed = once(call, 'error') as Promise<[grpc.ServiceError]>;
  call.write({ ack: { ackIds: ['x'] } });
  const [error] = await failed;
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
  client.close();
});
