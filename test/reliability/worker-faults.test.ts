import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
import { waitFor, workerStats, type AdminClient } from '@backlog-lab/harness/admin-client';
import { busyAfter, num, startProcessLab } from '../support/process-lab.ts';

async function processedBy(admin: AdminClient, expected: number): Promise<void> {
  await waitFor(`${expected} acked`, async () => (num((await admin.stats()).totals?.acked) >= expected ? true : undefined), 30_000);
}

test('stream: SIGKILL loses exactly what was dispatched to the worker and not finished, counted in Stats and metrics', async () => {
  const lab = await startProcessLab();
  await lab.admin.publishMany(2000);
  const victim = await lab.worker('victim', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 400 });
  await busyAfter(lab.admin, victim, 2);
  const before = workerStats(await lab.admin.stats(), 'victim');
  await victim.kill();
  const finished = victim.processedIds().length;
  await waitFor('the loss to be counted', async () => (num(workerStats(await lab.admin.stats(), 'victim').lost) > 0 ? true : undefined));
  const after = await lab.admin.stats();
  const lost = num(workerStats(after, 'victim').lost);
  assert.equal(lost, num(before.dispatched) - finished);
  assert.ok(lost > 100, `only ${lost} lost`);
  assert.equal(num(after.totals?.lost), lost);
  assert.equal(sum(await scrape(lab.sidecar.metricsPort), 'sidecar_messages_lost_total', { worker_id: 'victim' }), lost);
  // Every published message is accounted for: done, lost, or still queued.
  const queued = after.queueDepth.reduce((n, d) => n + num(d), 0);
  assert.equal(num(after.totals?.acked) + lost + queued, 2000);
});

// credit: the ack of the message in hand returns a credit, which the sidecar
// fills before it reads the half-close; that one is handed back too.
for (const { mode, env, inHand, handedBack } of [
  { mode: 'credit', env: { DELIVERY_MODE: 'credit', PREFETCH: 5 }, inHand: 5, handedBack: 5 },
  { mode: 'poll', env: { DELIVERY_MODE: 'poll' }, inHand: 1, handedBack: 0 },
] as const) {
  test(`${mode}: SIGTERM finishes and acks the message in hand, hands back the rest, exits 0 within the drain time`, async () => {
    const lab = await startProcessLab();
    const ids = await lab.admin.publishMany(30);
    const leaving = await lab.worker('leaving', { ...env, PROCESSING_DELAY_MS: 1000, WORKER_DRAIN_MS: 5000 });
    await busyAfter(lab.admin, leaving, 1);
    assert.equal(num(workerStats(await lab.admin.stats(), 'leaving').inFlight), inHand);
    const t0 = performance.now();
    const { code } = await leaving.stop();
    assert.equal(code, 0);
    assert.ok(performance.now() - t0 < 5000, 'took longer than WORKER_DRAIN_MS');
    // The message in hand was finished and acked, not abandoned.
    assert.equal(leaving.processedIds().length, 2);
    assert.ok(leaving.logs.filter((r) => r.msg === 'message processed').every((r) => r.outcome === 'ok'));
    const stats = await lab.admin.stats();
    assert.equal(num(workerStats(stats, 'leaving').acked), 2);
    assert.equal(num(workerStats(stats, 'leaving').requeued), handedBack);
    assert.equal(num(workerStats(stats, 'leaving').inFlight), 0);

    const next = await lab.worker('next', { ...env, PROCESSING_DELAY_MS: 0 });
    await processedBy(lab.admin, ids.length);
    await next.stop();
    const all = [...leaving.processedIds(), ...next.processedIds()];
    assert.equal(all.length, ids.length, 'a message was processed twice');
    assert.deepEqual(new Set(all), new Set(ids));
  });
}

test('stream: SIGTERM finishes the message in hand and exits 0; what was in transit is lost, as stream mode must', async () => {
  const lab = await startProcessLab();
  await lab.admin.publishMany(1000);
  const leaving = await lab.worker('leaving', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 600 });
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

test('credit: a stuck worker\'s message is requeued at the ack deadline; its late ack is not counted twice', async () => {
  const lab = await startProcessLab({ ACK_DEADLINE_MS: 800 });
  const env = { DELIVERY_MODE: 'credit', PREFETCH: 1 };
  const [id] = await lab.admin.publish([{ id: 'slow-one', priority: 1, payload: Buffer.alloc(10) }]);
  const slow = await lab.worker('slow', { ...env, PROCESSING_DELAY_MS: 3000 });
  await waitFor('requeued by the deadline', async () => (num(workerStats(await lab.admin.stats(), 'slow').requeued) === 1 ? true : undefined));
  const fast = await lab.worker('fast', { ...env, PROCESSING_DELAY_MS: 0 });
  await waitFor('the fast worker to finish it', () => (fast.processedIds().includes(id ?? '') ? true : undefined));
  await waitFor('the slow worker to finish too', () => (slow.logs.some((r) => r.msg === 'message processed') ? true : undefined));
  assert.equal(fast.logs.find((r) => r.msg === 'message processed')?.attempt, 2);
  const stats = await lab.admin.stats();
  assert.equal(num(stats.totals?.acked), 1);
  assert.equal(num(stats.totals?.requeued), 1);
  assert.equal(num(workerStats(stats, 'slow').acked), 0);
  const metrics = await scrape(lab.sidecar.metricsPort);
  assert.equal(sum(metrics, 'sidecar_messages_requeued_total', { reason: 'deadline' }), 1);
  assert.equal(sum(metrics, 'sidecar_messages_acked_total'), 1);
});

test('poll: a worker slower than its lease keeps its message by extending the lease: no redelivery, one ack', async () => {
  const lab = await startProcessLab({ POLL_LEASE_MS: 300 });
  const [id] = await lab.admin.publish([{ id: 'slow-one', priority: 1, payload: Buffer.alloc(10) }]);
  const slow = await lab.worker('slow', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 2000 });
  await waitFor('the slow worker to hold it', async () => (num(workerStats(await lab.admin.stats(), 'slow').inFlight) === 1 ? true : undefined));
  // Another worker is ready the whole time: a lapsed lease would hand it the message.
  const other = await lab.worker('other', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 0 });
  await waitFor('the slow worker to finish', () => (slow.processedIds().includes(id ?? '') ? true : undefined), 20_000);
  assert.equal(slow.logs.find((r) => r.msg === 'message processed')?.outcome, 'ok');
  assert.deepEqual(other.processedIds(), []);
  const stats = await lab.admin.stats();
  assert.equal(num(stats.totals?.requeued), 0);
  assert.equal(num(stats.totals?.acked), 1);
  assert.equal(num(stats.totals?.dispatched), 1);
});
