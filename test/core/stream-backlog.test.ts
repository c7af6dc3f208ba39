import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor, waitForSteady, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab } from '../support/in-process-lab.ts';

test('stream: hundreds of small messages sit in one slow worker\'s backlog, and a worker started later gets none of them', async () => {
  const lab = await startInProcessLab();
  const ids = await lab.admin.publishMany(3000, { payloadBytes: 100 });
  const first = await lab.worker('first', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 200 });

  // The sidecar writes while grpc-js lets it; the worker has finished only a few.
  const early = await waitFor('hundreds dispatched to the first worker', async () => {
    const w = workerStats(await lab.admin.stats(), 'first');
    return num(w.dispatched) >= 300 ? w : undefined;
  });
  const finished = num(early.acked);
  assert.ok(num(early.dispatched) >= 20 * Math.max(1, finished), `dispatched ${early.dispatched} vs finished ${finished}`);

  // Let the window fill completely, then note exactly what the first worker holds.
  await waitForSteady('dispatching to the first worker', async () => num(workerStats(await lab.admin.stats(), 'first').dispatched));
  const before = workerStats(await lab.admin.stats(), 'first');
  const heldByFirst = new Set(ids.slice(0, num(before.dispatched)));
  assert.ok(heldByFirst.size < ids.length, 'some messages must still be queued for the second worker');

  const second = await lab.worker('second', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 0 });
  await waitFor('the second worker to process queued messages', () => (second.processedIds().length >= 50 ? true : undefined));
  const stolen = second.processedIds().filter((id) => heldByFirst.has(id));
  assert.deepEqual(stolen, [], 'the second worker processed messages that were in transit to the first');
  // And the first worker's in-transit count is still hundreds: scaling out did not help them.
  const now = workerStats(await lab.admin.stats(), 'first');
  assert.ok(num(now.inFlight) >= 200, `first worker still holds ${now.inFlight}`);
  assert.equal(first.processedIds().every((id) => heldByFirst.has(id)), true);
});
