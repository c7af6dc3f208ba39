/**
 * Reads configuration from the environment once, validating as it goes. Every
 * problem is collected so one run reports them all, each naming the variable
 * and what it accepts: "PREFETCH must be an integer 1..100000, got 'abc'".
 * A service's config.ts is the only caller; no other file reads process.env.
 */
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Exit status for bad configuration (as sysexits' EX_USAGE is to a CLI: the caller's fault). */
export const CONFIG_ERROR_EXIT_CODE = 2;

export interface IntSpec {
  default: number;
  min: number;
  max: number;
}

/** What a string variable must look like: a pattern or a test, and how to say it. */
export type StringCheck = ({ pattern: RegExp } | { test: (value: string) => boolean }) & { describe: string };

export interface EnvReader {
  int(name: string, spec: IntSpec): number;
  /** An integer that has no default: undefined when unset. */
  optionalInt(name: string, spec: Omit<IntSpec, 'default'>): number | undefined;
  number(name: string, spec: IntSpec): number;
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T;
  string(name: string, fallback: string, check?: StringCheck): string;
  /** Contents of the file the variable names (unset: undefined). */
  file(name: string): Buffer | undefined;
  /** Notes a problem unless all or none of these variables are set. */
  requireTogether(names: readonly string[]): void;
  /** Notes a problem found by a check of the caller's own: one across variables, or one that must not echo a secret. */
  problem(message: string): void;
  /** Throws ConfigError if anything read so far was invalid. */
  done(): void;
}

export function createEnvReader(env: Readonly<Record<string, string | undefined>>): EnvReader {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const numeric = (name: string, spec: IntSpec, integer: boolean): number => {
    const value = raw(name);
    if (value === undefined) return spec.default;
    const parsed = Number(value);
    const ok = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) && Number.isFinite(parsed) &&
      (!integer || Number.isInteger(parsed)) && parsed >= spec.min && parsed <= spec.max;
    if (!ok) {
      problems.push(`${name} must be ${integer ? 'an integer' : 'a number'} ${spec.min}..${spec.max}, got '${value}'`);
      return spec.default;
    }
    return parsed;
  };
  return {
    int: (name, spec) => numeric(name, spec, true),
    optionalInt: (name, spec) => (raw(name) === undefined ? undefined : numeric(name, { ...spec, default: spec.min }, true)),
    number: (name, spec) => numeric(name, spec, false),
    oneOf(name, values, fallback) {
      const value = raw(name);
      if (value === undefined) return fallback;
      const match = values.find((v) => v === value);
      if (match === undefined) {
        problems.push(`${name} must be one of ${values.join('|')}, got '${value}'`);
        return fallback;
      }
      return match;
    },
    string(name, fallback, check) {
      const value = raw(name) ?? fallback;
      if (check && !('pattern' in check ? check.pattern.test(value) : check.test(value))) {
        problems.push(`${name} must be ${check.describe}, got '${value}'`);
      }
      return value;
    },
    file(name) {
      const path = raw(name);
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch {
        problems.push(`${name} must name a readable file, got '${path}'`);
        return undefined;
      }
    },
    requireTogether(names) {
      const set = names.filter((n) => raw(n) !== undefined);
      if (set.length > 0 && set.length < names.length) {
        problems.push(`${names.join(' and ')} must be set together, got only ${set.join(', ')}`);
      }
    },
    problem(message) {
      problems.push(message);
    },
    done() {
      if (problems.length > 0) throw new ConfigError(problems);
    },
  };
}

/** Shared limits, so both services agree on what a message may weigh. */
export const MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Runs a service's config loader; on bad configuration prints the problems to
 * stderr and exits with status 2 before anything else starts.
 */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw error;
  }
}
