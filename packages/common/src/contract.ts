/**
 * Loads the one contract, proto/backlog/v1/backlog.proto, at run time. The
 * TypeScript types beside it (./generated) come from the same file through
 * `npm run proto`; the loader options here and the generator flags in the root
 * package.json must stay the same (strings for 64-bit integers and enums,
 * defaults filled in, oneof names set).
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/backlog.ts';

export type { QueueClient, QueueHandlers } from './generated/backlog/v1/Queue.ts';
export type { Delivery, Delivery__Output } from './generated/backlog/v1/Delivery.ts';
export type { ConsumeRequest, ConsumeRequest__Output } from './generated/backlog/v1/ConsumeRequest.ts';
export type { StatsResponse__Output } from './generated/backlog/v1/StatsResponse.ts';
export type { WorkerStats__Output } from './generated/backlog/v1/WorkerStats.ts';
export type { OutgoingMessage } from './generated/backlog/v1/OutgoingMessage.ts';
export type { AckOutcome__Output } from './generated/backlog/v1/AckOutcome.ts';

/** Folder that holds `backlog/v1/backlog.proto`. */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let loaded: ProtoGrpcType | undefined;

/** The `backlog.v1` package, loaded once per process. */
export function loadContract(): ProtoGrpcType['backlog']['v1'] {
  loaded ??= grpc.loadPackageDefinition(
    protoLoader.loadSync('backlog/v1/backlog.proto', LOADER_OPTIONS),
  ) as unknown as ProtoGrpcType;
  return loaded.backlog.v1;
}

/** Most message ids one Receipt call may carry (the contract says 1..1000). */
export const MAX_RECEIPT_IDS = 1000;

/** Full gRPC name of the queue service, for health status and traces. */
export const QUEUE_SERVICE_NAME = 'backlog.v1.Queue';
