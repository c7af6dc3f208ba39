// Original file: proto/backlog/v1/backlog.proto

import type { OutgoingMessage as _backlog_v1_OutgoingMessage, OutgoingMessage__Output as _backlog_v1_OutgoingMessage__Output } from '../../backlog/v1/OutgoingMessage';

export interface PublishRequest {
  'messages'?: (_backlog_v1_OutgoingMessage)[];
}

export interface PublishRequest__Output {
  'messages': (_backlog_v1_OutgoingMessage__Output)[];
}
