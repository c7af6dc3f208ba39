/**
 * A receiver gets messages from the sidecar in one delivery mode and hands
 * them to the processor one at a time. `session()` lasts one connection (a
 * stream, or a run of Pulls) and resolves true if anything arrived, so the
 * reconnect loop knows when to reset its backoff. Receivers are registered
 * by mode in ./index.ts.
 */
import type { QueueClient } from '@backlog-lab/common/contract';
import type { Logger } from '@backlog-lab/common/logger';
import type { WorkerConfig } from '../config.ts';
import type { Processor } from '../processor.ts';

export interface Receiver {
  session(): Promise<boolean>;
  /** Stop taking work: finish the message in hand, hand back the rest, end the session. */
  requestStop(): void;
  /** The drain time is over: end the session now. */
  abort(): void;
}

export interface ReceiverContext {
  readonly client: QueueClient;
  readonly config: WorkerConfig;
  readonly processor: Processor;
  readonly logger: Logger;
}

export type ReceiverFactory = (ctx: ReceiverContext) => Receiver;
