/**
 * SIGTERM to the Python worker does what it does to the TypeScript one
 * (test/reliability/worker-faults.test.ts): finish the message in hand, ack
 * or receipt it, hand back the rest (credit half-closes, poll cancels its
 * pending Pull; stream flushes its receipts, then cancels, and loses what
 * was in transit, as stream mode must), exit 0 within WORKER_DRAIN_MS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { busyAfter, num, startProcessLab } from '../support/process-lab.ts';

const PYTHON = { stack: 'c-core' } as const;

// credit: the ack of the message in hand returns a credit, which the sidecar
// fills before it reads the half-close; that one is handed back too.
for (const { mode, env, inHand, handedBack } of [
  { mode: 'credit', env: { DELIVERY_MODE: 'credit', PREFETCH: 5 }, inHand: 5, handedBack: 5 },
  { mode: 'poll', env: { DELIVERY_MODE: 'poll' }, inHand: 1, handedBack: 0 },
] as const) {
  test(`${mode}: SIGTERM to the Python worker finishes and acks the message in hand, hands back the rest, exits 0 within the drain time`, async () => {
    const lab = await startProcessLab();
    const ids = await lab.admin.publishMany(30);
    const leaving = await lab.worker('leaving', { ...env, PROCESSING_DELAY_MS: 1000, WORKER_DRAIN_MS: 5000 }, PYTHON);
    await busyAfter(lab.admin, leaving, 1);
    assert.equal(num(workerStats(await lab.admin.stats(), 'leaving').inFlight), inHand);
    const t0 = performance.now();
    const { code } = await leaving.stop();
    assert.equal(code, 0);
    assert.ok(performance.now() - t0 < 5000, 'took longer than WORKER_DRAIN_MS');
    assert.equal(leaving.processedIds().length, 2);
    assert.ok(leaving.logs.filter((r) => r.msg === 'message processed').every((r) => r.outcome === 'ok'));
    assert.ok(leaving.logs.some((r) => r.msg === 'worker stopped'));
    const stats = await lab.admin.stats();
    assert.equal(num(workerStats(stats, 'leaving').acked), 2);
    assert.equal(num(workerStats(stats, 'leaving').requeued), handedBack);
    assert.equal(num(workerStats(stats, 'leaving').inFlight), 0);

    const next = await lab.worker('next', { ...env, PROCESSING_DELAY_MS: 0 }, PYTHON);
    await waitFor(`${ids.length} acked`, async () => (num((await lab.admin.stats()).totals?.acked) >= ids.length ? true : undefined), 30_000);
    await next.stop();
    const all = [...leaving.processedIds(), ...next.processedIds()];
    assert.equal(all.length, ids.length, 'a message was processed twice');
    assert.deepEqual(new Set(all), new Set(ids));
  });
}

test('stream: SIGTERM to the Python worker finishes the message in hand and exits 0; what was in transit is lost, as stream mode must', async () => {
  const lab = await startProcessLab();
  await lab.admin.publishMany(1000);
  const leaving = await lab.worker('leaving', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 600 }, PYTHON);
  await busyAfter(lab.admin, leaving, 1);
  const before = workerStats(await lab.admin.stats(), 'leaving');
  const { code } = await leaving.stop();
  assert.equal(code, 0);
  assert.equal(leaving.processedIds().length, 2);
  await waitFor('receipt and loss counted', async () => {
    const w = workerStats(await lab.admin.stats(), 'leaving');
    return num(w.acked) === 2 && num(w.lost) > 0 ? w : undefined;
  });
  assert.equal(num(workerStats(await lab.admin.stats(), 'leaving').lost), num(before.dispatched) - 2);
});

test('a Python worker that cannot finish within WORKER_DRAIN_MS abandons its session and still exits 0', async () => {
  const lab = await startProcessLab();
  await lab.admin.publishMany(5);
  const stuck = await lab.worker('stuck', { DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 60_000, WORKER_DRAIN_MS: 300 }, PYTHON);
  await waitFor('it holds a message', async () => (num(workerStats(await lab.admin.stats(), 'stuck').inFlight) === 1 ? true : undefined));
  assert.equal((await stuck.stop()).code, 0);
  assert.ok(stuck.logs.some((r) => r.msg === 'drain time passed; abandoning the session' && r.drain_ms === 300));
  await waitFor('its message requeued', async () => (num(workerStats(await lab.admin.stats(), 'stuck').requeued) === 1 ? true : undefined));
});
