// Original file: proto/backlog/v1/backlog.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AckRequest as _backlog_v1_AckRequest, AckRequest__Output as _backlog_v1_AckRequest__Output } from '../../backlog/v1/AckRequest';
import type { AckResponse as _backlog_v1_AckResponse, AckResponse__Output as _backlog_v1_AckResponse__Output } from '../../backlog/v1/AckResponse';
import type { ConsumeRequest as _backlog_v1_ConsumeRequest, ConsumeRequest__Output as _backlog_v1_ConsumeRequest__Output } from '../../backlog/v1/ConsumeRequest';
import type { Delivery as _backlog_v1_Delivery, Delivery__Output as _backlog_v1_Delivery__Output } from '../../backlog/v1/Delivery';
import type { ExtendLeaseRequest as _backlog_v1_ExtendLeaseRequest, ExtendLeaseRequest__Output as _backlog_v1_ExtendLeaseRequest__Output } from '../../backlog/v1/ExtendLeaseRequest';
import type { ExtendLeaseResponse as _backlog_v1_ExtendLeaseResponse, ExtendLeaseResponse__Output as _backlog_v1_ExtendLeaseResponse__Output } from '../../backlog/v1/ExtendLeaseResponse';
import type { LimitsRequest as _backlog_v1_LimitsRequest, LimitsRequest__Output as _backlog_v1_LimitsRequest__Output } from '../../backlog/v1/LimitsRequest';
import type { LimitsResponse as _backlog_v1_LimitsResponse, LimitsResponse__Output as _backlog_v1_LimitsResponse__Output } from '../../backlog/v1/LimitsResponse';
import type { PublishRequest as _backlog_v1_PublishRequest, PublishRequest__Output as _backlog_v1_PublishRequest__Output } from '../../backlog/v1/PublishRequest';
import type { PublishResponse as _backlog_v1_PublishResponse, PublishResponse__Output as _backlog_v1_PublishResponse__Output } from '../../backlog/v1/PublishResponse';
import type { PullRequest as _backlog_v1_PullRequest, PullRequest__Output as _backlog_v1_PullRequest__Output } from '../../backlog/v1/PullRequest';
import type { PullResponse as _backlog_v1_PullResponse, PullResponse__Output as _backlog_v1_PullResponse__Output } from '../../backlog/v1/PullResponse';
import type { ReceiptRequest as _backlog_v1_ReceiptRequest, ReceiptRequest__Output as _backlog_v1_ReceiptRequest__Output } from '../../backlog/v1/ReceiptRequest';
import type { ReceiptResponse as _backlog_v1_ReceiptResponse, ReceiptResponse__Output as _backlog_v1_ReceiptResponse__Output } from '../../backlog/v1/ReceiptResponse';
import type { StatsRequest as _backlog_v1_StatsRequest, StatsRequest__Output as _backlog_v1_StatsRequest__Output } from '../../backlog/v1/StatsRequest';
import type { StatsResponse as _backlog_v1_StatsResponse, StatsResponse__Output as _backlog_v1_StatsResponse__Output } from '../../backlog/v1/StatsResponse';
import type { SubscribeRequest as _backlog_v1_SubscribeRequest, SubscribeRequest__Output as _backlog_v1_SubscribeRequest__Output } from '../../backlog/v1/SubscribeRequest';

