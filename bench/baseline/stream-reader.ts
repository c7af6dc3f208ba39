/**
 * Baseline stream client: one Subscribe call, read as fast as grpc-js
 * delivers (a 'data' listener, so the stream flows), doing nothing with each
 * message but count it. It works against the baseline server and against the
 * sidecar alike (same proto), so "sidecar, bare reader" isolates the sidecar's
 * cost from the lab worker's.
 *
 * Progress goes to stdout as JSON: once the stream has been idle for
 * IDLE_MS, {"msg":"idle","count":N,"last_at_ms":T} with the wall-clock time
 * of the last message, so the bench can time the run without asking the
 * server. "reset" on stdin cancels the call and subscribes again (the sidecar
 * then forgets the messages it counted in flight on the old stream).
 *
 *   node bench/baseline/stream-reader.ts <host:port> <worker-id>
 */
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { loadQueueService, MAX_MESSAGE_BYTES, methodOf, report, wallMs } from './proto.ts';

const IDLE_MS = 100;
const [address, workerId] = process.argv.slice(2);
if (address === undefined || workerId === undefined) {
  process.stderr.write('usage: stream-reader.ts <host:port> <worker-id>\n');
  process.exit(2);
}

const Queue = loadQueueService();
const subscribeMethod = methodOf(Queue, 'Subscribe');
const client = new Queue(address, grpc.credentials.createInsecure(), {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
});

let call: grpc.ClientReadableStream<unknown> | undefined;
let count = 0;
let reported = 0;
let lastAt = 0;

function subscribe(): void {
  const current = client.makeServerStreamRequest(
    subscribeMethod.path,
    subscribeMethod.requestSerialize,
    subscribeMethod.responseDeserialize,
    { workerId },
  );
  call = current;
  count = 0;
  reported = 0;
  current.on('data', () => {
    count++;
    lastAt = wallMs();
  });
  current.on('error', (error: grpc.ServiceError) => {
    if (current === call && error.code !== grpc.status.CANCELLED) report({ msg: 'stream error', code: error.code, details: error.details });
  });
  report({ msg: 'subscribed', worker_id: workerId });
}

setInterval(() => {
  if (count !== reported && wallMs() - lastAt >= IDLE_MS) {
    reported = count;
    report({ msg: 'idle', worker_id: workerId, count, last_at_ms: lastAt });
  }
}, 25);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'reset') return;
  const old = call;
  call = undefined;
  old?.cancel();
  subscribe();
});
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

subscribe();
