/**
 * `make up` must show the problem by itself: with the compose file's default
 * settings (.env), a stream-mode backlog builds up in transit to the workers
 * while the sidecar's queue stays nearly empty, as a real Prometheus sees it.
 * The same services run as local processes with the same settings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from '@backlog-lab/harness/admin-client';
import { startSidecar, startWorker, type RunningWorker } from '@backlog-lab/harness/lab-services';
import { startPrometheus } from '@backlog-lab/harness/prometheus-server';
import { REPO_ROOT } from '@backlog-lab/harness/repo';

/** KEY=VALUE lines of .env, comments and blank lines skipped. */
function dotEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, '.env'), 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? '';
  }
  return env;
}

test('with the compose defaults, a backlog builds up in transit to the workers within the first peak, not in the sidecar\'s queue', async () => {
  const env = dotEnv();
  const pick = (names: readonly string[]): Record<string, string> => Object.fromEntries(names.flatMap((n) => (env[n] === undefined ? [] : [[n, env[n]]])));
  assert.equal(env.DELIVERY_MODE, 'stream', 'the default stack runs stream mode');
  const sidecar = await startSidecar({ ...pick(['PRODUCER_RATE', 'PRODUCER_PEAK_RATE', 'PRODUCER_PEAK_MS', 'PRODUCER_PERIOD_MS', 'PRODUCER_BURST', 'PAYLOAD_BYTES', 'HIGH_PRIORITY_RATIO']), LOG_LEVEL: 'warn' });
  const replicas = Number(env.WORKER_REPLICAS ?? 3);
  const workers: RunningWorker[] = await Promise.all(Array.from({ length: replicas }, (_, i) => startWorker(sidecar.address, `compose-${i + 1}`, {
    ...pick(['DELIVERY_MODE', 'PROCESSING_DELAY_MS', 'PREFETCH']), LOG_LEVEL: 'info',
  })));
  const prometheus = await startPrometheus({
    jobs: [{ name: 'sidecar', targets: [`127.0.0.1:${sidecar.metricsPort}`] }, { name: 'worker', targets: workers.map((w) => `127.0.0.1:${w.metricsPort}`) }],
  });
  after(async () => {
    await prometheus.stop();
    await Promise.all(workers.map((w) => w.kill()));
    await sidecar.kill();
  });
  // Well inside the first peak (60 s at 45 msg/s against 30 msg/s of capacity).
  const held = await waitFor('a worker with a backlog of 100 in flight, in Prometheus', async () => {
    const inFlight = await prometheus.value('max(sidecar_messages_in_flight)');
    return inFlight !== undefined && inFlight >= 100 ? inFlight : undefined;
  }, 50_000, 1_000);
  const queued = await prometheus.value('sum(sidecar_queue_depth)') ?? 0;
  assert.ok(queued < held / 4, `${queued} queued in the sidecar against ${held} in flight to one worker: stream mode should drain the queue into the workers`);
  // What a queue-depth autoscaler would see: nearly nothing, while every worker holds a backlog.
  const perWorker = (await prometheus.query('sidecar_messages_in_flight')).data?.result.map((r) => Number(r.value?.[1])) ?? [];
  assert.equal(perWorker.length, replicas);
  assert.ok(perWorker.every((n) => n >= 20), `in flight per worker: ${perWorker.join(', ')}`);
});
