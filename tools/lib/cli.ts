/** Command lines of the lab's tools: one way to parse flags and to refuse bad ones. */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** A bad command line: the tools print its message and their usage, and exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs a parse; whatever it throws becomes a UsageError with the same message. */
function asUsage<R>(parse: () => R): R {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Parses `--flag` options and positional arguments strictly (no unknown flags); a bad one is a UsageError. */
export function parseFlagsAndPositionals<T extends ParseArgsOptionsConfig>(argv: readonly string[], options: T) {
  return asUsage(() => parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }));
}

/** Parses `--flag` options strictly (no unknown flags, no positionals); a bad one is a UsageError. */
export function parseFlags<T extends ParseArgsOptionsConfig>(argv: readonly string[], options: T) {
  return asUsage(() => parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values);
}

export interface NumberOption {
  readonly flag: string;
  /** The environment variable the flag falls back to, if any (make passes settings that way). */
  readonly env?: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Whole numbers only (the default). */
  readonly integer?: boolean;
}

/** Where a value came from, as a message names it: `--prefetch` or `PREFETCH (or --prefetch)`. */
function source(spec: NumberOption, fromEnv: boolean): string {
  return fromEnv && spec.env ? `${spec.env} (or --${spec.flag})` : `--${spec.flag}`;
}

/** A number from a flag, else from its environment variable, else the default; anything else is a UsageError. */
export function numberOption(raw: string | undefined, env: Readonly<Record<string, string | undefined>>, spec: NumberOption): number {
  const fromEnv = raw === undefined && spec.env !== undefined && (env[spec.env] ?? '') !== '';
  const value = raw ?? (fromEnv && spec.env ? env[spec.env] : undefined);
  if (value === undefined || value === '') return spec.default;
  const n = Number(value);
  const integer = spec.integer ?? true;
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < spec.min || n > spec.max) {
    throw new UsageError(`${source(spec, fromEnv)} must be ${integer ? 'an integer' : 'a number'} ${spec.min}..${spec.max}, got '${value}'`);
  }
  return n;
}

/** One of a fixed set of words from a flag, else its environment variable, else the default. */
export function choiceOption<T extends string>(raw: string | undefined, env: Readonly<Record<string, string | undefined>>, spec: { flag: string; env?: string; default: T; choices: readonly T[] }): T {
  const fromEnv = raw === undefined && spec.env !== undefined && (env[spec.env] ?? '') !== '';
  const value = raw ?? (fromEnv && spec.env ? env[spec.env] : undefined) ?? spec.default;
  const match = spec.choices.find((c) => c === value);
  if (match === undefined) {
    throw new UsageError(`${fromEnv && spec.env ? `${spec.env} (or --${spec.flag})` : `--${spec.flag}`} must be one of ${spec.choices.join('|')}, got '${value}'`);
  }
  return match;
}
