/**
 * Many stream-mode workers in one process, for the memory benchmark: COUNT
 * Subscribe calls, each on its own channel and so its own TCP connection (a
 * local subchannel pool per channel, as separate worker processes would
 * have), with distinct worker ids. Each reads its first message the way the
 * lab's worker does (`for await`) and then never asks for the next, like a
 * worker stuck in its handler: grpc-js stops pulling once its buffer is full
 * and HTTP/2 flow control stops the server.
 *
 * (A call that is never read at all, with no listener and no iterator, is
 * different: with grpc-js 1.14 on Node 24 it kept receiving, 200,000
 * messages and counting, in a trial run. The lab's workers always iterate.)
 *
 *   node bench/baseline/idle-subscribers.ts <host:port> <count> [id-prefix]
 */
import * as grpc from '@grpc/grpc-js';
import { loadQueueService, MAX_MESSAGE_BYTES, methodOf, report } from './proto.ts';

const [address, countArg, prefix = 'idle'] = process.argv.slice(2);
const count = Number(countArg);
if (address === undefined || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: idle-subscribers.ts <host:port> <count> [id-prefix]\n');
  process.exit(2);
}

const Queue = loadQueueService();
const subscribe = methodOf(Queue, 'Subscribe');
const calls: grpc.ClientReadableStream<unknown>[] = [];
for (let i = 0; i < count; i++) {
  const client = new Queue(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.use_local_subchannel_pool': 1,
  });
  const call = client.makeServerStreamRequest(
    subscribe.path,
    subscribe.requestSerialize,
    subscribe.responseDeserialize,
    { workerId: `${prefix}-${String(i).padStart(3, '0')}` },
  );
  call.on('error', () => undefined);
  calls.push(call);
  void (async () => {
    for await (const _ of call) await new Promise(() => undefined);
  })();
}
report({ msg: 'subscribed', count: calls.length });
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 60_000);
