import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { generatePythonStubs, PYTHON_STUBS_DIR } from '../../tools/proto-python.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // Python's bytecode cache is the interpreter's, not the generator's.
    if (name === '__pycache__') return [];
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Fails unless `committedDir` holds exactly the files in `freshDir`, byte for byte. */
function assertSameFiles(committedDir: string, freshDir: string, command: string): void {
  const fresh = files(freshDir).map((f) => relative(freshDir, f)).sort();
  const committed = files(committedDir).map((f) => relative(committedDir, f)).sort();
  assert.deepEqual(committed, fresh, `generated files differ in name: run ${command}`);
  for (const name of fresh) {
    assert.equal(readFileSync(join(committedDir, name), 'utf8'), readFileSync(join(freshDir, name), 'utf8'), `${name} differs: run ${command}`);
  }
}

test('the generated TypeScript types are exactly what `npm run proto` produces from proto/', () => {
  const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts['proto:ts'] ?? '';
    const args = script.replace(/^.*?proto-loader-gen-types\s+/, '').replace(/--outDir=\S+/, `--outDir=${out}`).split(/\s+/);
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/proto-loader-gen-types'), args, { cwd: REPO_ROOT });
    assertSameFiles(join(REPO_ROOT, 'packages/common/src/generated'), out, 'npm run proto');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the Python worker\'s stubs are exactly what `npm run proto` produces from proto/ (and the health proto)', () => {
  const out = mkdtempSync(join(tmpdir(), 'proto-gen-py-'));
  try {
    generatePythonStubs(out);
    assertSameFiles(PYTHON_STUBS_DIR, out, 'npm run proto');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
