/**
 * JSON for results.json: indented like JSON.stringify(v, null, 1), except
 * that any object or array that fits on one short line stays on it. A
 * message or a sample is then one line, so the file stays small and its
 * diffs readable.
 */
const INLINE_MAX = 160;

export function formatJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat.length <= INLINE_MAX || value === null || typeof value !== 'object') return flat;
  const inner = `${indent} `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
