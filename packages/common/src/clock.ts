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
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** Seconds between two Unix-nanosecond timestamps (b - a), as a float. */
export function secondsBetween(a: bigint, b: bigint): number {
  return Number(b - a) / 1e9;
}

/** Milliseconds since the epoch for a Unix-nanosecond timestamp (OTel span times take this). */
export function unixNanoToMillis(ns: bigint): number {
  return Number(ns / 1000n) / 1000;
}
