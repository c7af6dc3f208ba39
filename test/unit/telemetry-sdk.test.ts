import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { traceMessageRpcs } from '@backlog-lab/common/telemetry-sdk';

// Whether @grpc/grpc-js was wrapped by the instrumentation, after startTelemetry with this environment.
function patched(env: Record<string, string>): boolean {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'test', 'support', 'instrumentation-probe.ts')], { cwd: REPO_ROOT, env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', ...env }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const { client, server } = JSON.parse(run.stdout) as { client: boolean; server: boolean };
  assert.equal(client, server, run.stdout);
  return client;
}

test('with OTEL_SDK_DISABLED the gRPC instrumentation is not installed at all; otherwise it is', () => {
  assert.equal(patched({ OTEL_SDK_DISABLED: 'false' }), true);
  assert.equal(patched({ OTEL_SDK_DISABLED: ' TRUE ' }), false);
});

test('TRACE_MESSAGE_RPCS turns the per-message calls\' RPC spans on only when it is true', () => {
  assert.equal(traceMessageRpcs({}), false);
  assert.equal(traceMessageRpcs({ TRACE_MESSAGE_RPCS: 'false' }), false);
  assert.equal(traceMessageRpcs({ TRACE_MESSAGE_RPCS: ' true ' }), true);
});
