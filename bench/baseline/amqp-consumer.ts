/**
 * Baseline AMQP consumer: amqplib with manual acks, each message acked the
 * moment it arrives, prefetch (basic.qos, per consumer) as given, and nothing
 * else: the least a Node consumer of a RabbitMQ queue does, to set the lab's
 * sidecar with RabbitMQ behind it against. It declares the queue as the
 * sidecar does (durable, classic, x-max-priority 2), so either may create it.
 *
 * Progress goes to stdout as JSON, like stream-reader.ts: {"msg":"consuming"}
 * once basic.consume is answered, then, whenever deliveries have stopped for
 * IDLE_MS, {"msg":"idle","count":N,"last_at_us":T}: messages so far (since
 * start) and when the last one came, on the monotonic clock in µs
 * (process.hrtime, CLOCK_MONOTONIC: the same clock in every process of the
 * host, unlike timeOrigin + now(), which differ by however the wall clock was
 * slewed between the processes' starts; drains of a few ms need that).
 *
 *   node bench/baseline/amqp-consumer.ts <amqp-url> <queue> <prefetch>
 */
import { connect } from 'amqplib';
import { report } from './proto.ts';

const IDLE_MS = 100;
const [url, queue, prefetchArg] = process.argv.slice(2);
const prefetch = Number(prefetchArg);
if (url === undefined || queue === undefined || !Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
  process.stderr.write('usage: amqp-consumer.ts <amqp-url> <queue> <prefetch 1..65535>\n');
  process.exit(2);
}

// No heartbeats: the bench pauses contenders (SIGSTOP) for longer than two of them.
const withoutHeartbeats = new URL(url);
withoutHeartbeats.searchParams.set('heartbeat', '0');
const connection = await connect(withoutHeartbeats.toString(), { noDelay: true });
connection.on('error', (error: Error) => { report({ msg: 'connection error', error: error.message }); });
connection.on('close', () => process.exit(1));
const channel = await connection.createChannel();
await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic', 'x-max-priority': 2 } });
await channel.prefetch(prefetch);

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);
let count = 0;
let reported = 0;
let lastAt = 0;
await channel.consume(queue, (message) => {
  if (message === null) process.exit(1);
  channel.ack(message);
  count++;
  lastAt = monotonicMicros();
}, { noAck: false });
report({ msg: 'consuming', queue, prefetch });

setInterval(() => {
  if (count !== reported && monotonicMicros() - lastAt >= IDLE_MS * 1000) {
    reported = count;
    report({ msg: 'idle', count, last_at_us: lastAt });
  }
}, 25);
process.on('SIGTERM', () => process.exit(0));
