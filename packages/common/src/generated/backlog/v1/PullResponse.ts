// Original file: proto/backlog/v1/backlog.proto

import type { Delivery as _backlog_v1_Delivery, Delivery__Output as _backlog_v1_Delivery__Output } from '../../backlog/v1/Delivery';

export interface PullResponse {
  'message'?: (_backlog_v1_Delivery | null);
  'leaseMs'?: (number);
}

export interface PullResponse__Output {
  'message': (_backlog_v1_Delivery__Output | null);
  'leaseMs': (number);
}
