/** Links from a report to the repository's files, right wherever the report is written (--out anywhere). */
import { join, relative, sep } from 'node:path';
import { REPO_ROOT } from '@backlog-lab/harness/repo';

/** A markdown link target from `outDir` to `target`, a repository path with an optional #anchor. */
export function repoLink(outDir: string, target: string): string {
  const hash = target.indexOf('#');
  const path = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? '' : target.slice(hash);
  return `${relative(outDir, join(REPO_ROOT, path)).split(sep).join('/')}${anchor}`;
}
