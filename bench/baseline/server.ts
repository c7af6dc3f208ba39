/**
 * Baseline server: bare grpc-js serving the lab's proto with the least code
 * that does the same job as the sidecar, so the lab's cost can be read as a
 * ratio against it.
 *
 * - Publish: takes the same batches the bench sends the sidecar, queues them.
 * - Subscribe: server streaming; writes round-robin to every stream while
 *   `write()` returns true and waits for 'drain' when it returns false (the
 *   same backpressure as the sidecar's stream mode).
 * - Pull + Ack: unary; a Pull answers one message (or waits for one), an Ack
 *   is counted. The poll mode's request pattern, nothing else.
 * - Consume: bidi; the first message's prefetch is the stream's credit, a
 *   delivery spends one, each acked id returns one. The credit mode's
 *   protocol with a counter in place of the ledger.
 * - Stats: acked total and connected streams, so the bench waits on it the
 *   same way it waits on the sidecar.
 *
 * No ledger, no metrics, no tracing, no priorities, no redelivery.
 *
 *   node bench/baseline/server.ts        prints {"msg":"listening","port":N}
 */
import * as grpc from '@grpc/grpc-js';
import { loadQueueService, MAX_MESSAGE_BYTES, nowUnixNanoString, report, type BareDelivery } from './proto.ts';

interface Queued {
  readonly id: string;
  readonly priority: number;
  readonly payload: Buffer;
  readonly publishedAtUnixNano: string;
}

type Stream = grpc.ServerWritableStream<{ workerId: string }, BareDelivery>;
type PullCallback = grpc.sendUnaryData<{ message: BareDelivery | null }>;
type ConsumeCall = grpc.ServerDuplexStream<ConsumeMessage, BareDelivery>;
interface ConsumeMessage {
  kind: 'hello' | 'ack';
  hello?: { workerId: string; prefetch: number };
  ack?: { ackIds: string[] };
}
interface Consumer {
  readonly call: ConsumeCall;
  credit: number;
}

let items: (Queued | undefined)[] = [];
let head = 0;
let seq = 0;
let published = 0;
let dispatched = 0;
let acked = 0;
const ready = new Set<Stream>();
const blocked = new Set<Stream>();
/** Consume streams with credit left. */
const credited = new Set<Consumer>();
const pulls: { callback: PullCallback; timer: NodeJS.Timeout }[] = [];

const depth = (): number => items.length - head;

function take(): BareDelivery {
  const item = items[head] as Queued;
  items[head] = undefined;
  head++;
  if (head === items.length) {
    items = [];
    head = 0;
  }
  dispatched++;
  return {
    id: item.id,
    priority: item.priority,
    payload: item.payload,
    publishedAtUnixNano: item.publishedAtUnixNano,
    dispatchedAtUnixNano: nowUnixNanoString(),
    attempt: 1,
    traceContext: {},
    ackId: item.id,
  };
}

function pump(): void {
  while (depth() > 0) {
    const pull = pulls.shift();
    if (pull) {
      clearTimeout(pull.timer);
      pull.callback(null, { message: take() });
      continue;
    }
    const consumer = credited.values().next().value;
    if (consumer !== undefined) {
      // Delete and re-add: the consumers take turns.
      credited.delete(consumer);
      consumer.credit--;
      consumer.call.write(take());
      if (consumer.credit > 0) credited.add(consumer);
      continue;
    }
    const stream = ready.values().next().value;
    if (stream === undefined) return;
    ready.delete(stream);
    if (stream.write(take())) {
      ready.add(stream);
    } else {
      blocked.add(stream);
      stream.once('drain', () => {
        if (!blocked.delete(stream)) return;
        ready.add(stream);
        pump();
      });
    }
  }
}

const handlers: grpc.UntypedServiceImplementation = {
  Publish(call: grpc.ServerUnaryCall<{ messages: { id: string; priority: number; payload: Buffer }[] }, unknown>, callback: grpc.sendUnaryData<{ ids: string[] }>) {
    const now = nowUnixNanoString();
    const ids: string[] = [];
    for (const m of call.request.messages) {
      const id = m.id === '' ? `b-${++seq}` : m.id;
      items.push({ id, priority: m.priority, payload: m.payload, publishedAtUnixNano: now });
      ids.push(id);
    }
    published += ids.length;
    pump();
    callback(null, { ids });
  },
  Subscribe(call: Stream) {
    const workerId = call.request.workerId;
    const close = (): void => {
      ready.delete(call);
      blocked.delete(call);
      if (streams.get(workerId) === call) streams.delete(workerId);
    };
    streams.set(workerId, call);
    call.on('cancelled', close);
    call.on('error', close);
    call.on('finish', close);
    ready.add(call);
    pump();
  },
  Consume(call: ConsumeCall) {
    call.once('data', (first: ConsumeMessage) => {
      const hello = first.hello;
      if (first.kind !== 'hello' || hello === undefined) {
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'the first message on Consume must be a hello' });
        return;
      }
      const consumer: Consumer = { call, credit: hello.prefetch };
      const close = (): void => {
        credited.delete(consumer);
        if (consumers.get(hello.workerId) === call) consumers.delete(hello.workerId);
      };
      consumers.set(hello.workerId, call);
      call.on('data', (request: ConsumeMessage) => {
        const returned = request.ack?.ackIds.length ?? 0;
        acked += returned;
        consumer.credit += returned;
        if (consumer.credit > 0) credited.add(consumer);
        pump();
      });
      call.on('end', () => {
        close();
        call.end();
      });
      call.on('cancelled', close);
      call.on('error', close);
      if (consumer.credit > 0) credited.add(consumer);
      pump();
    });
  },
  Pull(call: grpc.ServerUnaryCall<{ workerId: string; timeoutMs: number }, unknown>, callback: PullCallback) {
    if (depth() > 0) {
      callback(null, { message: take() });
      return;
    }
    const entry = {
      callback,
      timer: setTimeout(() => {
        const at = pulls.indexOf(entry);
        if (at >= 0) pulls.splice(at, 1);
        callback(null, { message: null });
      }, call.request.timeoutMs > 0 ? call.request.timeoutMs : 30_000),
    };
    pullers.add(call.request.workerId);
    pulls.push(entry);
    call.on('cancelled', () => {
      const at = pulls.indexOf(entry);
      if (at >= 0) pulls.splice(at, 1);
      clearTimeout(entry.timer);
    });
  },
  Ack(_call: grpc.ServerUnaryCall<{ workerId: string; messageId: string }, unknown>, callback: grpc.sendUnaryData<{ outcome: string }>) {
    acked++;
    callback(null, { outcome: 'ACK_OUTCOME_ACKED' });
  },
  Stats(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
    callback(null, {
      queueDepth: [0, depth(), 0],
      workers: [
        ...[...streams.keys()].map((workerId) => ({ workerId, mode: 'stream', connected: true })),
        ...[...pullers].map((workerId) => ({ workerId, mode: 'poll', connected: true })),
        ...[...consumers.keys()].map((workerId) => ({ workerId, mode: 'credit', connected: true })),
      ],
      totals: { published, dispatched, acked },
      atUnixNano: nowUnixNanoString(),
    });
  },
};

/** Worker ids with an open Subscribe or Consume stream, and poll clients seen. */
const streams = new Map<string, Stream>();
const consumers = new Map<string, ConsumeCall>();
const pullers = new Set<string>();

const server = new grpc.Server({
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
});
server.addService(loadQueueService().service, handlers);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  report({ msg: 'listening', port });
});
const stop = (): void => {
  server.forceShutdown();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