export interface QueueClient extends grpc.Client {
  Ack(argument: _backlog_v1_AckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  Ack(argument: _backlog_v1_AckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  Ack(argument: _backlog_v1_AckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  Ack(argument: _backlog_v1_AckRequest, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  ack(argument: _backlog_v1_AckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  ack(argument: _backlog_v1_AckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  ack(argument: _backlog_v1_AckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  ack(argument: _backlog_v1_AckRequest, callback: grpc.requestCallback<_backlog_v1_AckResponse__Output>): grpc.ClientUnaryCall;
  
  Consume(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_backlog_v1_ConsumeRequest, _backlog_v1_Delivery__Output>;
  Consume(options?: grpc.CallOptions): grpc.ClientDuplexStream<_backlog_v1_ConsumeRequest, _backlog_v1_Delivery__Output>;
  consume(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_backlog_v1_ConsumeRequest, _backlog_v1_Delivery__Output>;
  consume(options?: grpc.CallOptions): grpc.ClientDuplexStream<_backlog_v1_ConsumeRequest, _backlog_v1_Delivery__Output>;
  
  ExtendLease(argument: _backlog_v1_ExtendLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  ExtendLease(argument: _backlog_v1_ExtendLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  ExtendLease(argument: _backlog_v1_ExtendLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  ExtendLease(argument: _backlog_v1_ExtendLeaseRequest, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  extendLease(argument: _backlog_v1_ExtendLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  extendLease(argument: _backlog_v1_ExtendLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  extendLease(argument: _backlog_v1_ExtendLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  extendLease(argument: _backlog_v1_ExtendLeaseRequest, callback: grpc.requestCallback<_backlog_v1_ExtendLeaseResponse__Output>): grpc.ClientUnaryCall;
  
  Limits(argument: _backlog_v1_LimitsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  Limits(argument: _backlog_v1_LimitsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  Limits(argument: _backlog_v1_LimitsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  Limits(argument: _backlog_v1_LimitsRequest, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  limits(argument: _backlog_v1_LimitsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  limits(argument: _backlog_v1_LimitsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  limits(argument: _backlog_v1_LimitsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  limits(argument: _backlog_v1_LimitsRequest, callback: grpc.requestCallback<_backlog_v1_LimitsResponse__Output>): grpc.ClientUnaryCall;
  
  Publish(argument: _backlog_v1_PublishRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  Publish(argument: _backlog_v1_PublishRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  Publish(argument: _backlog_v1_PublishRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  Publish(argument: _backlog_v1_PublishRequest, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  publish(argument: _backlog_v1_PublishRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  publish(argument: _backlog_v1_PublishRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  publish(argument: _backlog_v1_PublishRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  publish(argument: _backlog_v1_PublishRequest, callback: grpc.requestCallback<_backlog_v1_PublishResponse__Output>): grpc.ClientUnaryCall;
  
  Pull(argument: _backlog_v1_PullRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  Pull(argument: _backlog_v1_PullRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  Pull(argument: _backlog_v1_PullRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  Pull(argument: _backlog_v1_PullRequest, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  pull(argument: _backlog_v1_PullRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  pull(argument: _backlog_v1_PullRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  pull(argument: _backlog_v1_PullRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  pull(argument: _backlog_v1_PullRequest, callback: grpc.requestCallback<_backlog_v1_PullResponse__Output>): grpc.ClientUnaryCall;
  
  Receipt(argument: _backlog_v1_ReceiptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  Receipt(argument: _backlog_v1_ReceiptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  Receipt(argument: _backlog_v1_ReceiptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  Receipt(argument: _backlog_v1_ReceiptRequest, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  receipt(argument: _backlog_v1_ReceiptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  receipt(argument: _backlog_v1_ReceiptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  receipt(argument: _backlog_v1_ReceiptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  receipt(argument: _backlog_v1_ReceiptRequest, callback: grpc.requestCallback<_backlog_v1_ReceiptResponse__Output>): grpc.ClientUnaryCall;
  
  Stats(argument: _backlog_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _backlog_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _backlog_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _backlog_v1_StatsRequest, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _backlog_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _backlog_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _backlog_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _backlog_v1_StatsRequest, callback: grpc.requestCallback<_backlog_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  
  Subscribe(argument: _backlog_v1_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_backlog_v1_Delivery__Output>;
  Subscribe(argument: _backlog_v1_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_backlog_v1_Delivery__Output>;
  subscribe(argument: _backlog_v1_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_backlog_v1_Delivery__Output>;
  subscribe(argument: _backlog_v1_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_backlog_v1_Delivery__Output>;
  
}

export interface QueueHandlers extends grpc.UntypedServiceImplementation {
  Ack: grpc.handleUnaryCall<_backlog_v1_AckRequest__Output, _backlog_v1_AckResponse>;
  
  Consume: grpc.handleBidiStreamingCall<_backlog_v1_ConsumeRequest__Output, _backlog_v1_Delivery>;
  
  ExtendLease: grpc.handleUnaryCall<_backlog_v1_ExtendLeaseRequest__Output, _backlog_v1_ExtendLeaseResponse>;
  
  Limits: grpc.handleUnaryCall<_backlog_v1_LimitsRequest__Output, _backlog_v1_LimitsResponse>;
  
  Publish: grpc.handleUnaryCall<_backlog_v1_PublishRequest__Output, _backlog_v1_PublishResponse>;
  
  Pull: grpc.handleUnaryCall<_backlog_v1_PullRequest__Output, _backlog_v1_PullResponse>;
  
  Receipt: grpc.handleUnaryCall<_backlog_v1_ReceiptRequest__Output, _backlog_v1_ReceiptResponse>;
  
  Stats: grpc.handleUnaryCall<_backlog_v1_StatsRequest__Output, _backlog_v1_StatsResponse>;
  
  Subscribe: grpc.handleServerStreamingCall<_backlog_v1_SubscribeRequest__Output, _backlog_v1_Delivery>;
  
}

export interface QueueDefinition extends grpc.ServiceDefinition {
  Ack: MethodDefinition<_backlog_v1_AckRequest, _backlog_v1_AckResponse, _backlog_v1_AckRequest__Output, _backlog_v1_AckResponse__Output>
  Consume: MethodDefinition<_backlog_v1_ConsumeRequest, _backlog_v1_Delivery, _backlog_v1_ConsumeRequest__Output, _backlog_v1_Delivery__Output>
  ExtendLease: MethodDefinition<_backlog_v1_ExtendLeaseRequest, _backlog_v1_ExtendLeaseResponse, _backlog_v1_ExtendLeaseRequest__Output, _backlog_v1_ExtendLeaseResponse__Output>
  Limits: MethodDefinition<_backlog_v1_LimitsRequest, _backlog_v1_LimitsResponse, _backlog_v1_LimitsRequest__Output, _backlog_v1_LimitsResponse__Output>
  Publish: MethodDefinition<_backlog_v1_PublishRequest, _backlog_v1_PublishResponse, _backlog_v1_PublishRequest__Output, _backlog_v1_PublishResponse__Output>
  Pull: MethodDefinition<_backlog_v1_PullRequest, _backlog_v1_PullResponse, _backlog_v1_PullRequest__Output, _backlog_v1_PullResponse__Output>
  Receipt: MethodDefinition<_backlog_v1_ReceiptRequest, _backlog_v1_ReceiptResponse, _backlog_v1_ReceiptRequest__Output, _backlog_v1_ReceiptResponse__Output>
  Stats: MethodDefinition<_backlog_v1_StatsRequest, _backlog_v1_StatsResponse, _backlog_v1_StatsRequest__Output, _backlog_v1_StatsResponse__Output>
  Subscribe: MethodDefinition<_backlog_v1_SubscribeRequest, _backlog_v1_Delivery, _backlog_v1_SubscribeRequest__Output, _backlog_v1_Delivery__Output>
}
