import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRIORITY_HIGH, PRIORITY_LOW } from '@backlog-lab/common/priority';
import { waitFor, workerStats } from '../../tools/lib/queue-client.ts';
import { num, startLab } from '../support/lab.ts';

for (const mode of ['credit', 'poll'] as const) {
  test(`${mode}: a high-priority message published behind a low-priority backlog is processed next`, async () => {
    const lab = await startLab();
    await lab.admin.publishMany(40, { priority: PRIORITY_LOW, idPrefix: 'low' });
    const worker = await lab.worker('w', { DELIVERY_MODE: mode, PREFETCH: 1, PROCESSING_DELAY_MS: 50 });
    await waitFor('a few low-priority messages done', () => (worker.processedIds().length >= 3 ? true : undefined));
    const [urgent] = await lab.admin.publish([{ id: 'urgent', priority: PRIORITY_HIGH, payload: Buffer.alloc(10) }]);
    const dispatchedBefore = num(workerStats(await lab.admin.stats(), 'w').dispatched);
    await waitFor('the urgent message', () => (worker.processedIds().includes('urgent') ? true : undefined));
    const position = worker.processedIds().indexOf(urgent ?? 'urgent');
    // Only what was already handed over (the one in hand) may go first.
    assert.ok(position <= dispatchedBefore, `urgent was processed at ${position}, ${dispatchedBefore} had been dispatched`);
    assert.ok(position < 10, `urgent waited behind ${position} low-priority messages`);
  });
}

test('stream: a high-priority message waits behind every message already in transit', async () => {
  const lab = await startLab();
  await lab.admin.publishMany(2000, { priority: PRIORITY_LOW, idPrefix: 'low' });
  const worker = await lab.worker('w', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 5 });
  await waitFor('the stream to fill', async () => (num(workerStats(await lab.admin.stats(), 'w').inFlight) >= 300 ? true : undefined));
  await lab.admin.publish([{ id: 'urgent', priority: PRIORITY_HIGH, payload: Buffer.alloc(10) }]);
  const inTransitWhenPublished = num(workerStats(await lab.admin.stats(), 'w').dispatched);
  await waitFor('the urgent message', () => (worker.processedIds().includes('urgent') ? true : undefined), 60_000);
  const position = worker.processedIds().indexOf('urgent');
  assert.ok(position >= inTransitWhenPublished, `urgent processed at ${position}, but ${inTransitWhenPublished} were in transit ahead of it`);
  // It still jumped the queue at the sidecar: it went out before the queued low-priority rest.
  assert.ok(position < 2000, 'urgent was not ahead of the messages still queued');
});
