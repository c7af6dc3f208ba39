/**
 * The Python worker reads the TypeScript worker's environment with the same
 * rules: a bad value is exit 2 and the very lines services/worker/src/config.ts
 * would report, all at once; a setting the sidecar would refuse is exit 2
 * naming it; and its own C-core knobs are documented.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '@backlog-lab/common/env';
import { STACKS, startSidecar } from '@backlog-lab/harness/lab-services';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { spawnService } from '@backlog-lab/harness/service-process';
import { loadWorkerConfig } from '../../services/worker/src/config.ts';

type Env = Readonly<Record<string, string | number>>;

/** Starts the Python worker with `env`; resolves to its exit code and the problem lines it wrote to stderr. */
async function runPython(env: Env): Promise<{ code: number | null; problems: string[]; logs: readonly Record<string, unknown>[] }> {
  const { command, args } = STACKS['c-core'];
  // An address nothing listens on: a case that passed the checks by mistake fails fast instead of finding a sidecar.
  const proc = spawnService({ name: 'py-config', command, args, env: { SIDECAR_ADDRESS: '127.0.0.1:1', WORKER_METRICS_PORT: 0, WORKER_HEALTH_PORT: 0, ...env } });
  const timer = setTimeout(() => { void proc.kill(); }, 20_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  const problems = proc.rawOutput.filter((line) => line.startsWith('  ')).map((line) => line.trim());
  return { code, problems, logs: proc.logs };
}

/** The problems the TypeScript worker's loader reports for `env`. */
function typescriptProblems(env: Env): string[] {
  try {
    loadWorkerConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])));
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const cases: readonly Env[] = [
  { PREFETCH: 'abc' },
  { DELIVERY_MODE: 'push' },
  { PROCESSING_DELAY_MS: '-5' },
  { SIDECAR_ADDRESS: 'no port' },
  { WORKER_METRICS_PORT: '1.5' },
  { WORKER_ID: 'has space' },
  { LOG_LEVEL: 'loud' },
  { SIDECAR_TLS_CA_FILE: '/nonexistent/ca.pem' },
  { FLOW_CONTROL_WINDOW: '2147483648' },
  { PREFETCH: '0', POLL_TIMEOUT_MS: 'x', WORKER_TLS_CERT_FILE: '/etc/hostname', WORKER_HEALTH_HOST: 'a host' },
];

for (const env of cases) {
  test(`the Python worker refuses ${JSON.stringify(env)} with exit 2 and the TypeScript worker's very lines`, async () => {
    const expected = typescriptProblems(env);
    assert.ok(expected.length > 0, 'the TypeScript worker accepts this: not a bad-configuration case');
    const { code, problems } = await runPython(env);
    assert.equal(code, 2);
    assert.deepEqual(problems, expected);
    for (const name of Object.keys(env)) assert.ok(problems.some((p) => p.startsWith(name)), `${name} not named`);
  });
}

test('the Python worker refuses its own knobs\' bad values: BDP_PROBE, and a window BDP probing would ignore', async () => {
  assert.deepEqual((await runPython({ BDP_PROBE: 'maybe' })).problems, ["BDP_PROBE must be one of on|off, got 'maybe'"]);
  const conflict = await runPython({ FLOW_CONTROL_WINDOW: 1_048_576 });
  assert.equal(conflict.code, 2);
  assert.match(conflict.problems.join('\n'), /^FLOW_CONTROL_WINDOW needs BDP_PROBE=off/);
});

test('a Python worker whose prefetch the sidecar would refuse exits 2 naming PREFETCH, as the TypeScript one does', async () => {
  const sidecar = await startSidecar({ MAX_PREFETCH: 10 });
  try {
    const { code, logs } = await runPython({ SIDECAR_ADDRESS: sidecar.address, DELIVERY_MODE: 'credit', PREFETCH: 11 });
    assert.equal(code, 2);
    const refusal = logs.find((r) => r.msg === 'worker cannot run');
    assert.match(String(refusal?.error), /PREFETCH is 11, above the sidecar's limit of 10 \(its MAX_PREFETCH\)/);
  } finally {
    await sidecar.kill();
  }
});

test('the README documents every variable the Python worker reads, and says which stack each applies to', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const source = readFileSync(join(REPO_ROOT, 'services/worker-python/backlog_worker/config.py'), 'utf8');
  const variables = [...source.matchAll(/read\.\w+\("([A-Z0-9_]+)"/g)].map((m) => m[1] ?? '');
  assert.ok(variables.length >= 18, `found only ${variables.length} variables in config.py`);
  for (const variable of variables) {
    const row = readme.split('\n').find((line) => line.startsWith('| ') && line.includes(`\`${variable}\``));
    assert.ok(row !== undefined, `README has no configuration row for ${variable}`);
  }
  const bdp = readme.split('\n').find((line) => line.startsWith('| `BDP_PROBE`'));
  assert.match(bdp ?? '', /c-core/);
});
