import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '@backlog-lab/common/env';
import { startSidecar } from '@backlog-lab/harness/lab-services';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { spawnService } from '@backlog-lab/harness/service-process';
import { loadSidecarConfig } from '../../services/sidecar/src/config.ts';
import { loadWorkerConfig } from '../../services/worker/src/config.ts';

const loaders = { sidecar: loadSidecarConfig, worker: loadWorkerConfig } as const;

const cases = [
  ['sidecar', 'SIDECAR_GRPC_PORT', '70000'],
  ['sidecar', 'PRODUCER_RATE', 'fast'],
  ['sidecar', 'HIGH_PRIORITY_RATIO', '1.5'],
  ['sidecar', 'MAX_PREFETCH', '0'],
  ['sidecar', 'ACK_DEADLINE_MS', '10'],
  ['sidecar', 'POLL_LEASE_MS', '5'],
  ['sidecar', 'MAX_CONNECTION_AGE_GRACE_MS', '-1'],
  ['sidecar', 'SIDECAR_METRICS_HOST', 'a host'],
  ['sidecar', 'READY_FD', '1'],
  ['sidecar', 'TRACE_MESSAGE_RPCS', 'yes'],
  ['worker', 'DELIVERY_MODE', 'push'],
  ['worker', 'PREFETCH', 'abc'],
  ['worker', 'PROCESSING_DELAY_MS', '-5'],
  ['worker', 'SIDECAR_ADDRESS', 'no port'],
  ['worker', 'WORKER_METRICS_PORT', '1.5'],
  ['worker', 'WORKER_ID', 'has space'],
  ['worker', 'TRACE_MESSAGE_RPCS', '1'],
] as const;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const [service, variable, value] of cases) {
  test(`${service} config refuses ${variable}='${value}', naming the variable and the value`, () => {
    assert.throws(() => loaders[service]({ [variable]: value }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 1, error.message);
      assert.match(error.message, new RegExp(`${variable} must be`));
      assert.match(error.message, new RegExp(`got '${escape(value)}'`));
      return true;
    });
  });
}

test('config reports every bad variable at once, not the first only', () => {
  assert.throws(() => loadWorkerConfig({ PREFETCH: '0', POLL_TIMEOUT_MS: 'x', WORKER_TLS_CERT_FILE: '/etc/hostname' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.split(' ')[0]), ['PREFETCH', 'POLL_TIMEOUT_MS', 'WORKER_TLS_CERT_FILE']);
    return true;
  });
});

test('config defaults: the metrics endpoint binds where gRPC does unless told otherwise', () => {
  assert.equal(loadSidecarConfig({ SIDECAR_GRPC_HOST: '127.0.0.1' }).metricsHost, '127.0.0.1');
  assert.equal(loadSidecarConfig({ SIDECAR_GRPC_HOST: '127.0.0.1', SIDECAR_METRICS_HOST: '0.0.0.0' }).metricsHost, '0.0.0.0');
  assert.equal(loadSidecarConfig({}).metricsHost, '0.0.0.0');
});

for (const service of ['sidecar', 'worker'] as const) {
  test(`the ${service} process exits with status 2 on bad configuration and says why on stderr`, async () => {
    const dir = `${REPO_ROOT}/services/${service}/src`;
    const proc = spawnService({ name: service, command: process.execPath, args: ['--import', `${dir}/telemetry.ts`, `${dir}/main.ts`], env: { LOG_LEVEL: 'loud' } });
    await assert.rejects(proc.ready, /exited with status 2 before it was ready: LOG_LEVEL must be one of debug\|info\|warn\|error, got 'loud'/);
    assert.equal((await proc.exited).code, 2);
  });
}

test('a worker whose prefetch the sidecar would refuse exits 2 naming PREFETCH, instead of retrying forever', async () => {
  const sidecar = await startSidecar({ MAX_PREFETCH: 10 });
  try {
    const dir = `${REPO_ROOT}/services/worker/src`;
    const worker = spawnService({
      name: 'greedy',
      command: process.execPath,
      args: ['--import', `${dir}/telemetry.ts`, `${dir}/main.ts`],
      env: { SIDECAR_ADDRESS: sidecar.address, DELIVERY_MODE: 'credit', PREFETCH: 11, WORKER_METRICS_PORT: 0, WORKER_HEALTH_PORT: 0 },
    });
    const { code } = await worker.exited;
    assert.equal(code, 2);
    const refusal = worker.logs.find((r) => r.msg === 'worker cannot run');
    assert.match(String(refusal?.error), /PREFETCH is 11, above the sidecar's limit of 10 \(its MAX_PREFETCH\)/);
  } finally {
    await sidecar.kill();
  }
});

test('the README documents every variable each service reads', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  // The sidecar reads the queue's variables in queue/queue-config.ts.
  const files: Record<string, string[]> = { sidecar: ['config.ts', 'queue/queue-config.ts'], worker: ['config.ts'] };
  for (const service of ['sidecar', 'worker']) {
    const source = (files[service] ?? []).map((file) => readFileSync(join(REPO_ROOT, 'services', service, 'src', file), 'utf8')).join('\n');
    const variables = [...source.matchAll(/read\.\w+\('([A-Z0-9_]+)'/g)].map((m) => m[1] ?? '');
    assert.ok(variables.length >= 10, `found only ${variables.length} variables in ${service}/src/config.ts`);
    for (const variable of variables) {
      const row = readme.split('\n').find((line) => line.startsWith('| ') && line.includes(`\`${variable}\``));
      assert.ok(row !== undefined, `README has no configuration row for ${variable} (${service})`);
    }
  }
});
