import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, spawnService, startSidecar } from '../../tools/lib/processes.ts';

const cases = [
  ['sidecar', 'SIDECAR_GRPC_PORT', '70000'],
  ['sidecar', 'PRODUCER_RATE', 'fast'],
  ['sidecar', 'HIGH_PRIORITY_RATIO', '1.5'],
  ['sidecar', 'MAX_PREFETCH', '0'],
  ['sidecar', 'ACK_DEADLINE_MS', '10'],
  ['sidecar', 'MAX_CONNECTION_AGE_GRACE_MS', '-1'],
  ['worker', 'DELIVERY_MODE', 'push'],
  ['worker', 'PREFETCH', 'abc'],
  ['worker', 'PROCESSING_DELAY_MS', '-5'],
  ['worker', 'SIDECAR_ADDRESS', 'no port'],
  ['worker', 'WORKER_METRICS_PORT', '1.5'],
] as const;

for (const [service, variable, value] of cases) {
  test(`${service} exits with status 2 and names ${variable} when it is '${value}'`, async () => {
    const proc = spawnService(service, service, { env: { [variable]: value } });
    const { code } = await proc.exited;
    assert.equal(code, 2);
    const stderr = proc.rawOutput.join('\n');
    assert.match(stderr, new RegExp(`${variable} must be`));
    assert.match(stderr, new RegExp(`got '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
  });
}

test('a worker whose request the sidecar refuses (prefetch above MAX_PREFETCH) exits 1 saying why, instead of retrying forever', async () => {
  const sidecar = await startSidecar({ MAX_PREFETCH: 10 });
  try {
    const worker = spawnService('worker', 'greedy', {
      env: { SIDECAR_ADDRESS: sidecar.address, DELIVERY_MODE: 'credit', PREFETCH: 11, WORKER_METRICS_PORT: 0, WORKER_HEALTH_PORT: 0 },
    });
    const { code } = await worker.exited;
    assert.equal(code, 1);
    const refusal = worker.logs.find((r) => r.msg === 'worker cannot run');
    assert.match(String(refusal?.error), /INVALID_ARGUMENT: prefetch must be 1\.\.10, got 11/);
  } finally {
    await sidecar.kill();
  }
});

test('the README documents every variable each service reads', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const service of ['sidecar', 'worker']) {
    const source = readFileSync(join(REPO_ROOT, 'services', service, 'src', 'config.ts'), 'utf8');
    const variables = [...source.matchAll(/read\.\w+\('([A-Z0-9_]+)'/g)].map((m) => m[1] ?? '');
    assert.ok(variables.length >= 10, `found only ${variables.length} variables in ${service}/src/config.ts`);
    for (const variable of variables) {
      const row = readme.split('\n').find((line) => line.startsWith('| ') && line.includes(`\`${variable}\``));
      assert.ok(row !== undefined, `README has no configuration row for ${variable} (${service})`);
    }
  }
});
