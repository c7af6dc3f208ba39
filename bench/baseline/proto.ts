/**
 * The baseline programs load the lab's one proto with @grpc/proto-loader, as
 * any grpc-js program would, and import nothing else from the lab: they are
 * what the same messages cost with no lab code around them. The loader
 * options match the lab's (64-bit integers and enums as strings, defaults,
 * oneofs), so both sides (de)serialize the same way.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_ROOT = fileURLToPath(new URL('../../proto', import.meta.url));

/** The Delivery message as the lab's sidecar writes it. */
export interface BareDelivery {
  id: string;
  priority: number;
  payload: Buffer;
  publishedAtUnixNano: string;
  dispatchedAtUnixNano: string;
  attempt: number;
  traceContext: Record<string, string>;
  /** Consume only: what the client acks (the baseline uses the message id). */
  ackId: string;
}

/** The sidecar's own limit (common/env.ts), so the same Publish batches fit. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export function loadQueueService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync('backlog/v1/backlog.proto', {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_ROOT],
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as { backlog: { v1: { Queue: grpc.ServiceClientConstructor } } };
  return root.backlog.v1.Queue;
}

/** One RPC's definition (path and (de)serializers), for calls made without a generated client. */
export function methodOf(Queue: grpc.ServiceClientConstructor, name: string): grpc.MethodDefinition<object, unknown> {
  const definition = Queue.service[name];
  if (definition === undefined) throw new Error(`backlog.v1.Queue has no method ${name}`);
  return definition as grpc.MethodDefinition<object, unknown>;
}

/** Unix time in nanoseconds as a decimal string, as the lab's messages carry it. */
export function nowUnixNanoString(): string {
  return (BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n).toString();
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one host. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One JSON line on stdout: how the bench driver learns ports and progress. */
export function report(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}
