/**
 * Small helpers the stack tests share: where the repository is, running the
 * external tools they check files with (promtool, docker-compose, kubectl),
 * and narrowing parsed YAML/JSON without `any`.
 *
 * A missing tool fails the test with the way to install it; it is never a
 * skip, so a machine without the tools cannot pass by testing nothing.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

const INSTALL_HINTS: Readonly<Record<string, string>> = {
  promtool: 'Debian package `prometheus`',
  'docker-compose': 'Debian package `docker-compose`',
  docker: 'Debian packages `docker.io` and `docker-compose`',
  kubectl: 'kubectl 1.24 or later',
};

/** Runs a tool to completion; throws if it is not installed (never returns a "skip"). */
export function runTool(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): ToolResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const hint = INSTALL_HINTS[command] ?? 'it';
      throw new Error(`${command} is not installed: run tools/install-test-deps.sh, or install ${hint}`);
    }
    throw result.error;
  }
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Like runTool, but a non-zero exit status is an error that quotes the tool's output. */
export function runToolOk(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): string {
  const result = runTool(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows to an object or throws, naming what was expected where. */
export function asRecord(value: unknown, what: string): JsonRecord {
  if (!isRecord(value)) throw new Error(`${what}: expected an object, got ${JSON.stringify(value)}`);
  return value;
}

export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** The list at `value`, or an empty list when the field is absent. */
export function optionalArray(value: unknown, what: string): unknown[] {
  return value === undefined || value === null ? [] : asArray(value, what);
}

export function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}
