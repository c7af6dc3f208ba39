/** Runs one of the repository's scripts as a user would (`node <script> ...` from the root) and collects its output. */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@backlog-lab/harness/repo';

export interface ScriptResult {
  readonly code: number | null;
  readonly stderr: string;
  /** stdout and stderr as they came. */
  readonly output: string;
}

export async function runScript(args: readonly string[]): Promise<ScriptResult> {
  const child = spawn(process.execPath, [...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stderr, output };
}
