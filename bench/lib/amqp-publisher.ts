/**
 * The bench's producer for RabbitMQ contenders: publishes runs of 100-byte
 * messages to a queue the way the lab's rabbitmq queue does (persistent,
 * priority, message id, AMQP timestamp, the publish-time header), with
 * publisher confirms, keeping to the channel's flow control.
 */
import { once } from 'node:events';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { PUBLISHED_AT_HEADER } from '../../services/sidecar/src/queue/rabbitmq-queue.ts';

export interface AmqpPublisher {
  /** Publishes `count` messages; resolves once they are all written to the socket (not confirmed). */
  publish(count: number, payloadBytes: number): Promise<void>;
  /** Resolves once the broker confirmed everything published so far. */
  confirmed(): Promise<void>;
  close(): Promise<void>;
}

export async function createAmqpPublisher(url: string, queue: string): Promise<AmqpPublisher> {
  // No heartbeats: the bench pauses the broker (SIGSTOP) between turns.
  const withoutHeartbeats = new URL(url);
  withoutHeartbeats.searchParams.set('heartbeat', '0');
  const connection: ChannelModel = await connect(withoutHeartbeats.toString(), { noDelay: true });
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic', 'x-max-priority': 2 } });
  let next = 0;
  return {
    async publish(count, payloadBytes) {
      const payload = Buffer.alloc(payloadBytes, 0x61);
      const now = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
      const headers = { [PUBLISHED_AT_HEADER]: now.toString() };
      const timestamp = Number(now / 1_000_000_000n);
      for (let i = 0; i < count; i++) {
        const ok = channel.sendToQueue(queue, payload, { persistent: true, priority: 1, messageId: `b-${++next}`, timestamp, headers });
        if (!ok) await once(channel, 'drain');
      }
    },
    confirmed: () => channel.waitForConfirms(),
    async close() {
      await connection.close().catch(() => undefined);
    },
  };
}
