import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab } from '../support/in-process-lab.ts';

test('stream: a fast worker receipts many messages per call, a slow one each message soon after it finishes', async () => {
  const lab = await startInProcessLab();
  await lab.admin.publishMany(3000, { payloadBytes: 100 });
  const fast = await lab.worker('fast', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 0 });
  await waitFor('3000 receipted', async () => (num(workerStats(await lab.admin.stats(), 'fast').acked) === 3000 ? true : undefined), 60_000);
  const metrics = await scrape(lab.metricsPort);
  const ids = sum(metrics, 'sidecar_receipt_batch_ids_sum');
  const calls = sum(metrics, 'sidecar_receipt_batch_ids_count');
  assert.equal(ids, 3000);
  assert.ok(calls <= ids / 3, `${calls} Receipt calls for ${ids} messages: receipts are not batched`);
  await fast.stop();
  assert.equal(fast.processedIds().length, 3000);
  // Publish only once the sidecar has seen the stream go, or the next
  // messages could be written to it and lost with it.
  await waitFor('the fast worker to be gone', async () => (workerStats(await lab.admin.stats(), 'fast').connected ? undefined : true));

  // A slow worker's receipts do not wait for a batch to fill: each finished
  // message is counted while the worker is still running and busy with the next.
  await lab.admin.publishMany(3, { payloadBytes: 100 });
  const slow = await lab.worker('slow', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 1000 });
  const firstDone = await waitFor('the slow worker\'s first receipt', async () => {
    const w = workerStats(await lab.admin.stats(), 'slow');
    return num(w.acked) >= 1 ? w : undefined;
  });
  assert.ok(num(firstDone.inFlight) >= 1, 'the receipt arrived only after the worker ran out of work');
  assert.ok(slow.processedIds().length < 3);
  await waitFor('all three receipted', async () => (num(workerStats(await lab.admin.stats(), 'slow').acked) === 3 ? true : undefined));
});
