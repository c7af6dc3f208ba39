"""The worker's configuration: read once from the environment, validated, frozen.

The same variables, defaults, ranges and messages as the TypeScript worker's
services/worker/src/config.ts, read in the same order (so several problems
are reported in the same order), plus the C-core knob BDP_PROBE. Bad values
stop the process with status 2 (env.py).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .env import EnvReader, StringCheck

DeliveryMode = Literal["stream", "credit", "poll"]
LogLevel = Literal["debug", "info", "warn", "error"]

# The contract's delivery modes (packages/common/src/modes.ts) and log levels (logger.ts).
DELIVERY_MODES: tuple[DeliveryMode, ...] = ("stream", "credit", "poll")
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warn", "error")
SWITCH = ("on", "off")

# The contract's rule for ids (packages/common/src/identifiers.ts).
MAX_ID_LENGTH = 128
_ID = re.compile(r"[\x21-\x7e]{1,128}")
ID_RULE = f"1..{MAX_ID_LENGTH} printable ASCII characters without spaces"

_HOST = StringCheck(lambda v: re.fullmatch(r"[\w.:\[\]-]+", v, re.ASCII) is not None, "a host name or IP address")
_ADDRESS = StringCheck(
    lambda v: re.fullmatch(r"[\w.-]+:\d{1,5}|\[[\da-fA-F:]+\]:\d{1,5}", v, re.ASCII) is not None,
    "host:port",
)


def is_valid_id(value: str) -> bool:
    return _ID.fullmatch(value) is not None


@dataclass(frozen=True)
class TlsClient:
    cert: bytes
    key: bytes


@dataclass(frozen=True)
class WorkerConfig:
    mode: DeliveryMode
    # host:port of the sidecar's gRPC server.
    sidecar_address: str
    # Same value as the sidecar's worker_id label; unique per replica.
    worker_id: str
    # Simulated work per message (the "tax service" takes about 100 ms).
    processing_delay_ms: int
    # Up to this much extra delay, uniformly random, per message.
    processing_jitter_ms: int
    # credit mode: messages the sidecar may have outstanding to this worker.
    prefetch: int
    # poll mode: how long one Pull waits for a message.
    poll_timeout_ms: int
    # The HTTP/2 stream window the worker advertises, in bytes (C-core's
    # grpc.http2.lookahead_bytes, sent as SETTINGS_INITIAL_WINDOW_SIZE); 0
    # keeps C-core's 65,535. Needs bdp_probe off: BDP probing replaces it.
    flow_control_window: int
    # C-core's BDP probing (grpc.http2.bdp_probe): on, it advertises a 4 MiB
    # window from the start and grows it up to 32 MiB.
    bdp_probe: bool
    metrics_port: int
    metrics_host: str
    # gRPC health service (SERVING while connected to the sidecar); 0 = any free port.
    health_port: int
    health_host: str
    # PEM of the CA that signed the sidecar's certificate; when set, the worker connects with TLS.
    tls_ca: bytes | None
    # PEM certificate and key the worker presents when the sidecar asks for one (mutual TLS).
    tls_client: TlsClient | None
    # Shutdown: how long to wait for the message in hand and the hand-back.
    drain_ms: int
    log_level: LogLevel
    # File descriptor to announce readiness on (the lab's harness); None: none.
    ready_fd: int | None


def load_worker_config(env: Mapping[str, str], pid: int | None = None) -> WorkerConfig:
    read = EnvReader(env)
    # hostname-pid plus a random suffix: a restarted container keeps its
    # hostname and pid 1, and must not inherit its predecessor's counts.
    default_id = f"{socket.gethostname()}-{os.getpid() if pid is None else pid}-{secrets.token_hex(2)}"
    mode = read.one_of("DELIVERY_MODE", DELIVERY_MODES, "stream")
    sidecar_address = read.string("SIDECAR_ADDRESS", "localhost:50051", _ADDRESS)
    worker_id = read.string("WORKER_ID", default_id, StringCheck(is_valid_id, ID_RULE))
    processing_delay_ms = read.integer("PROCESSING_DELAY_MS", 100, 0, 3_600_000)
    processing_jitter_ms = read.integer("PROCESSING_JITTER_MS", 0, 0, 3_600_000)
    prefetch = read.integer("PREFETCH", 1, 1, 100_000)
    poll_timeout_ms = read.integer("POLL_TIMEOUT_MS", 10_000, 1, 600_000)
    flow_control_window = read.integer("FLOW_CONTROL_WINDOW", 0, 0, 2**31 - 1)
    bdp_probe = read.one_of("BDP_PROBE", SWITCH, "on") == "on"
    metrics_port = read.integer("WORKER_METRICS_PORT", 9464, 0, 65535)
    metrics_host = read.string("WORKER_METRICS_HOST", "0.0.0.0", _HOST)
    health_port = read.integer("WORKER_HEALTH_PORT", 50052, 0, 65535)
    health_host = read.string("WORKER_HEALTH_HOST", "0.0.0.0", _HOST)
    tls_ca = read.file("SIDECAR_TLS_CA_FILE")
    cert = read.file("WORKER_TLS_CERT_FILE")
    key = read.file("WORKER_TLS_KEY_FILE")
    drain_ms = read.integer("WORKER_DRAIN_MS", 10_000, 0, 600_000)
    log_level = read.one_of("LOG_LEVEL", LOG_LEVELS, "info")
    ready_fd = read.optional_integer("READY_FD", 3, 65_535)
    read.require_together(["WORKER_TLS_CERT_FILE", "WORKER_TLS_KEY_FILE"])
    tls_client = TlsClient(cert, key) if cert is not None and key is not None else None
    if tls_client is not None and tls_ca is None:
        read.problem("WORKER_TLS_CERT_FILE needs SIDECAR_TLS_CA_FILE: a client certificate is only sent over TLS")
    if flow_control_window > 0 and bdp_probe:
        # C-core queues BDP's 4 MiB after the lookahead setting, before its
        # first SETTINGS frame: the window asked for would never be advertised.
        read.problem("FLOW_CONTROL_WINDOW needs BDP_PROBE=off: with BDP probing C-core advertises its own window (4 MiB, growing) instead")
    read.done()
    return WorkerConfig(
        mode=mode,
        sidecar_address=sidecar_address,
        worker_id=worker_id,
        processing_delay_ms=processing_delay_ms,
        processing_jitter_ms=processing_jitter_ms,
        prefetch=prefetch,
        poll_timeout_ms=poll_timeout_ms,
        flow_control_window=flow_control_window,
        bdp_probe=bdp_probe,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        health_port=health_port,
        health_host=health_host,
        tls_ca=tls_ca,
        tls_client=tls_client,
        drain_ms=drain_ms,
        log_level=log_level,
        ready_fd=ready_fd,
    )
