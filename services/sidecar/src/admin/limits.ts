/** Limits: the numbers a client must respect, so it can learn them rather than fail on them. */
import type * as grpc from '@grpc/grpc-js';
import { MAX_RECEIPT_IDS } from '@backlog-lab/common/contract';
import { MAX_ID_LENGTH } from '@backlog-lab/common/identifiers';
import type { LimitsRequest__Output } from '@backlog-lab/common/generated/backlog/v1/LimitsRequest';
import type { LimitsResponse } from '@backlog-lab/common/generated/backlog/v1/LimitsResponse';
import type { SidecarConfig } from '../config.ts';

export function limitsOf(config: SidecarConfig): LimitsResponse {
  return {
    maxPrefetch: config.maxPrefetch,
    longPollMaxMs: config.longPollMaxMs,
    ackDeadlineMs: config.ackDeadlineMs,
    leaseMs: config.pollLeaseMs,
    firstMessageTimeoutMs: config.firstMessageTimeoutMs,
    maxReceiptIds: MAX_RECEIPT_IDS,
    receiptGraceMs: config.receiptGraceMs,
    pollPresenceMs: config.pollPresenceMs,
    maxPendingPullsPerWorker: config.maxPendingPullsPerWorker,
    maxPublishMessages: config.maxPublishMessages,
    maxPublishBytes: config.maxPublishBytes,
    maxPayloadBytes: config.maxPayloadBytes,
    maxIdLength: MAX_ID_LENGTH,
  };
}

export function createLimitsHandler(config: SidecarConfig): grpc.handleUnaryCall<LimitsRequest__Output, LimitsResponse> {
  const limits = limitsOf(config);
  return (_call, callback) => {
    callback(null, limits);
  };
}
