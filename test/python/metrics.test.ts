/**
 * The Python worker exports the TypeScript worker's metrics: the same worker_*
 * names, label sets and bucket boundaries (compared on two live workers), a
 * worker_id and mode on every series, its stack in worker_info, and the
 * format Prometheus asks for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrape, type Sample } from '@backlog-lab/harness/prometheus-text';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startProcessLab } from '../support/process-lab.ts';

/** `name{label,label}` for every worker_* series shape, and the `le` values of each histogram. */
function shape(samples: readonly Sample[]): { series: string[]; buckets: Record<string, number[]> } {
  const series = new Set<string>();
  const buckets: Record<string, Set<number>> = {};
  for (const s of samples.filter((x) => x.name.startsWith('worker_'))) {
    series.add(`${s.name}{${Object.keys(s.labels).filter((k) => k !== 'le').sort().join(',')}}`);
    const le = s.labels.le;
    if (le !== undefined) (buckets[s.name] ??= new Set()).add(le === '+Inf' ? Infinity : Number(le));
  }
  return { series: [...series].sort(), buckets: Object.fromEntries(Object.entries(buckets).map(([k, v]) => [k, [...v].sort((a, b) => a - b)])) };
}

test('the Python worker\'s metric names, labels and buckets are exactly the TypeScript worker\'s', async () => {
  const lab = await startProcessLab();
  const env = { DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 0 };
  const python = await lab.worker('py', env, { stack: 'c-core' });
  const typescript = await lab.worker('ts', env, { stack: 'grpc-js' });
  // Both connected before anything is published, or the first to connect can take all of it.
  await waitFor('both workers connected', async () => {
    const stats = await lab.admin.stats();
    return ['py', 'ts'].every((id) => workerStats(stats, id).connected) ? true : undefined;
  });
  await lab.admin.publishMany(40);
  await waitFor('both workers to process some', async () => (num((await lab.admin.stats()).totals?.acked) === 40 && python.processedIds().length > 0 && typescript.processedIds().length > 0 ? true : undefined), 30_000);
  const [py, ts] = await Promise.all([scrape(python.metricsPort), scrape(typescript.metricsPort)]);
  const pyShape = shape(py);
  const tsShape = shape(ts);
  assert.deepEqual(pyShape.series, tsShape.series);
  assert.deepEqual(pyShape.buckets, tsShape.buckets);
  assert.ok(pyShape.series.length >= 10);

  for (const s of py) {
    assert.equal(s.labels.worker_id, 'py', `${s.name} has no worker_id`);
    assert.equal(s.labels.mode, 'credit', `${s.name} has no mode`);
  }
  const info = py.find((s) => s.name === 'worker_info');
  assert.ok(info);
  assert.equal(info.labels.stack, 'c-core');
  assert.match(info.labels.grpc_version ?? '', /^1\.\d+\.\d+$/);
  assert.equal(ts.find((s) => s.name === 'worker_info')?.labels.stack, 'grpc-js');
  // The process metrics the dashboards may use exist on both stacks.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes']) {
    assert.ok(py.some((s) => s.name === name), `${name} missing`);
  }
  assert.equal(py.filter((s) => s.name.endsWith('_created')).length, 0, 'prom-client exports no _created series; neither may this');
});

test('the Python worker serves OpenMetrics when asked, Prometheus text otherwise, and a 404 off /metrics', async () => {
  const lab = await startProcessLab();
  const worker = await lab.worker('py', { DELIVERY_MODE: 'poll' }, { stack: 'c-core' });
  const base = `http://127.0.0.1:${worker.metricsPort}`;
  const open = await fetch(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0,text/plain;q=0.5' } });
  assert.match(open.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
  assert.match(await open.text(), /# EOF\n$/);
  const text = await fetch(`${base}/metrics`);
  assert.match(text.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(await text.text(), /^# TYPE worker_messages_started_total counter$/m);
  assert.equal((await fetch(`${base}/other`)).status, 404);
  assert.equal((await scrape(worker.metricsPort, true)).filter((s) => s.exemplar !== undefined).length, 0, 'no traces, so no exemplars');
});
