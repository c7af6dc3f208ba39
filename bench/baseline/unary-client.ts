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

function unary<T>(method: 'Pull' | 'Ack', request: object, deadlineMs?: number): Promise<T> {
  const definition = methodOf(Queue, method);
  const options: grpc.CallOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request, options, (error, response) => {
      if (error) reject(error);
      else resolve(response as T);
    });
  });
}

process.on('SIGTERM', () => process.exit(0));
report({ msg: 'started', worker_id: workerId });
for (;;) {
  try {
    // Deadlines as the lab's poll worker sets them: the long-poll timeout plus slack on Pull, none on Ack.
    const { message } = await unary<{ message: { id: string } | null }>('Pull', { workerId, timeoutMs }, timeoutMs + 5_000);
    if (message) await unary('Ack', { workerId, messageId: message.id });
  } catch (error) {
    report({ msg: 'call failed', error: error instanceof Error ? error.message : String(error) });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
