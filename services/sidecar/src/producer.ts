/**
 * The built-in producer: an initial burst, then a steady rate with, if
 * asked, periodic peaks (a square wave: PRODUCER_PEAK_RATE for
 * PRODUCER_PEAK_MS out of every PRODUCER_PERIOD_MS, starting with a peak),
 * with a share of high-priority messages. Off unless PRODUCER_RATE,
 * PRODUCER_PEAK_RATE or PRODUCER_BURST is set. The burst goes out once the
 * queue can take it (a broker behind the sidecar connects after start). It
 * ticks every 10 ms and publishes what the rate owes since the last tick, so
 * rates above 100 msg/s do not need a timer per message.
 */
import { randomFillSync } from 'node:crypto';
import { errorMessage } from '@backlog-lab/common/errors';
import type { Logger } from '@backlog-lab/common/logger';
import { PRIORITY_HIGH, PRIORITY_NORMAL } from '@backlog-lab/common/priority';
import type { Dispatcher } from './queue/dispatcher.ts';
import type { MessageIds } from './queue/message-ids.ts';

export interface ProducerOptions {
  readonly rate: number;
  /** Rate during a peak; 0: no peaks. */
  readonly peakRate: number;
  readonly peakMs: number;
  readonly periodMs: number;
  readonly burst: number;
  readonly payloadBytes: number;
  readonly highPriorityRatio: number;
}

export interface Producer {
  start(): void;
  stop(): void;
}

const TICK_MS = 10;
/** The burst goes out in batches of this many, as a Publish client would send it. */
const BURST_BATCH = 10_000;

export function createProducer(dispatcher: Dispatcher, ids: MessageIds, options: ProducerOptions, logger: Logger, random: () => number = Math.random): Producer {
  // One payload buffer shared by every produced message: the lab measures
  // transport, not the producer's allocations.
  const payload = randomFillSync(Buffer.alloc(options.payloadBytes));
  const taken = (id: string): boolean => dispatcher.has(id);
  let timer: NodeJS.Timeout | undefined;
  let owed = 0;
  let last = 0;
  const publish = (count: number): void => {
    const batch = Array.from({ length: count }, () => ({
      id: ids.next(taken),
      priority: random() < options.highPriorityRatio ? PRIORITY_HIGH : PRIORITY_NORMAL,
      payload,
    }));
    dispatcher.publish(batch).catch((error: unknown) => {
      logger.warn('producer could not publish', { count, error: errorMessage(error) });
    });
  };
  return {
    start() {
      let burst = options.burst;
      const sendBurst = (): void => {
        for (let left = burst; left > 0; left -= BURST_BATCH) publish(Math.min(left, BURST_BATCH));
        burst = 0;
      };
      // A broker behind the sidecar is connected only some time after start
      // (the memory queue at once): the burst waits for it, or it would fail.
      if (dispatcher.queue.isReady()) sendBurst();
      const steady = options.rate > 0 || options.peakRate > 0;
      if (burst === 0 && !steady) return;
      const began = performance.now();
      last = began;
      const rateAt = (now: number): number => (options.peakRate > 0 && (now - began) % options.periodMs < options.peakMs ? options.peakRate : options.rate);
      timer = setInterval(() => {
        const ready = dispatcher.queue.isReady() && !dispatcher.closed;
        if (burst > 0 && ready) sendBurst();
        if (!steady) {
          if (burst === 0) clearInterval(timer);
          return;
        }
        const now = performance.now();
        owed += ((now - last) / 1000) * rateAt(now);
        last = now;
        // A queue that cannot take messages (a broker that is down) gets none:
        // the producer stands for upstream clients, which would fail too.
        if (!ready) owed = 0;
        const due = Math.floor(owed);
        if (due > 0) {
          owed -= due;
          publish(due);
        }
      }, TICK_MS);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
