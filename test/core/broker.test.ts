import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Delivery } from '@backlog-lab/common/contract';
import { Broker, type BrokerEvents, type Consumer, type Holder } from '../../services/sidecar/src/broker.ts';

const quiet: BrokerEvents = {
  workerSeen: () => undefined,
  published: () => undefined,
  dispatching: () => undefined,
  acked: () => undefined,
  requeued: () => undefined,
  lost: () => undefined,
};

/** A consumer that takes everything it is given, held as `mode`. */
function collector(workerId: string, mode: Holder['mode']): Consumer & { delivered: Delivery[] } {
  const holder: Holder = { workerId, mode, held: new Set() };
  const delivered: Delivery[] = [];
  return { holder, delivered, canTake: () => true, deliver: (d) => { delivered.push(d); } };
}

test('broker: repeated acks are answered already-acked for the last rememberAcked ids, then not-found', () => {
  const broker = new Broker({ ackDeadlineMs: 60_000, events: quiet, rememberAcked: 3 });
  const worker = collector('w', 'poll');
  broker.attach(worker);
  broker.publish(['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, priority: 1, payload: Buffer.alloc(1) })));
  assert.deepEqual(worker.delivered.map((d) => d.id), ['a', 'b', 'c', 'd', 'e']);
  for (const id of ['a', 'b', 'c', 'd', 'e']) assert.equal(broker.ack('w', id, 'poll'), 'acked');
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((id) => broker.ack('w', id, 'poll')), ['not-found', 'not-found', 'already-acked', 'already-acked', 'already-acked']);
  broker.close();
});

test('broker: a message is settled only through the channel it was delivered on', () => {
  const broker = new Broker({ ackDeadlineMs: 60_000, events: quiet });
  const stream = collector('s', 'stream');
  broker.attach(stream);
  broker.publish([{ id: 'm', priority: 1, payload: Buffer.alloc(1) }]);
  broker.detach(stream, false);
  const credit = collector('c', 'credit');
  broker.attach(credit);
  broker.publish([{ id: 'n', priority: 1, payload: Buffer.alloc(1) }]);
  assert.equal(broker.ack('s', 'm', 'poll'), 'wrong-holder');
  assert.equal(broker.ack('c', 'n', 'poll'), 'wrong-holder');
  assert.equal(broker.ack('c', 'n', 'stream'), 'wrong-holder');
  assert.equal(broker.ack('c', 'n', collector('c', 'credit').holder), 'wrong-holder');
  assert.equal(broker.ack('s', 'm', 'stream'), 'acked');
  assert.equal(broker.ack('c', 'n', credit.holder), 'acked');
  assert.equal(broker.totals.acked, 2);
  broker.close();
});
