/**
 * The Python (C-core) worker in each delivery mode, against the real
 * sidecar: every message processed exactly once, credit never above its
 * prefetch, and the health service SERVING while it is connected.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHealth } from '@backlog-lab/common/health-probe';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startProcessLab } from '../support/process-lab.ts';

const PYTHON = { stack: 'c-core' } as const;

for (const { mode, env } of [
  { mode: 'stream', env: { DELIVERY_MODE: 'stream' } },
  { mode: 'credit', env: { DELIVERY_MODE: 'credit', PREFETCH: 3 } },
  { mode: 'poll', env: { DELIVERY_MODE: 'poll' } },
] as const) {
  test(`${mode}: the Python worker processes every published message exactly once`, async () => {
    const lab = await startProcessLab();
    const ids = await lab.admin.publishMany(120, { payloadBytes: 100 });
    const worker = await lab.worker('py', { ...env, PROCESSING_DELAY_MS: 2 }, PYTHON);
    let maxInFlight = 0;
    await waitFor('every message acked', async () => {
      const stats = await lab.admin.stats();
      maxInFlight = Math.max(maxInFlight, num(workerStats(stats, 'py').inFlight));
      return num(stats.totals?.acked) === ids.length ? true : undefined;
    }, 30_000, 5);
    assert.equal((await worker.stop()).code, 0);
    assert.equal(worker.processedIds().length, ids.length, 'a message was processed twice');
    assert.deepEqual(new Set(worker.processedIds()), new Set(ids));
    if (mode === 'credit') assert.ok(maxInFlight <= 3, `in flight reached ${maxInFlight} with PREFETCH=3`);
    if (mode === 'poll') assert.ok(maxInFlight <= 1, `in flight reached ${maxInFlight}`);
    const stats = await lab.admin.stats();
    assert.equal(workerStats(stats, 'py').mode, mode);
    assert.equal(num(stats.totals?.lost) + num(stats.totals?.requeued), 0);
  });
}

test('credit: the Python worker never holds more than its prefetch, sampled throughout', async () => {
  const lab = await startProcessLab();
  const ids = await lab.admin.publishMany(200, { payloadBytes: 100 });
  const worker = await lab.worker('py', { DELIVERY_MODE: 'credit', PREFETCH: 5, PROCESSING_DELAY_MS: 5 }, PYTHON);
  const seen: number[] = [];
  await waitFor('every message acked', async () => {
    const stats = await lab.admin.stats();
    seen.push(num(workerStats(stats, 'py').inFlight));
    return num(stats.totals?.acked) === ids.length ? true : undefined;
  }, 30_000, 2);
  await worker.stop();
  assert.ok(seen.length >= 20, `only ${seen.length} samples`);
  assert.ok(Math.max(...seen) <= 5, `in flight reached ${Math.max(...seen)}`);
  assert.ok(seen.some((n) => n === 5), 'the prefetch was never used in full: the sampler saw nothing');
  assert.equal(workerStats(await lab.admin.stats(), 'py').prefetch, 5);
});

test('the Python worker\'s health service says SERVING while connected and NOT_SERVING once the sidecar is gone', async () => {
  const lab = await startProcessLab();
  const worker = await lab.worker('py', { DELIVERY_MODE: 'credit' }, PYTHON);
  await waitFor('SERVING', async () => ((await checkHealth(`127.0.0.1:${worker.healthPort}`)) === 'SERVING' ? true : undefined));
  await lab.sidecar.kill();
  await waitFor('NOT_SERVING', async () => ((await checkHealth(`127.0.0.1:${worker.healthPort}`)) === 'NOT_SERVING' ? true : undefined));
  assert.equal(await checkHealth(`127.0.0.1:${worker.healthPort}`, 'backlog.v1.Queue'), 'error: Health status unknown for service backlog.v1.Queue');
  await worker.waitForLog((r) => r.msg === 'lost the sidecar; reconnecting' || r.msg === 'consume stream ended by the sidecar');
});
