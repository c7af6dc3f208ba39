import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Delivery } from '@backlog-lab/common/contract';
import { createAckIds } from '../../services/sidecar/src/queue/ack-ids.ts';
import { Dispatcher, type DispatchEvents } from '../../services/sidecar/src/queue/dispatcher.ts';
import { createMemoryQueue } from '../../services/sidecar/src/queue/memory-queue.ts';
import type { Consumer, DeliveryPolicy, Holder } from '../../services/sidecar/src/queue/policy.ts';
import { isRefusal, Workers } from '../../services/sidecar/src/queue/workers.ts';

const quiet: DispatchEvents = { dispatching: () => undefined, requeued: () => undefined };

const policy = (overrides: Partial<DeliveryPolicy> = {}): DeliveryPolicy => ({
  mode: 'test', release: 'requeue', releaseGraceMs: 0, settleWithinMs: undefined, upstreamAck: 'settle', exclusive: true, presenceMs: 0, ...overrides,
});

function setup(options: { remember?: number; ttlMs?: number; maxWorkers?: number } = {}): Dispatcher {
  return new Dispatcher({ queue: createMemoryQueue(), workers: new Workers({ ttlMs: options.ttlMs ?? 60_000, maxWorkers: options.maxWorkers ?? 100 }), events: quiet, rememberSettled: options.remember });
}

/** A consumer that takes up to `limit` deliveries, attached under its own worker id. */
function collector(d: Dispatcher, workerId: string, p: DeliveryPolicy, limit = Infinity): Consumer & Holder & { delivered: Delivery[] } {
  const delivered: Delivery[] = [];
  const c = { workerId, policy: p, ackIds: createAckIds(), delivered, get holder() { return c; }, canTake: () => delivered.length < limit, deliver: (x: Delivery) => { delivered.push(x); } };
  const record = d.workers.admit(workerId, p);
  assert.ok(!isRefusal(record));
  d.attach(c, record);
  return c;
}

const publish = (d: Dispatcher, ids: string[], priority = 1): Promise<void> => d.publish(ids.map((id) => ({ id, priority, payload: Buffer.alloc(1) })));

test('dispatcher: highest priority first, FIFO within a level, round-robin across ready consumers', async () => {
  const d = setup();
  const p = policy();
  await publish(d, ['l1', 'l2'], 0);
  await publish(d, ['h1'], 2);
  await publish(d, ['n1', 'n2'], 1);
  const a = collector(d, 'a', p);
  assert.deepEqual(a.delivered.map((x) => x.id), ['h1', 'n1', 'n2', 'l1', 'l2']);
  await publish(d, ['x', 'y', 'z', 'w']);
  const b = collector(d, 'b', p);
  assert.deepEqual(b.delivered.map((x) => x.id), []);
  await publish(d, ['m1', 'm2', 'm3', 'm4']);
  assert.deepEqual([a.delivered.length, b.delivered.length], [11, 2]);
});

test('dispatcher: each delivery has its own ack id; only the holder settles it, and a repeat is answered, not counted', async () => {
  const d = setup();
  const p = policy();
  const a = collector(d, 'a', p);
  const other = collector(d, 'b', policy({ mode: 'other' }), 0);
  await publish(d, ['m1', 'm2']);
  const [first, second] = a.delivered;
  assert.ok(first && second && first.ackId !== second.ackId);
  const ackId = first.ackId as string;
  assert.equal(d.settle(ackId, { workerId: 'b', policy: p }), 'unknown', 'another worker id');
  assert.equal(d.settle(ackId, { workerId: 'a', policy: other.policy }), 'unknown', 'another mode');
  assert.equal(d.settle(ackId, { workerId: 'a', policy: p, holder: other }), 'unknown', 'another stream');
  assert.equal(d.settle('made-up', { workerId: 'a', policy: p }), 'unknown');
  assert.equal(d.settle(ackId, { workerId: 'a', policy: p, holder: a }), 'settled');
  assert.equal(d.settle(ackId, { workerId: 'a', policy: p, holder: a }), 'already-settled');
  assert.equal(d.totals.acked, 1);
  assert.equal(d.workers.get('a')?.inFlight, 1);
});

