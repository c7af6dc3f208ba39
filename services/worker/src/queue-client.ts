/**
 * The worker's gRPC client for the sidecar, and the one place its channel
 * options are set. `grpc-node.flow_control_window` is the HTTP/2 window the
 * worker advertises, in bytes: it changes how many messages can sit in the
 * client backlog in `stream` mode, but never bounds them by count.
 */
import * as grpc from '@grpc/grpc-js';
import { loadContract, type QueueClient } from '@backlog-lab/common/contract';
import { MAX_GRPC_MESSAGE_BYTES } from '@backlog-lab/common/env';
import type { WorkerConfig } from './config.ts';

export function createQueueClient(config: Pick<WorkerConfig, 'sidecarAddress' | 'flowControlWindow' | 'tlsCa' | 'tlsClient'>): QueueClient {
  const { Queue } = loadContract();
  const options: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
    // Reconnect quickly after a sidecar restart; the receivers add their own jittered backoff on top.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
  };
  if (config.flowControlWindow > 0) options['grpc-node.flow_control_window'] = config.flowControlWindow;
  // Plaintext unless a CA is configured: then the sidecar's certificate must
  // verify against it, and the worker presents its own when it has one.
  const credentials = config.tlsCa
    ? grpc.credentials.createSsl(config.tlsCa, config.tlsClient?.key ?? null, config.tlsClient?.cert ?? null)
    : grpc.credentials.createInsecure();
  return new Queue(config.sidecarAddress, credentials, options);
}
