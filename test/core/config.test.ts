import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnService } from '../../tools/lib/processes.ts';

const cases = [
  ['sidecar', 'SIDECAR_GRPC_PORT', '70000'],
  ['sidecar', 'PRODUCER_RATE', 'fast'],
  ['sidecar', 'HIGH_PRIORITY_RATIO', '1.5'],
  ['sidecar', 'MAX_PREFETCH', '0'],
  ['sidecar', 'ACK_DEADLINE_MS', '10'],
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
