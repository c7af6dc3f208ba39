import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriorityQueue } from '../../services/sidecar/src/queue/priority-queue.ts';

const item = (seq: number): { seq: number } => ({ seq });
const drain = (q: PriorityQueue<{ seq: number }>): number[] => {
  const out: number[] = [];
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x.seq);
  return out;
};

test('priority queue: the highest level first, FIFO within a level', () => {
  const q = new PriorityQueue<{ seq: number }>(3);
  for (const [level, seq] of [[0, 1], [2, 2], [1, 3], [2, 4], [0, 5]] as const) q.push(level, item(seq));
  assert.equal(q.size, 5);
  assert.deepEqual([q.depth(0), q.depth(1), q.depth(2)], [2, 1, 2]);
  assert.deepEqual(drain(q), [2, 4, 3, 1, 5]);
  assert.equal(q.size, 0);
});

test('priority queue: a requeued batch goes back in its original order, before everything queued after it', () => {
  const q = new PriorityQueue<{ seq: number }>(1);
  for (let seq = 0; seq < 20; seq++) q.push(0, item(seq));
  const taken = Array.from({ length: 9 }, () => q.shift()!);
  // Released newest first (the order that reversed batches before), and in a scramble.
  q.putBack(0, [...taken].reverse());
  assert.deepEqual(drain(q), Array.from({ length: 20 }, (_, i) => i));
  for (let seq = 0; seq < 10; seq++) q.push(0, item(seq));
  const again = Array.from({ length: 6 }, () => q.shift()!);
  q.putBack(0, [again[3]!, again[0]!, again[5]!]);
  q.putBack(0, [again[4]!, again[1]!]);
  assert.deepEqual(drain(q), [0, 1, 3, 4, 5, 6, 7, 8, 9]);
});

test('priority queue: a put-back merges with older requeues already at the front', () => {
  const q = new PriorityQueue<{ seq: number }>(1);
  for (let seq = 0; seq < 10; seq++) q.push(0, item(seq));
  const [a, b, c, d] = [q.shift()!, q.shift()!, q.shift()!, q.shift()!];
  q.putBack(0, [c, d]);
  q.putBack(0, [a, b]);
  assert.deepEqual(drain(q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('priority queue: put-back with no room before the head rebuilds the level and keeps the order', () => {
  const q = new PriorityQueue<{ seq: number }>(1);
  q.push(0, item(5));
  q.push(0, item(6));
  q.putBack(0, [item(2), item(0), item(1)]);
  assert.deepEqual(drain(q), [0, 1, 2, 5, 6]);
});

test('priority queue: a million items cost one slot each and come out in order after compaction', () => {
  const q = new PriorityQueue<{ seq: number }>(1);
  for (let seq = 0; seq < 1_000_000; seq++) q.push(0, item(seq));
  let expected = 0;
  let inOrder = true;
  for (let x = q.shift(); x !== undefined; x = q.shift()) inOrder &&= x.seq === expected++;
  assert.equal(expected, 1_000_000);
  assert.ok(inOrder);
});
