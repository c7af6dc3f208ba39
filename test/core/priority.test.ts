import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRIORITY_HIGH, PRIORITY_LOW } from '@backlog-lab/common/priority';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab } from '../support/in-process-lab.ts';

for (const mode of ['credit', 'poll'] as const) {
  test(`${mode}: a high-priority message published behind a low-priority backlog is processed next`, async () => {
    const lab = await startInProcessLab();
    await lab.admin.publishMany(40, { priority: PRIORITY_LOW, idPrefix: 'low' });
    const worker = await lab.worker('w', { DELIVERY_MODE: mode, PREFETCH: 1, PROCESSING_DELAY_MS: 50 });
    await waitFor('a few low-priority messages done', () => (worker.processedIds().length >= 3 ? true : undefined));
    const before = await lab.admin.stats();
    const dispatchedBefore = num(workerStats(before, 'w').dispatched);
    const lowStillQueued = num(before.queueDepth[PRIORITY_LOW]);
    await lab.admin.publish([{ id: 'urgent', priority: PRIORITY_HIGH, payload: Buffer.alloc(10) }]);
    await waitFor('the urgent message', () => (worker.processedIds().includes('urgent') ? true : undefined));
    const position = worker.processedIds().indexOf('urgent');
    // Only what was already handed over (the one in hand, and at most one
    // more dispatched while we published) may go first.
    assert.ok(position <= dispatchedBefore + 1, `urgent was processed at ${position}; ${dispatchedBefore} had been dispatched`);
    assert.ok(lowStillQueued >= 20, `the backlog was already down to ${lowStillQueued}`);
  });
}

test('stream: a high-priority message waits behind every message already in transit', async () => {
  const lab = await startInProcessLab();
  await lab.admin.publishMany(2000, { priority: PRIORITY_LOW, idPrefix: 'low' });
  const worker = await lab.worker('w', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 5 });
  await waitFor('the stream to fill', async () => (num(workerStats(await lab.admin.stats(), 'w').inFlight) >= 300 ? true : undefined));
  const inTransitWhenPublished = num(workerStats(await lab.admin.stats(), 'w').dispatched);
  await lab.admin.publish([{ id: 'urgent', priority: PRIORITY_HIGH, payload: Buffer.alloc(10) }]);
  await waitFor('the urgent message', () => (worker.processedIds().includes('urgent') ? true : undefined), 60_000);
  const position = worker.processedIds().indexOf('urgent');
  assert.ok(position >= inTransitWhenPublished, `urgent processed at ${position}, but ${inTransitWhenPublished} were in transit ahead of it`);
  // It still jumped the queue at the sidecar: it went out before the queued low-priority rest.
  assert.ok(position < 2000, 'urgent was not ahead of the messages still queued');
});
