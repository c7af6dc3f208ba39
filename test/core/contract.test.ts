import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '@backlog-lab/harness/repo';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test('the generated TypeScript types are exactly what `npm run proto` produces from proto/', () => {
  const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts.proto ?? '';
    const args = script.replace(/^.*?proto-loader-gen-types\s+/, '').replace(/--outDir=\S+/, `--outDir=${out}`).split(/\s+/);
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/proto-loader-gen-types'), args, { cwd: REPO_ROOT });
    const committedDir = join(REPO_ROOT, 'packages/common/src/generated');
    const fresh = files(out).map((f) => relative(out, f)).sort();
    const committed = files(committedDir).map((f) => relative(committedDir, f)).sort();
    assert.deepEqual(committed, fresh, 'generated files differ in name: run npm run proto');
    for (const name of fresh) {
      assert.equal(readFileSync(join(committedDir, name), 'utf8'), readFileSync(join(out, name), 'utf8'), `${name} differs: run npm run proto`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
