/**
 * Processes one message: the simulated work (a delay, like the tax service's
 * ~100 ms), then the ack through the receiver's `ack`. Records the time the
 * message spent in the client backlog, its spans and its outcome.
 *
 * A message counts as processed (its `message processed` line and
 * worker_messages_processed_total) once its ack has been answered, so what
 * the worker reports and what the sidecar counts agree even when the worker
 * dies between the two. A receiver that must not wait for that answer
 * before it takes the next message (stream mode, whose receipts are batched)
 * says so, and the outcome is recorded when it comes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { nowUnixMicros, unixNanoToMicros } from '@backlog-lab/common/clock';
import type { Delivery__Output } from '@backlog-lab/common/contract';
import type { Logger } from '@backlog-lab/common/logger';
import type { DeliveryMode } from '@backlog-lab/common/modes';
import { traceMessage } from './message-tracing.ts';
import type { ProcessOutcome, WorkerMetrics } from './metrics.ts';

export interface ProcessorOptions {
  readonly workerId: string;
  readonly mode: DeliveryMode;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  readonly random?: () => number;
}

/** Resolves (never rejects) to how the ack went: 'ok', or 'ack_lost' if the sidecar will redeliver or count it lost. */
export type Ack = () => Promise<ProcessOutcome>;

export interface Processor {
  /**
   * Works on the message, then acks it. Resolves once the ack is answered,
   * or with `waitForAck: false` as soon as it is sent.
   */
  handle(delivery: Delivery__Output, ack: Ack, options?: { waitForAck?: boolean }): Promise<void>;
  /**
   * The drain time is over: give up the message in hand, unacked (the
   * sidecar requeues it, or in stream mode counts it lost).
   */
  abandon(): void;
}

export function createProcessor(options: ProcessorOptions): Processor {
  const { workerId, mode, metrics, logger } = options;
  const random = options.random ?? Math.random;
  let working: AbortController | undefined;
  return {
    abandon() {
      working?.abort();
    },
    async handle(delivery, ack, { waitForAck = true } = {}) {
      // Times in Unix microseconds (numbers): the clock's resolution, without a bigint per reading.
      const startedAt = nowUnixMicros();
      const dispatchedAt = unixNanoToMicros(delivery.dispatchedAtUnixNano);
      const spans = traceMessage(delivery, dispatchedAt, startedAt, workerId, mode);
      metrics.started(delivery.priority, (startedAt - dispatchedAt) / 1e6, spans.traceId);
      metrics.setBusy(true);
      const delay = options.delayMs + (options.jitterMs > 0 ? Math.floor(random() * (options.jitterMs + 1)) : 0);
      if (delay > 0) {
        working = new AbortController();
        const finished = await sleep(delay, true, { signal: working.signal }).catch(() => false);
        working = undefined;
        if (!finished) {
          metrics.setBusy(false);
          logger.warn('message abandoned unfinished: the drain time was over', { message_id: delivery.id });
          spans.end(new Error('abandoned: the drain time was over'));
          return;
        }
      }
      const doneAt = nowUnixMicros();
      metrics.setBusy(false);
      spans.end();
      const recorded = ack().then((outcome) => {
        metrics.processed(outcome, delivery.priority, (doneAt - startedAt) / 1e6, (doneAt - unixNanoToMicros(delivery.publishedAtUnixNano)) / 1e6, spans.traceId);
        if (outcome !== 'ok') logger.warn('ack not accepted; the sidecar will redeliver or count it lost', { message_id: delivery.id, outcome });
        // The timestamps let the experiment runner follow each delivery from the logs, whatever the stack.
        if (logger.enabled('debug')) {
          logger.debug('message processed', {
            message_id: delivery.id, priority: delivery.priority, attempt: delivery.attempt, outcome,
            dispatched_at_unix_nano: delivery.dispatchedAtUnixNano, started_at_unix_nano: `${startedAt}000`, done_at_unix_nano: `${doneAt}000`,
          });
        }
      });
      if (waitForAck) await recorded;
    },
  };
}
