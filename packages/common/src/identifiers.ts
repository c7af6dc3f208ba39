/**
 * What the contract allows in an id (a worker id, a message id): 1..128
 * printable ASCII characters, no spaces or control characters. One rule,
 * used by the sidecar's checks, the worker's config and every tool.
 */
export const MAX_ID_LENGTH = 128;

const ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** How the rule reads in an error message. */
export const ID_RULE = `1..${MAX_ID_LENGTH} printable ASCII characters without spaces`;

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/**
 * A value from the wire, quoted for an error message or a log line: at most
 * `max` characters, control characters escaped. Whatever a client sends, what
 * the sidecar echoes stays short.
 */
export function quoteBounded(value: string, max = 64): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  const escaped = JSON.stringify(shown);
  return value.length > max ? `${escaped} (${value.length} characters)` : escaped;
}
