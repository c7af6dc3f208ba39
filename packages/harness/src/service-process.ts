/**
 * One process of the lab, started the way a user starts it, with three
 * channels to it: its JSON log lines (stdout), its other output (stderr), and
 * a pipe on file descriptor 3 (READY_FD) on which it announces, once, that it
 * is ready and on which ports (common/ready.ts). Readiness never comes from
 * log text. A process that exits first is reported with its own error: its
 * last error log line, or what it wrote to stderr (bad configuration).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Children still running; killed if the launcher exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export type LogRecord = Record<string, unknown> & { msg?: string; level?: string };
export type ReadyRecord = Record<string, unknown> & { event: 'ready' };
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON log record so far. */
  readonly logs: LogRecord[];
  /** Non-JSON output (stderr, crashes). */
  readonly rawOutput: string[];
  /** The ready announcement; rejects with the process's own error if it exits first. */
  readonly ready: Promise<ReadyRecord>;
  /** Resolves with the exit code (or signal) once the process has exited and all its output has been read. */
  readonly exited: Promise<Exit>;
  /** Resolves with the first log record for which `match` is true. */
  waitForLog(match: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** SIGTERM, then wait for exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<Exit>;
  /** SIGKILL: no chance to clean up. */
  kill(): Promise<Exit>;
  /** SIGSTOP / SIGCONT. */
  pause(): void;
  resume(): void;
}

export interface SpawnSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Added to this process's environment; undefined removes a variable. */
  readonly env?: Readonly<Record<string, string | number | undefined>>;
  readonly cwd?: string;
  /** Called with each log record as it arrives. */
  readonly onLog?: (record: LogRecord) => void;
  /** Pass the child's output through to ours, prefixed with its name. */
  readonly echo?: boolean;
}

export function spawnService(spec: SpawnSpec): ServiceProcess {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    if (v === undefined) Reflect.deleteProperty(env, k);
    else env[k] = String(v);
  }
  env.READY_FD = '3';
  const child = spawn(spec.command, [...spec.args], {
    env,
    cwd: spec.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the launcher only, which then
    // stops workers before the sidecar, in that order.
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const logs: LogRecord[] = [];
  const rawOutput: string[] = [];
  const waiters = new Set<{ match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }>();
  const onLine = (line: string): void => {
    if (line.trim() === '') return;
    if (spec.echo) process.stdout.write(`[${spec.name}] ${line}\n`);
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      rawOutput.push(line);
      return;
    }
    logs.push(record);
    spec.onLog?.(record);
    for (const waiter of waiters) {
      if (waiter.match(record)) {
        waiters.delete(waiter);
        waiter.resolve(record);
      }
    }
  };
  splitLines(child.stdout, onLine);
  splitLines(child.stderr, (line) => {
    if (line.trim() === '') return;
    rawOutput.push(line);
    if (spec.echo) process.stderr.write(`[${spec.name}] ${line}\n`);
  });
  // 'close', not 'exit': a line the process wrote just before it died may
  // still be in the pipe at 'exit', and callers count lines after a stop.
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => { resolve({ code, signal }); });
  });
  const ready = new Promise<ReadyRecord>((resolve, reject) => {
    let announced = false;
    splitLines(child.stdio[3] as Readable | null, (line) => {
      try {
        const record = JSON.parse(line) as Partial<ReadyRecord>;
        if (record.event === 'ready') {
          announced = true;
          resolve(record as ReadyRecord);
        }
      } catch {
        // Not an announcement.
      }
    });
    void exited.then((exit) => {
      if (!announced) reject(new Error(`${spec.name} ${describeExit(exit)} before it was ready: ${failureReason(logs, rawOutput)}`));
    });
  });
  ready.catch(() => undefined); // a caller that never awaits it must not see an unhandled rejection
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    name: spec.name,
    child,
    pid: child.pid ?? 0,
    logs,
    rawOutput,
    ready,
    exited,
    waitForLog(match, timeoutMs = 15_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (r: LogRecord) => { clearTimeout(timer); resolve(r); } };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${spec.name}: no matching log line within ${timeoutMs} ms; last output: ${failureReason(logs, rawOutput)}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((exit) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${spec.name} ${describeExit(exit)} before the expected log line: ${failureReason(logs, rawOutput)}`));
        });
      });
    },
    async stop(timeoutMs = 15_000) {
      if (alive()) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async kill() {
      if (alive()) child.kill('SIGKILL');
      return exited;
    },
    pause() {
      if (alive()) child.kill('SIGSTOP');
    },
    resume() {
      if (alive()) child.kill('SIGCONT');
    },
  };
}

function describeExit(exit: Exit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
}

/**
 * The process's own account of what went wrong, in one line: its last error
 * log record (message and error), else its stderr (a bad configuration is
 * reported there, one problem per line), else its last log line.
 */
export function failureReason(logs: readonly LogRecord[], rawOutput: readonly string[]): string {
  const error = [...logs].reverse().find((r) => r.level === 'error');
  if (error) return [error.msg, error.error].filter((x) => typeof x === 'string' && x !== '').join(': ');
  const raw = rawOutput.map((l) => l.trim()).filter((l) => l !== '' && l !== 'invalid configuration:');
  if (raw.length > 0) return raw.slice(-5).join('; ');
  const last = logs.at(-1);
  return last ? String(last.msg) : 'no output';
}

/** Calls `onLine` with each line of a text stream (the last one even without a newline). */
export function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  });
  stream.on('end', () => { if (rest !== '') onLine(rest); });
}
