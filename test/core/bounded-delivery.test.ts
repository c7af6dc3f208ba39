import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab } from '../support/in-process-lab.ts';

for (const { mode, limit, env } of [
  { mode: 'credit', limit: 1, env: { DELIVERY_MODE: 'credit', PREFETCH: 1 } },
  { mode: 'poll', limit: 1, env: { DELIVERY_MODE: 'poll' } },
] as const) {
  test(`${mode}: in flight per worker never exceeds ${limit}, a worker started later gets work at once, and the backlog splits`, async () => {
    const lab = await startInProcessLab();
    const ids = await lab.admin.publishMany(150, { payloadBytes: 100 });
    const first = await lab.worker('first', { ...env, PROCESSING_DELAY_MS: 50 });

    let maxInFlight = 0;
    const sampling = { on: true };
    const sampler = (async () => {
      while (sampling.on) {
        const stats = await lab.admin.stats();
        for (const w of stats.workers) maxInFlight = Math.max(maxInFlight, num(w.inFlight));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    await waitFor('the first worker to finish a few', () => (first.processedIds().length >= 3 ? true : undefined));
    const second = await lab.worker('second', { ...env, PROCESSING_DELAY_MS: 50 });
    // Its very first request is answered with a message from the backlog.
    await waitFor('the second worker to get work', () => (second.processedIds().length >= 1 ? true : undefined), 5_000);

    await waitFor('every message processed', async () => {
      const stats = await lab.admin.stats();
      return num(stats.totals?.acked) === ids.length ? true : undefined;
    });
    sampling.on = false;
    await sampler;
    await Promise.all([first.stop(), second.stop()]);

    assert.ok(maxInFlight <= limit, `max in flight per worker was ${maxInFlight}`);
    const a = first.processedIds().length;
    const b = second.processedIds().length;
    assert.equal(a + b, ids.length);
    assert.ok(b >= 10, `the later worker processed only ${b} of ${ids.length}`);
    assert.deepEqual(new Set([...first.processedIds(), ...second.processedIds()]), new Set(ids));
    const stats = await lab.admin.stats();
    assert.equal(num(workerStats(stats, 'second').dispatched), b);
  });
}
