import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nowUnixMicros, nowUnixNano, unixNanoToMicros } from '@backlog-lab/common/clock';

test('a carried nanosecond timestamp comes back in exact microseconds, whatever float64 does to nanoseconds', () => {
  const now = nowUnixMicros();
  assert.ok(Number.isSafeInteger(now));
  // Every microsecond timestamp from 1970 to past 2200 that this clock could have written, sampled.
  for (let i = 0; i < 100_000; i++) {
    const us = Math.floor(Math.random() * 7.3e15);
    assert.equal(unixNanoToMicros(`${us}000`), us, `${us}`);
  }
  // A timestamp with nanoseconds (another writer's clock) is rounded to the nearest microsecond.
  assert.equal(unixNanoToMicros('1796180268126123499'), 1796180268126123);
  assert.equal(unixNanoToMicros('1796180268126123501'), 1796180268126124);
  assert.equal(unixNanoToMicros('0'), 0);
  assert.equal(unixNanoToMicros('499'), 0);
  assert.equal(unixNanoToMicros('500'), 1);
  assert.equal(unixNanoToMicros('1500'), 2);
  // The bigint reading is the same clock.
  const ns = nowUnixNano();
  assert.equal(ns % 1000n, 0n);
  assert.ok(Number(ns / 1000n) >= now);
});
