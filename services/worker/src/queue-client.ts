/**
 * The worker's gRPC client for the sidecar, and the one place its channel
 * options are set. `grpc-node.flow_control_window` is the HTTP/2 window the
 * worker advertises, in bytes: it changes how many messages can sit in the
 * client backlog in `stream` mode, but never bounds them by count.
 */
import * as grpc from '@grpc/grpc-js';
import { loadContract, type QueueClient } from '@backlog-lab/common/contract';
import { MAX_GRPC_MESSAGE_BYTES } from '@backlog-lab/common/env';

export function createQueueClient(address: string, flowControlWindow: number, tlsCa?: Buffer): QueueClient {
  const { Queue } = loadContract();
  const options: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
    // Reconnect quickly after a sidecar restart; the receivers add their own jittered backoff on top.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
  };
  if (flowControlWindow > 0) options['grpc-node.flow_control_window'] = flowControlWindow;
  // Plaintext unless a CA is configured: then the sidecar's certificate must verify against it.
  const credentials = tlsCa ? grpc.credentials.createSsl(tlsCa) : grpc.credentials.createInsecure();
  return new Queue(address, credentials, options);
}
