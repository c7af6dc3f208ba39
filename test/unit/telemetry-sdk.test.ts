import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { traceMessageRpcs } from '@backlog-lab/common/telemetry-sdk';

interface Probe { client: boolean; server: boolean; labPropagation: boolean }

// What startTelemetry with this environment installed, seen from a fresh process.
function probe(env: Record<string, string>): Probe {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'test', 'support', 'instrumentation-probe.ts')], { cwd: REPO_ROOT, env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', ...env }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Probe;
}

// Whether @grpc/grpc-js was wrapped by the instrumentation.
function patched(env: Record<string, string>): boolean {
  const { client, server } = probe(env);
  assert.equal(client, server);
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

test('the per-message trace helpers write traceparent themselves only where the lab\'s default propagators are installed', () => {
  assert.equal(probe({ OTEL_SDK_DISABLED: 'false' }).labPropagation, true);
  // Propagators of the user's choice (B3, Jaeger, ...) must be asked; no SDK means no propagation at all.
  assert.equal(probe({ OTEL_PROPAGATORS: 'tracecontext' }).labPropagation, false);
  assert.equal(probe({ OTEL_SDK_DISABLED: 'true' }).labPropagation, false);
});
