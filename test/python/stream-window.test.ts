/**
 * Stream mode on C-core: BDP probing grows the HTTP/2 window to megabytes,
 * so with small messages a slow C-core worker holds tens of thousands in
 * transit where a grpc-js worker holds hundreds; with BDP probing off it
 * falls back into the grpc-js range. Orderings, not numbers: the counts
 * depend on how far BDP probing grows the window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForSteady, workerStats } from '@backlog-lab/harness/admin-client';
import type { Stack } from '@backlog-lab/harness/lab-services';
import { num, startProcessLab } from '../support/process-lab.ts';

/** Enough 100-byte messages that a 4 MiB window (about 25,000 of them) is the limit, not the burst. */
const BURST = 40_000;

/** Messages in transit to one stream worker that took one and is working on it for an hour. */
async function heldInTransit(stack: Stack, env: Readonly<Record<string, string>> = {}): Promise<number> {
  const lab = await startProcessLab();
  await lab.admin.publishMany(BURST, { payloadBytes: 100 });
  await lab.worker('held', { ...env, DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 3_600_000, LOG_LEVEL: 'info' }, { stack });
  await waitForSteady('dispatch to the held worker', async () => num(workerStats(await lab.admin.stats(), 'held').dispatched), 1_000, 60_000);
  return num(workerStats(await lab.admin.stats(), 'held').inFlight);
}

test('stream: a C-core worker holds an order of magnitude more in transit than a grpc-js one, and falls back with BDP probing off', async () => {
  const grpcJs = await heldInTransit('grpc-js');
  const bdpOn = await heldInTransit('c-core');
  const bdpOff = await heldInTransit('c-core', { BDP_PROBE: 'off' });
  const counts = `grpc-js ${grpcJs}, c-core ${bdpOn}, c-core with BDP_PROBE=off ${bdpOff}`;
  assert.ok(grpcJs >= 100, counts);
  assert.ok(bdpOn >= 10 * grpcJs, `C-core should hold 10x grpc-js: ${counts}`);
  assert.ok(bdpOff * 10 <= bdpOn, `BDP_PROBE=off should hold a tenth of BDP_PROBE=on at most: ${counts}`);
  assert.ok(bdpOff * 3 >= grpcJs && bdpOff <= grpcJs * 3, `BDP_PROBE=off should be in the grpc-js range: ${counts}`);
});
