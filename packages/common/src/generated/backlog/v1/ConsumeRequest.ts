// Original file: proto/backlog/v1/backlog.proto

import type { Hello as _backlog_v1_Hello, Hello__Output as _backlog_v1_Hello__Output } from '../../backlog/v1/Hello';
import type { ConsumeAck as _backlog_v1_ConsumeAck, ConsumeAck__Output as _backlog_v1_ConsumeAck__Output } from '../../backlog/v1/ConsumeAck';

export interface ConsumeRequest {
  'hello'?: (_backlog_v1_Hello | null);
  'ack'?: (_backlog_v1_ConsumeAck | null);
  'kind'?: "hello"|"ack";
}

export interface ConsumeRequest__Output {
  'hello'?: (_backlog_v1_Hello__Output | null);
  'ack'?: (_backlog_v1_ConsumeAck__Output | null);
  'kind'?: "hello"|"ack";
}
