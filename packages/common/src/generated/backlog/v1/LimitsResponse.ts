// Original file: proto/backlog/v1/backlog.proto

import type { Long } from '@grpc/proto-loader';

export interface LimitsResponse {
  'maxPrefetch'?: (number);
  'longPollMaxMs'?: (number);
  'ackDeadlineMs'?: (number);
  'leaseMs'?: (number);
  'firstMessageTimeoutMs'?: (number);
  'maxReceiptIds'?: (number);
  'receiptGraceMs'?: (number);
  'pollPresenceMs'?: (number);
  'maxPendingPullsPerWorker'?: (number);
  'maxPublishMessages'?: (number);
  'maxPublishBytes'?: (number | string | Long);
  'maxPayloadBytes'?: (number);
  'maxIdLength'?: (number);
}

export interface LimitsResponse__Output {
  'maxPrefetch': (number);
  'longPollMaxMs': (number);
  'ackDeadlineMs': (number);
  'leaseMs': (number);
  'firstMessageTimeoutMs': (number);
  'maxReceiptIds': (number);
  'receiptGraceMs': (number);
  'pollPresenceMs': (number);
  'maxPendingPullsPerWorker': (number);
  'maxPublishMessages': (number);
  'maxPublishBytes': (string);
  'maxPayloadBytes': (number);
  'maxIdLength': (number);
}
