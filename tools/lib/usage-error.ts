/** A bad command line: the tools print its message and their usage, and exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
