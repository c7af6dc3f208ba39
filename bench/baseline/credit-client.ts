/**
 * Baseline credit client: one Consume stream, a hello with the prefetch, and
 * an ack of every message as soon as it arrives, the acks of one turn of the
 * event loop sent together at its end, as the lab's credit worker sends
 * them. Nothing else (no metrics, no spans, no processor).
 *
 *   node bench/baseline/credit-client.ts <host:port> <worker-id> <prefetch>
 */
import * as grpc from '@grpc/grpc-js';
import { loadQueueService, MAX_MESSAGE_BYTES, methodOf, report } from './proto.ts';

const [address, workerId, prefetchArg] = process.argv.slice(2);
const prefetch = Number(prefetchArg);
if (address === undefined || workerId === undefined || !Number.isInteger(prefetch) || prefetch < 1) {
  process.stderr.write('usage: credit-client.ts <host:port> <worker-id> <prefetch (an integer >= 1)>\n');
  process.exit(2);
}

const Queue = loadQueueService();
const consume = methodOf(Queue, 'Consume');
const client = new Queue(address, grpc.credentials.createInsecure(), {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
});

const call = client.makeBidiStreamRequest(consume.path, consume.requestSerialize, consume.responseDeserialize);
let unsent: string[] = [];
let flushing: NodeJS.Immediate | undefined;
const flush = (): void => {
  flushing = undefined;
  call.write({ ack: { ackIds: unsent } });
  unsent = [];
};
call.on('data', (delivery: { ackId: string }) => {
  unsent.push(delivery.ackId);
  flushing ??= setImmediate(flush);
});
call.on('error', (error: grpc.ServiceError) => {
  report({ msg: 'stream error', code: error.code, details: error.details });
  process.exit(1);
});
call.write({ hello: { workerId, prefetch } });
report({ msg: 'started', worker_id: workerId, prefetch });
process.on('SIGTERM', () => process.exit(0));
