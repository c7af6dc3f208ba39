import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { waitFor } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab } from '../support/in-process-lab.ts';

async function text(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return response.text();
}

function promtoolCheck(metrics: string): { status: number | null; output: string } {
  // A missing promtool fails here (ENOENT) rather than skipping: make test installs it.
  const result = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is required (Debian package prometheus; make test installs it): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('promtool check metrics reports nothing for the sidecar or a worker, with every metric populated', async () => {
  const lab = await startInProcessLab();
  await lab.admin.publishMany(30);
  const worker = await lab.worker('lint', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 0 });
  await waitFor('messages processed', async () => (num((await lab.admin.stats()).totals?.acked) === 30 ? true : undefined));
  for (const port of [lab.metricsPort, worker.metricsPort]) {
    const metrics = await text(port);
    assert.match(metrics, /_bucket\{/);
    const { status, output } = promtoolCheck(metrics);
    assert.equal(output, '', `promtool on port ${port}`);
    assert.equal(status, 0);
  }
});

test('Prometheus scrapes get OpenMetrics with exemplars when they ask for it', async () => {
  const lab = await startInProcessLab();
  const response = await fetch(`http://127.0.0.1:${lab.metricsPort}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
  assert.match(response.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
  assert.match(await response.text(), /# EOF\n$/);
});
