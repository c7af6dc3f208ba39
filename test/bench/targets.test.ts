import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allContenders } from '../../bench/contenders.ts';
import { summarize } from '../../bench/lib/summary.ts';
import { rederiveThroughput, targets, throughputResults, type RunRecord } from '../../bench/report.ts';

/** Runs of one contender: one per round, at the given rates. */
function runsAt(rates: readonly number[]): RunRecord[] {
  return rates.map((rate, round) => ({ round, messages: 1000, seconds: 1000 / rate, rate, serverCpuMicrosPerMessage: 10, clientCpuMicrosPerMessage: 10, anomalies: [] }));
}

const specs = allContenders();
const rates: Record<string, number[]> = {
  'bare-stream': [1000, 2000, 4000],
  'stream/shipped': [800, 1000, 4000],
  'credit-1/shipped': [500, 400, 1000],
  'credit-10/shipped': [700, 900, 2000],
  'rabbitmq-bare/prefetch-1': [250, 800, 2000],
  // prefetch 10 has no RabbitMQ baseline in this run: no target for it.
};
const rows = throughputResults(specs, new Map(Object.entries(rates).map(([id, r]) => [id, runsAt(r)])), new Map(), new Map());
const byName = new Map(targets(rows, []).map((t) => [t.target, t]));

test('bench targets: stream against bare streaming, paired by round', () => {
  const t = byName.get('sidecar `stream`, telemetry as shipped, >= 0.8 x bare grpc-js streaming');
  assert.ok(t);
  // per round 0.8, 0.5, 1: median 0.8, met at the line.
  assert.equal(t.value, 0.8);
  assert.equal(t.met, true);
});

test('bench targets: credit prefetch 1 against stream, and each credit row against RabbitMQ at its own prefetch, paired by round', () => {
  const toStream = byName.get('`credit` prefetch 1, as shipped, >= 0.5 x sidecar `stream`');
  assert.ok(toStream);
  // per round 0.625, 0.4, 0.25: median 0.4, missed.
  assert.equal(toStream.value, 0.4);
  assert.equal(toStream.met, false);
  const toRabbit = byName.get('`credit` prefetch 1, as shipped, >= bare amqplib on RabbitMQ at prefetch 1');
  assert.ok(toRabbit);
  // per round 2, 0.5, 0.5: median 0.5 (a median of unpaired rates would be 500 / 800 = 0.625).
  assert.equal(toRabbit.value, 0.5);
  assert.equal(toRabbit.met, false);
  assert.equal([...byName.keys()].some((name) => name.includes('RabbitMQ at prefetch 10')), false, 'a target without its baseline in the run');
});

test('bench --rerender derives every ratio again from the saved runs, as the contenders pair them now', () => {
  const saved = throughputResults(specs, new Map(Object.entries(rates).map(([id, r]) => [id, runsAt(r)])), new Map(), new Map());
  // A saved run whose credit-1 row was paired with something else (a pairing since fixed).
  const stale = saved.map((row) => (row.id === 'credit-1/shipped' ? { ...row, rateRatioToStream: summarize([9]) } : row));
  const again = rederiveThroughput(stale, specs);
  assert.deepEqual(again, saved);
  // A contender the bench no longer has keeps its saved row.
  const gone = { ...saved[0], id: 'retired/shipped' } as (typeof saved)[number];
  assert.deepEqual(rederiveThroughput([gone], specs), [gone]);
});
