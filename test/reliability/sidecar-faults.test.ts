import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminClient, waitFor } from '@backlog-lab/harness/admin-client';
import { startSidecar, startWorker, type RunningWorker } from '@backlog-lab/harness/lab-services';
import { num } from '../support/process-lab.ts';
import { freePort } from '@backlog-lab/harness/free-port';


test('sidecar restart: workers in every mode reconnect with backoff, without crashing or spinning, and resume', async () => {
  const port = await freePort();
  let sidecar = await startSidecar({ SIDECAR_GRPC_PORT: port });
  const workers: RunningWorker[] = await Promise.all(['stream', 'credit', 'poll'].map((mode) =>
    startWorker(sidecar.address, `r-${mode}`, { DELIVERY_MODE: mode, PROCESSING_DELAY_MS: 0, POLL_TIMEOUT_MS: 1000 })));
  try {
    const admin = createAdminClient(sidecar.address);
    await admin.publishMany(30);
    await waitFor('first messages done', async () => (num((await admin.stats()).totals?.acked) === 30 ? true : undefined));
    admin.close();

    await sidecar.kill();
    const outage = 3000;
    await new Promise((r) => setTimeout(r, outage));
    sidecar = await startSidecar({ SIDECAR_GRPC_PORT: port });
    const admin2 = createAdminClient(sidecar.address);
    await waitFor('all three workers back', async () => ((await admin2.stats()).workers.filter((w) => w.connected).length === 3 ? true : undefined), 15_000);
    await admin2.publishMany(60);
    await waitFor('every worker back at work', async () => {
      const stats = await admin2.stats();
      return num(stats.totals?.acked) === 60 && stats.workers.filter((w) => Number(w.acked) > 0).length === 3 ? true : undefined;
    }, 20_000);
    admin2.close();

    for (const w of workers) {
      assert.equal(w.child.exitCode, null, `${w.workerId} exited`);
      const retries = w.logs.filter((r) => r.msg === 'lost the sidecar; reconnecting').length;
      // Capped exponential backoff: a handful of attempts in a 3 s outage, not a spin.
      assert.ok(retries >= 1 && retries <= 15, `${w.workerId} retried ${retries} times`);
    }
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await sidecar.kill();
  }
});

test('sidecar SIGTERM: NOT_SERVING first, streams end cleanly, the last Stats account for every message, exit 0', async () => {
  const sidecar = await startSidecar();
  const workers: RunningWorker[] = await Promise.all([
    // Large payloads keep the stream's backlog short, so the worker reaches the end of the stream soon.
    startWorker(sidecar.address, 's-stream', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 50 }),
    startWorker(sidecar.address, 's-credit', { DELIVERY_MODE: 'credit', PREFETCH: 3, PROCESSING_DELAY_MS: 500 }),
    startWorker(sidecar.address, 's-poll', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 500 }),
  ]);
  try {
    const admin = createAdminClient(sidecar.address);
    await waitFor('three connected workers', async () => ((await admin.stats()).workers.filter((w) => w.connected).length === 3 ? true : undefined));
    await admin.publishMany(300, { payloadBytes: 16_000 });
    await waitFor('all holding messages', async () => ((await admin.stats()).workers.every((w) => Number(w.inFlight) > 0) ? true : undefined));
    admin.close();
    const { code } = await sidecar.stop();
    assert.equal(code, 0);

    const order = sidecar.logs.map((r) => r.msg);
    assert.ok(order.indexOf('health NOT_SERVING; ending streams and pending pulls') > order.indexOf('shutting down'));
    assert.ok(order.indexOf('health NOT_SERVING; ending streams and pending pulls') < order.indexOf('sidecar stopped'));
    const last = sidecar.logs.find((r) => r.msg === 'sidecar stopped') as { totals: Record<string, number>; queued: number; in_flight: number };
    assert.equal(last.totals.published, 300);
    assert.equal(last.totals.lost, 0);
    assert.equal((last.totals.acked ?? 0) + last.queued + last.in_flight, 300);
    // Streams ended with a status, not a transport error.
    const stream = workers[0];
    const credit = workers[1];
    await waitFor('the workers to see the end', () => (
      stream?.logs.some((r) => r.msg === 'stream ended by the sidecar') && credit?.logs.some((r) => r.msg === 'consume stream ended by the sidecar') ? true : undefined));
    for (const w of workers) assert.equal(w.child.exitCode, null, `${w.workerId} should keep running and reconnect`);
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await sidecar.kill();
  }
});