test('dispatcher: a released holder\'s deliveries come back in their original order (policy requeue), with attempt + 1', async () => {
  const d = setup();
  const p = policy();
  const ids = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);
  const victim = collector(d, 'victim', p, 9);
  await publish(d, ids);
  assert.equal(victim.delivered.length, 9);
  // Settle two in the middle, so the rest is not one contiguous run.
  for (const x of [victim.delivered[2], victim.delivered[5]]) d.settle(x?.ackId as string, { workerId: 'victim', policy: p });
  d.detach(victim);
  d.release(victim);
  const rescuer = collector(d, 'rescuer', p);
  assert.deepEqual(rescuer.delivered.map((x) => x.id), ['k00', 'k01', 'k03', 'k04', 'k06', 'k07', 'k08', 'k09', 'k10', 'k11']);
  assert.deepEqual(rescuer.delivered.map((x) => x.attempt), [2, 2, 2, 2, 2, 2, 2, 1, 1, 1]);
  assert.equal(d.workers.get('victim')?.requeued, 7);
  assert.equal(d.settle(victim.delivered[0]?.ackId as string, { workerId: 'victim', policy: p }), 'expired');
});

test('dispatcher: policy lose keeps a released holder\'s deliveries for the grace, counts late settles, then counts the rest lost', async () => {
  const d = setup();
  const p = policy({ release: 'lose', releaseGraceMs: 50 });
  const s = collector(d, 's', p);
  await publish(d, ['a', 'b', 'c']);
  d.detach(s);
  d.release(s);
  assert.equal(d.settle(s.delivered[0]?.ackId as string, { workerId: 's', policy: p }), 'settled', 'a receipt within the grace counts');
  assert.equal(d.workers.get('s')?.inFlight, 2);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(d.totals.lost, 2);
  assert.equal(d.workers.get('s')?.inFlight, 0);
  assert.equal(d.settle(s.delivered[1]?.ackId as string, { workerId: 's', policy: p }), 'lost');
  assert.equal(d.totals.acked + d.totals.lost, 3);
});

test('dispatcher: a delivery not settled within the policy\'s time is requeued; extending it keeps it', async () => {
  const d = setup();
  const p = policy({ settleWithinMs: 80, exclusive: false });
  const w = collector(d, 'w', p, 2);
  await publish(d, ['kept', 'lapsed']);
  const [kept, lapsed] = w.delivered;
  const extender = setInterval(() => { d.extend(kept?.ackId as string, { workerId: 'w', policy: p }); }, 20);
  await new Promise((r) => setTimeout(r, 200));
  clearInterval(extender);
  assert.equal(d.settle(kept?.ackId as string, { workerId: 'w', policy: p }), 'settled');
  assert.equal(d.settle(lapsed?.ackId as string, { workerId: 'w', policy: p }), 'expired');
  assert.equal(d.extend(lapsed?.ackId as string, { workerId: 'w', policy: p }), false);
  assert.equal(d.queue.size, 1);
});

test('dispatcher: the settled-id memory is bounded; an id forgotten is answered unknown', async () => {
  const d = setup({ remember: 2 });
  const p = policy();
  const w = collector(d, 'w', p);
  await publish(d, ['a', 'b', 'c']);
  const acks = w.delivered.map((x) => x.ackId as string);
  for (const id of acks) d.settle(id, { workerId: 'w', policy: p });
  assert.deepEqual(acks.map((id) => d.settle(id, { workerId: 'w', policy: p })), ['unknown', 'already-settled', 'already-settled']);
});

test('workers: one live stream per worker id, one mode at a time, a cap on ids, and idle ids forgotten after the TTL', () => {
  const workers = new Workers({ ttlMs: 1_000, maxWorkers: 2 });
  const stream = policy({ mode: 'stream' });
  const poll = policy({ mode: 'poll', exclusive: false, presenceMs: 500 });
  const a = workers.admit('a', stream, 0);
  assert.ok(!isRefusal(a));
  a.attached = 1;
  assert.deepEqual(workers.admit('a', stream, 0), { reason: 'taken' });
  assert.deepEqual(workers.admit('a', poll, 0), { reason: 'other-mode', mode: 'stream' });
  const b = workers.admit('b', poll, 0);
  assert.ok(!isRefusal(b));
  assert.ok(!isRefusal(workers.admit('b', poll, 0)), 'several Pulls may share an id');
  assert.deepEqual(workers.admit('c', poll, 0), { reason: 'full', max: 2 });
  a.attached = 0;
  assert.equal(workers.sweep(999), 0, 'not yet past the TTL');
  assert.equal(workers.sweep(1_600), 2);
  assert.ok(!isRefusal(workers.admit('c', poll, 1_600)));
});
