/**
 * A receiver gets messages from the sidecar in one delivery mode and hands
 * them to the processor one at a time. `session()` lasts one connection (a
 * stream, or a run of Pulls) and resolves true if anything arrived, so the
 * reconnect loop knows when to reset its backoff.
 */
export interface Receiver {
  session(): Promise<boolean>;
  /** Stop taking work: finish the message in hand, hand back the rest, end the session. */
  requestStop(): void;
  /** The drain time is over: end the session now. */
  abort(): void;
}
