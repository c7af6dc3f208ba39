import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrape, sum, type Sample } from '@backlog-lab/harness/prometheus-text';
import { waitFor, waitForSteady, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab, type InProcessWorker } from '../support/in-process-lab.ts';

/**
 * Each worker spends 2.5 s on every message. A moment after it starts one,
 * nothing moves until it finishes: that is when both sides are scraped, so
 * the counts can be compared exactly.
 */
const DELAY_MS = 2500;

test('metrics add up exactly across the sidecar and every worker, and in transit from metrics equals Stats', async () => {
  const lab = await startInProcessLab();
  const workers: InProcessWorker[] = await Promise.all([
    lab.worker('m-stream', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: DELAY_MS }),
    lab.worker('m-credit', { DELIVERY_MODE: 'credit', PREFETCH: 5, PROCESSING_DELAY_MS: DELAY_MS }),
    lab.worker('m-poll', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: DELAY_MS }),
  ]);
  // Publish once all three are connected, so they start (and finish) messages together.
  await waitFor('three connected workers', async () => ((await lab.admin.stats()).workers.filter((w) => w.connected).length === 3 ? true : undefined));
  const published = 1500;
  await lab.admin.publishMany(published, { payloadBytes: 100 });

  for (const round of [1, 2]) {
    // Wait until every worker has started message `round` and is still busy with it.
    await waitFor(`every worker busy with message ${round}`, async () => {
      const scraped = await Promise.all(workers.map((w) => scrape(w.metricsPort)));
      return scraped.every((s) => sum(s, 'worker_messages_started_total') === round && sum(s, 'worker_busy') === 1) ? true : undefined;
    }, 30_000, 50);
    // The stream worker's window fills while it is busy; count once it is full.
    await waitForSteady('dispatching', async () => sum(await scrape(lab.metricsPort), 'sidecar_messages_dispatched_total'));
    const sidecar = await scrape(lab.metricsPort);
    const perWorker = new Map<string, Sample[]>();
    for (const w of workers) perWorker.set(w.workerId, await scrape(w.metricsPort));
    const stats = await lab.admin.stats();

    const processed = workers.reduce((n, w) => n + sum(perWorker.get(w.workerId) ?? [], 'worker_messages_processed_total'), 0);
    const started = workers.reduce((n, w) => n + sum(perWorker.get(w.workerId) ?? [], 'worker_messages_started_total'), 0);
    const queued = sum(sidecar, 'sidecar_queue_depth');
    const dispatched = sum(sidecar, 'sidecar_messages_dispatched_total');
    const inTransit = dispatched - started;
    const inProcessing = started - processed;

    assert.equal(sum(sidecar, 'sidecar_messages_published_total'), published);
    assert.equal(processed + queued + inTransit + inProcessing, published, `round ${round}`);
    assert.equal(processed, 3 * (round - 1));
    assert.equal(queued, stats.queueDepth.reduce((n, d) => n + num(d), 0));

    for (const w of workers) {
      const mine = perWorker.get(w.workerId) ?? [];
      const transit = sum(sidecar, 'sidecar_messages_dispatched_total', { worker_id: w.workerId }) - sum(mine, 'worker_messages_started_total');
      const busy = sum(mine, 'worker_busy');
      const s = workerStats(stats, w.workerId);
      // Stats counts the message being processed as in flight too.
      assert.equal(transit + busy, num(s.inFlight), `${w.workerId} round ${round}`);
      assert.equal(sum(sidecar, 'sidecar_messages_in_flight', { worker_id: w.workerId }), num(s.inFlight));
      assert.equal(sum(sidecar, 'sidecar_messages_acked_total', { worker_id: w.workerId }), num(s.acked));
    }
    // The stream worker holds hundreds; credit holds its prefetch; poll holds only what it works on.
    assert.ok(num(workerStats(stats, 'm-stream').inFlight) > 100);
    assert.equal(num(workerStats(stats, 'm-credit').inFlight), 5);
    assert.equal(num(workerStats(stats, 'm-poll').inFlight), 1);
    assert.equal(sum(sidecar, 'sidecar_workers_connected'), 3);
  }
});
