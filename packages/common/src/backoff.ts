/**
 * Capped exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff And Jitter"): a random delay in [0, min(cap, base * 2^attempt)).
 * Full jitter keeps many workers that lost the same sidecar from reconnecting
 * in lockstep.
 */
export interface Backoff {
  /** Delay before the next attempt, in ms; grows until `reset()`. */
  next(): number;
  reset(): void;
}

export function createBackoff(baseMs = 100, capMs = 5_000, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      return Math.max(baseMs / 2, Math.floor(random() * ceiling));
    },
    reset() {
      attempt = 0;
    },
  };
}
