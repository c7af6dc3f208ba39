"""The worker's channel to the sidecar, and the one place its options are set.

What decides a stream worker's client backlog on C-core (1.51,
src/core/ext/transport/chttp2/transport/flow_control.cc and
chttp2_transport.cc, read for this):

- grpc.http2.bdp_probe (BDP_PROBE, on by default). On, the transport runs
  its BDP estimator from the start: with no memory pressure its target log2
  window is lifted to 22, so the very first SETTINGS frame advertises a
  4 MiB stream window, and the PID controller grows it (up to 2^25, 32 MiB)
  while the measured bandwidth-delay product keeps rising.
- grpc.http2.lookahead_bytes (FLOW_CONTROL_WINDOW): queued as
  SETTINGS_INITIAL_WINDOW_SIZE (5..2^31-1) when the transport starts; BDP's
  setting is queued after it and wins, so it counts only with BDP off.
- The stream window is what bounds the backlog: C-core gives back a
  stream's credit only for bytes it has framed into messages, and it frames
  one only when the application asks for the next. The connection window is
  refilled as bytes arrive, so it bounds nothing here.

The window is counted in bytes, never messages: with 100-byte payloads a
4 MiB window is tens of thousands of them.
"""

from __future__ import annotations

import grpc

from backlog.v1 import backlog_pb2_grpc

from .config import WorkerConfig

# packages/common/src/env.ts MAX_GRPC_MESSAGE_BYTES: both stacks agree on what a message may weigh.
MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024


def channel_options(config: WorkerConfig) -> list[tuple[str, int]]:
    options = [
        ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
        # Reconnect quickly after a sidecar restart; the worker adds its own jittered backoff on top.
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 5_000),
        ("grpc.http2.bdp_probe", 1 if config.bdp_probe else 0),
    ]
    if config.flow_control_window > 0:
        options.append(("grpc.http2.lookahead_bytes", config.flow_control_window))
    return options


def create_channel(config: WorkerConfig) -> grpc.aio.Channel:
    """Plaintext unless a CA is configured: then the sidecar's certificate must
    verify against it, and the worker presents its own when it has one."""
    options = channel_options(config)
    if config.tls_ca is None:
        return grpc.aio.insecure_channel(config.sidecar_address, options=options)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=config.tls_ca,
        private_key=config.tls_client.key if config.tls_client else None,
        certificate_chain=config.tls_client.cert if config.tls_client else None,
    )
    return grpc.aio.secure_channel(config.sidecar_address, credentials, options=options)


def create_stub(channel: grpc.aio.Channel) -> backlog_pb2_grpc.QueueStub:
    return backlog_pb2_grpc.QueueStub(channel)
