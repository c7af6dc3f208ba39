/**
 * The built-in producer: an initial burst, then a steady rate, with a share
 * of high-priority messages. Off unless PRODUCER_RATE or PRODUCER_BURST is
 * set. It ticks every 10 ms and publishes what the rate owes since the last
 * tick, so rates above 100 msg/s do not need a timer per message.
 */
import { randomFillSync } from 'node:crypto';
import { PRIORITY_HIGH, PRIORITY_NORMAL } from '@backlog-lab/common/priority';
import type { Broker } from './broker.ts';
import type { MessageIds } from './message-ids.ts';

export interface ProducerOptions {
  readonly rate: number;
  readonly burst: number;
  readonly payloadBytes: number;
  readonly highPriorityRatio: number;
}

export interface Producer {
  start(): void;
  stop(): void;
}

const TICK_MS = 10;

export function createProducer(broker: Broker, ids: MessageIds, options: ProducerOptions, random: () => number = Math.random): Producer {
  // One payload buffer shared by every produced message: the lab measures
  // transport, not the producer's allocations.
  const payload = randomFillSync(Buffer.alloc(options.payloadBytes));
  let timer: NodeJS.Timeout | undefined;
  let owed = 0;
  let last = 0;
  const publish = (count: number): void => {
    const batch = Array.from({ length: count }, () => ({
      id: ids.next(),
      priority: random() < options.highPriorityRatio ? PRIORITY_HIGH : PRIORITY_NORMAL,
      payload,
    }));
    broker.publish(batch);
  };
  return {
    start() {
      if (options.burst > 0) publish(options.burst);
      if (options.rate <= 0) return;
      last = performance.now();
      timer = setInterval(() => {
        const now = performance.now();
        owed += ((now - last) / 1000) * options.rate;
        last = now;
        const due = Math.floor(owed);
        if (due > 0 && !broker.closed) {
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
