import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AckRequest as _backlog_v1_AckRequest, AckRequest__Output as _backlog_v1_AckRequest__Output } from './backlog/v1/AckRequest';
import type { AckResponse as _backlog_v1_AckResponse, AckResponse__Output as _backlog_v1_AckResponse__Output } from './backlog/v1/AckResponse';
import type { ConsumeAck as _backlog_v1_ConsumeAck, ConsumeAck__Output as _backlog_v1_ConsumeAck__Output } from './backlog/v1/ConsumeAck';
import type { ConsumeRequest as _backlog_v1_ConsumeRequest, ConsumeRequest__Output as _backlog_v1_ConsumeRequest__Output } from './backlog/v1/ConsumeRequest';
import type { Delivery as _backlog_v1_Delivery, Delivery__Output as _backlog_v1_Delivery__Output } from './backlog/v1/Delivery';
import type { ExtendLeaseRequest as _backlog_v1_ExtendLeaseRequest, ExtendLeaseRequest__Output as _backlog_v1_ExtendLeaseRequest__Output } from './backlog/v1/ExtendLeaseRequest';
import type { ExtendLeaseResponse as _backlog_v1_ExtendLeaseResponse, ExtendLeaseResponse__Output as _backlog_v1_ExtendLeaseResponse__Output } from './backlog/v1/ExtendLeaseResponse';
import type { Hello as _backlog_v1_Hello, Hello__Output as _backlog_v1_Hello__Output } from './backlog/v1/Hello';
import type { LimitsRequest as _backlog_v1_LimitsRequest, LimitsRequest__Output as _backlog_v1_LimitsRequest__Output } from './backlog/v1/LimitsRequest';
import type { LimitsResponse as _backlog_v1_LimitsResponse, LimitsResponse__Output as _backlog_v1_LimitsResponse__Output } from './backlog/v1/LimitsResponse';
import type { OutgoingMessage as _backlog_v1_OutgoingMessage, OutgoingMessage__Output as _backlog_v1_OutgoingMessage__Output } from './backlog/v1/OutgoingMessage';
import type { PublishRequest as _backlog_v1_PublishRequest, PublishRequest__Output as _backlog_v1_PublishRequest__Output } from './backlog/v1/PublishRequest';
import type { PublishResponse as _backlog_v1_PublishResponse, PublishResponse__Output as _backlog_v1_PublishResponse__Output } from './backlog/v1/PublishResponse';
import type { PullRequest as _backlog_v1_PullRequest, PullRequest__Output as _backlog_v1_PullRequest__Output } from './backlog/v1/PullRequest';
import type { PullResponse as _backlog_v1_PullResponse, PullResponse__Output as _backlog_v1_PullResponse__Output } from './backlog/v1/PullResponse';
import type { QueueClient as _backlog_v1_QueueClient, QueueDefinition as _backlog_v1_QueueDefinition } from './backlog/v1/Queue';
import type { ReceiptRequest as _backlog_v1_ReceiptRequest, ReceiptRequest__Output as _backlog_v1_ReceiptRequest__Output } from './backlog/v1/ReceiptRequest';
import type { ReceiptResponse as _backlog_v1_ReceiptResponse, ReceiptResponse__Output as _backlog_v1_ReceiptResponse__Output } from './backlog/v1/ReceiptResponse';
import type { StatsRequest as _backlog_v1_StatsRequest, StatsRequest__Output as _backlog_v1_StatsRequest__Output } from './backlog/v1/StatsRequest';
import type { StatsResponse as _backlog_v1_StatsResponse, StatsResponse__Output as _backlog_v1_StatsResponse__Output } from './backlog/v1/StatsResponse';
import type { SubscribeRequest as _backlog_v1_SubscribeRequest, SubscribeRequest__Output as _backlog_v1_SubscribeRequest__Output } from './backlog/v1/SubscribeRequest';
import type { Totals as _backlog_v1_Totals, Totals__Output as _backlog_v1_Totals__Output } from './backlog/v1/Totals';
import type { Upstream as _backlog_v1_Upstream, Upstream__Output as _backlog_v1_Upstream__Output } from './backlog/v1/Upstream';
import type { WorkerStats as _backlog_v1_WorkerStats, WorkerStats__Output as _backlog_v1_WorkerStats__Output } from './backlog/v1/WorkerStats';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  backlog: {
    v1: {
      AckOutcome: EnumTypeDefinition
      AckRequest: MessageTypeDefinition<_backlog_v1_AckRequest, _backlog_v1_AckRequest__Output>
      AckResponse: MessageTypeDefinition<_backlog_v1_AckResponse, _backlog_v1_AckResponse__Output>
      ConsumeAck: MessageTypeDefinition<_backlog_v1_ConsumeAck, _backlog_v1_ConsumeAck__Output>
      ConsumeRequest: MessageTypeDefinition<_backlog_v1_ConsumeRequest, _backlog_v1_ConsumeRequest__Output>
      Delivery: MessageTypeDefinition<_backlog_v1_Delivery, _backlog_v1_Delivery__Output>
      ExtendLeaseRequest: MessageTypeDefinition<_backlog_v1_ExtendLeaseRequest, _backlog_v1_ExtendLeaseRequest__Output>
      ExtendLeaseResponse: MessageTypeDefinition<_backlog_v1_ExtendLeaseResponse, _backlog_v1_ExtendLeaseResponse__Output>
      Hello: MessageTypeDefinition<_backlog_v1_Hello, _backlog_v1_Hello__Output>
      LimitsRequest: MessageTypeDefinition<_backlog_v1_LimitsRequest, _backlog_v1_LimitsRequest__Output>
      LimitsResponse: MessageTypeDefinition<_backlog_v1_LimitsResponse, _backlog_v1_LimitsResponse__Output>
      OutgoingMessage: MessageTypeDefinition<_backlog_v1_OutgoingMessage, _backlog_v1_OutgoingMessage__Output>
      PublishRequest: MessageTypeDefinition<_backlog_v1_PublishRequest, _backlog_v1_PublishRequest__Output>
      PublishResponse: MessageTypeDefinition<_backlog_v1_PublishResponse, _backlog_v1_PublishResponse__Output>
      PullRequest: MessageTypeDefinition<_backlog_v1_PullRequest, _backlog_v1_PullRequest__Output>
      PullResponse: MessageTypeDefinition<_backlog_v1_PullResponse, _backlog_v1_PullResponse__Output>
      Queue: SubtypeConstructor<typeof grpc.Client, _backlog_v1_QueueClient> & { service: _backlog_v1_QueueDefinition }
      ReceiptRequest: MessageTypeDefinition<_backlog_v1_ReceiptRequest, _backlog_v1_ReceiptRequest__Output>
      ReceiptResponse: MessageTypeDefinition<_backlog_v1_ReceiptResponse, _backlog_v1_ReceiptResponse__Output>
      StatsRequest: MessageTypeDefinition<_backlog_v1_StatsRequest, _backlog_v1_StatsRequest__Output>
      StatsResponse: MessageTypeDefinition<_backlog_v1_StatsResponse, _backlog_v1_StatsResponse__Output>
      SubscribeRequest: MessageTypeDefinition<_backlog_v1_SubscribeRequest, _backlog_v1_SubscribeRequest__Output>
      Totals: MessageTypeDefinition<_backlog_v1_Totals, _backlog_v1_Totals__Output>
      Upstream: MessageTypeDefinition<_backlog_v1_Upstream, _backlog_v1_Upstream__Output>
      WorkerStats: MessageTypeDefinition<_backlog_v1_WorkerStats, _backlog_v1_WorkerStats__Output>
    }
  }
}

