// Original file: proto/backlog/v1/backlog.proto

import type { AckOutcome as _backlog_v1_AckOutcome, AckOutcome__Output as _backlog_v1_AckOutcome__Output } from '../../backlog/v1/AckOutcome';

export interface AckResponse {
  'outcome'?: (_backlog_v1_AckOutcome);
}

export interface AckResponse__Output {
  'outcome': (_backlog_v1_AckOutcome__Output);
}
