/** Command lines of the lab's tools: one way to parse flags and to refuse bad ones. */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** A bad command line: the tools print its message and their usage, and exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `--flag` options strictly (no unknown flags, no positionals); a bad one is a UsageError. */
export function parseFlags<T extends ParseArgsOptionsConfig>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
