/**
 * The Python worker is typed, and its type hints hold: mypy --strict (Debian's
 * python3-mypy) over every module. grpcio and the generated stubs ship no type
 * information, so what crosses into them is Any; everything of the worker's
 * own is checked.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '@backlog-lab/harness/repo';

test('mypy --strict finds nothing in the Python worker', () => {
  const dir = join(REPO_ROOT, 'services/worker-python');
  const result = spawnSync('/usr/bin/python3', ['-m', 'mypy', '--strict', '--ignore-missing-imports', '--allow-subclassing-any', '--no-incremental', 'main.py', 'health_probe.py', 'backlog_worker'], { cwd: dir, encoding: 'utf8' });
  assert.notEqual(result.error?.message.includes('ENOENT'), true, '/usr/bin/python3 is missing');
  assert.doesNotMatch(result.stderr, /No module named mypy/, 'mypy is missing: run tools/install-test-deps.sh (Debian package python3-mypy)');
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});
