/**
 * Workers of both stacks on one sidecar: the contract, not the stack,
 * decides who holds what. They share a credit backlog without overlap, and
 * what a killed C-core worker held goes to the grpc-js one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import type { RunningWorker } from '@backlog-lab/harness/lab-services';
import { num, startProcessLab } from '../support/process-lab.ts';

const attempts = (worker: RunningWorker, attempt: number): string[] =>
  worker.logs.filter((r) => r.msg === 'message processed' && r.attempt === attempt).map((r) => String(r.message_id));

test('credit: a Python and a TypeScript worker share one backlog, every id processed once, by one of them', async () => {
  const lab = await startProcessLab();
  const env = { DELIVERY_MODE: 'credit', PREFETCH: 2, PROCESSING_DELAY_MS: 10 };
  const python = await lab.worker('py', env, { stack: 'c-core' });
  const typescript = await lab.worker('ts', env, { stack: 'grpc-js' });
  // Both streams open before the first message: neither gets a head start.
  await waitFor('both workers connected', async () => {
    const stats = await lab.admin.stats();
    return workerStats(stats, 'py').connected && workerStats(stats, 'ts').connected ? true : undefined;
  });
  const ids = await lab.admin.publishMany(200, { payloadBytes: 100 });
  await waitFor('every message acked', async () => (num((await lab.admin.stats()).totals?.acked) === ids.length ? true : undefined), 60_000);
  await Promise.all([python.stop(), typescript.stop()]);
  const byPython = python.processedIds();
  const byTypescript = typescript.processedIds();
  assert.ok(byPython.length >= 10 && byTypescript.length >= 10, `split ${byPython.length} / ${byTypescript.length}`);
  const overlap = byPython.filter((id) => new Set(byTypescript).has(id));
  assert.deepEqual(overlap, []);
  assert.equal(byPython.length + byTypescript.length, ids.length);
  assert.deepEqual(new Set([...byPython, ...byTypescript]), new Set(ids));
});

test('credit: SIGKILL of a Python worker holding unacked messages: all redelivered to the TypeScript worker with attempt 2, none lost', async () => {
  const lab = await startProcessLab({ ACK_DEADLINE_MS: 60_000 });
  const ids = await lab.admin.publishMany(40, { idPrefix: 'k' });
  const doomed = await lab.worker('doomed', { DELIVERY_MODE: 'credit', PREFETCH: 10, PROCESSING_DELAY_MS: 120_000 }, { stack: 'c-core' });
  await waitFor('the Python worker to hold ten', async () => (num(workerStats(await lab.admin.stats(), 'doomed').inFlight) === 10 ? true : undefined));
  const held = ids.slice(0, 10);
  await doomed.kill();
  await waitFor('its messages back in the queue', async () => (num(workerStats(await lab.admin.stats(), 'doomed').inFlight) === 0 ? true : undefined), 20_000);
  const rescuer = await lab.worker('rescuer', { DELIVERY_MODE: 'credit', PREFETCH: 1, PROCESSING_DELAY_MS: 0 }, { stack: 'grpc-js' });
  await waitFor('every message processed', async () => (num((await lab.admin.stats()).totals?.acked) === ids.length ? true : undefined));
  await rescuer.stop();
  assert.deepEqual(attempts(rescuer, 2), held, 'the ten it held, redelivered first and in order');
  assert.deepEqual(rescuer.processedIds(), ids);
  const stats = await lab.admin.stats();
  assert.equal(num(workerStats(stats, 'doomed').requeued), 10);
  assert.equal(num(stats.totals?.lost), 0);
});
