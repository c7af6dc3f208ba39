/**
 * Starts one of the baseline programs (bench/baseline/*.ts) as its own
 * process and follows its JSON lines on stdout. The lab's services are
 * started through the harness (packages/harness) instead; this is the same idea for
 * programs that are not services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { splitLines } from '@backlog-lab/harness/service-process';

export type Line = Record<string, unknown> & { msg?: string };

export interface BareProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Calls `onLine` with every JSON line from now on. */
  onLine(listener: (line: Line) => void): void;
  /** Resolves with the first line (already seen or still to come) that matches. */
  waitFor(match: (line: Line) => boolean, timeoutMs?: number): Promise<Line>;
  /** Writes one line to the program's stdin. */
  send(line: string): void;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function baselineScript(name: string): string {
  return fileURLToPath(new URL(`../baseline/${name}`, import.meta.url));
}

/** Starts `script` with Node (or with `command`, e.g. /usr/bin/python3 for a .py baseline). */
export function spawnBare(name: string, script: string, args: readonly string[], execArgv: readonly string[] = [], command = process.execPath): BareProcess {
  const child = spawn(command, [...execArgv, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${script}`);
  live.add(child);
  const lines: Line[] = [];
  const listeners = new Set<(line: Line) => void>();
  const stderr: string[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  splitLines(child.stdout, (text) => {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      stderr.push(text);
      return;
    }
    // Keep the last few only: readers report once per run for as long as the bench lasts.
    lines.push(line);
    if (lines.length > 100) lines.shift();
    for (const listener of listeners) listener(line);
  });
  splitLines(child.stderr, (text) => {
    stderr.push(text);
    if (stderr.length > 50) stderr.shift();
  });
  child.stdin.on('error', () => undefined);
  return {
    name,
    pid: child.pid,
    child,
    onLine: (listener) => { listeners.add(listener); },
    waitFor(match, timeoutMs = 20_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const listener = (line: Line): void => {
          if (!match(line)) return;
          cleanup();
          resolve(line);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${name}: no matching line within ${timeoutMs} ms; stderr:\n${stderr.join('\n')}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        listeners.add(listener);
        void exit.then(() => {
          if (!listeners.has(listener)) return;
          cleanup();
          reject(new Error(`${name} exited; stderr:\n${stderr.join('\n')}`));
        });
      });
    },
    send(line) {
      if (!exited) child.stdin.write(`${line}\n`);
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
