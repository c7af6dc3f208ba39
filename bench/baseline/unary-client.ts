/**
 * Baseline poll client: Pull one message, Ack it, Pull again, exactly the
 * request pattern of the lab's poll worker with zero processing time, and
 * nothing else (no metrics, no spans, no receipts of its own).
 *
 *   node bench/baseline/unary-client.ts <host:port> <worker-id> [timeout-ms]
 */
import * as grpc from '@grpc/grpc-js';
import { loadQueueService, MAX_MESSAGE_BYTES, methodOf, report } from './proto.ts';

const [address, workerId, timeoutArg] = process.argv.slice(2);
if (address === undefined || workerId === undefined) {
  process.stderr.write('usage: unary-client.ts <host:port> <worker-id> [timeout-ms]\n');
  process.exit(2);
}
const timeoutMs = Number(timeoutArg ?? 10_000);

const Queue = loadQueueService();
const client = new Queue(address, grpc.credentials.createInsecure(), {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
});

function unary<T>(method: 'Pull' | 'Ack', request: object, deadlineMs: number): Promise<T> {
  const definition = methodOf(Queue, method);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request,
      { deadline: Date.now() + deadlineMs }, (error, response) => {
        if (error) reject(error);
        else resolve(response as T);
      });
  });
}

process.on('SIGTERM', () => process.exit(0));
report({ msg: 'started', worker_id: workerId });
for (;;) {
  const { message } = await unary<{ message: { id: string } | null }>('Pull', { workerId, timeoutMs }, timeoutMs + 5_000);
  if (message) await unary('Ack', { workerId, messageId: message.id }, 5_000);
}
