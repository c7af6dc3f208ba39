import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab } from '../support/in-process-lab.ts';

// gRFC A9's max connection age, the mitigation people reach for first. A
// server stream never ends by itself, so GOAWAY alone changes nothing for
// it, and a grace period ends it by cutting it: whatever was in transit is
// lost, and the worker comes back to a fresh window's worth.

test('stream: MAX_CONNECTION_AGE_MS without a grace period never ends a Subscribe stream', async () => {
  const lab = await startInProcessLab({ MAX_CONNECTION_AGE_MS: 1000 });
  await lab.admin.publishMany(2000, { payloadBytes: 100 });
  const worker = await lab.worker('w', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 50 });
  const first = await waitFor('the window to fill', async () => {
    const w = workerStats(await lab.admin.stats(), 'w');
    return num(w.dispatched) >= 300 ? w : undefined;
  });
  // 80 messages of 50 ms later (over three connection ages of at most 1.1 s), the one stream is still there.
  await waitFor('three connection ages to pass', () => (worker.processedIds().length >= num(first.acked) + 80 ? true : undefined));
  const later = workerStats(await lab.admin.stats(), 'w');
  assert.equal(num(later.lost), 0);
  assert.equal(later.connected, true);
  assert.equal(lab.logs.filter((r) => r.msg === 'stream opened').length, 1);
  assert.equal(worker.logs.filter((r) => r.msg === 'lost the sidecar; reconnecting').length, 0);
});

test('stream: with a grace period the connection is cut, what was in transit is lost, and the worker reconnects for a new window', async () => {
  const lab = await startInProcessLab({ MAX_CONNECTION_AGE_MS: 1000, MAX_CONNECTION_AGE_GRACE_MS: 500 });
  const ids = await lab.admin.publishMany(3000, { payloadBytes: 100 });
  const worker = await lab.worker('w', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 50 });
  const cut = await waitFor('the first cut', async () => {
    const w = workerStats(await lab.admin.stats(), 'w');
    return num(w.lost) > 0 ? w : undefined;
  });
  // Hundreds were in transit when the stream was cut.
  assert.ok(num(cut.lost) >= 200, `only ${cut.lost} lost at the cut`);
  await waitFor('the worker to reconnect and get a new window', async () => {
    const w = workerStats(await lab.admin.stats(), 'w');
    return num(w.dispatched) >= num(cut.dispatched) + 200 ? true : undefined;
  });
  assert.ok(worker.logs.some((r) => r.msg === 'lost the sidecar; reconnecting'));
  assert.ok(lab.logs.filter((r) => r.msg === 'stream opened').length >= 2);
  // Stream mode never redelivers: the lost messages are not sent again.
  const stats = await lab.admin.stats();
  assert.equal(num(stats.totals?.requeued), 0);
  const queued = stats.queueDepth.reduce((n, d) => n + num(d), 0);
  assert.equal(num(stats.totals?.dispatched) + queued, ids.length);
});
