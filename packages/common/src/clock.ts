/**
 * Wall-clock time in Unix nanoseconds, as carried in every message.
 *
 * Backlog time subtracts a sidecar timestamp from a worker timestamp. On one
 * host both read the same clock, so the difference is exact to a few
 * microseconds; across hosts it is only as good as clock sync (NTP/PTP).
 * `performance.timeOrigin + performance.now()` is used instead of `Date.now()`
 * for sub-millisecond resolution; microsecond precision is what a float64 of
 * milliseconds since 1970 can hold.
 */
export function nowUnixNano(): bigint {
  return BigInt(nowUnixMicros()) * 1000n;
}

/**
 * The same clock in Unix microseconds, as a number: a float64 holds it
 * exactly, so code that reads the clock per message (the worker, twice)
 * needs no bigint for it.
 */
export function nowUnixMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * A carried Unix-nanosecond timestamp (int64 as the contract decodes it, a
 * decimal string) in microseconds, rounded to the nearest: read from the
 * digits, since a float64 of the nanoseconds is not exact.
 */
export function unixNanoToMicros(ns: string): number {
  if (ns.length <= 3 || ns.startsWith('-')) return Math.round(Number(ns) / 1000);
  const micros = Number(ns.slice(0, -3));
  // The first dropped digit decides: '5' (53) and up round up.
  return ns.charCodeAt(ns.length - 3) >= 53 ? micros + 1 : micros;
}

/** Seconds between two Unix-nanosecond timestamps (b - a), as a float. */
export function secondsBetween(a: bigint, b: bigint): number {
  return Number(b - a) / 1e9;
}
