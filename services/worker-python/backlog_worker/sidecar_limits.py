"""Before its first session the worker asks the sidecar for its limits and
checks its own settings against them, so a prefetch the sidecar would refuse
stops the worker at once with a message naming the variable, instead of a
refused stream and a retry loop (services/worker/src/sidecar-limits.ts)."""

from __future__ import annotations

import grpc

from backlog.v1 import backlog_pb2, backlog_pb2_grpc

from .config import WorkerConfig

LIMITS_DEADLINE_S = 5.0


async def fetch_limits(stub: backlog_pb2_grpc.QueueStub) -> backlog_pb2.LimitsResponse | None:
    """The sidecar's limits, or None if it does not serve Limits; raises if it is unreachable."""
    try:
        return await stub.Limits(backlog_pb2.LimitsRequest(), timeout=LIMITS_DEADLINE_S)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.UNIMPLEMENTED:
            return None
        raise


def conflicts(config: WorkerConfig, limits: backlog_pb2.LimitsResponse) -> list[str]:
    """Each setting of this worker the sidecar would refuse, as a line naming the variable."""
    out: list[str] = []
    if config.mode == "credit" and config.prefetch > limits.max_prefetch:
        out.append(f"PREFETCH is {config.prefetch}, above the sidecar's limit of {limits.max_prefetch} (its MAX_PREFETCH)")
    if config.mode == "poll" and config.poll_timeout_ms > limits.long_poll_max_ms:
        out.append(f"POLL_TIMEOUT_MS is {config.poll_timeout_ms}, above the sidecar's limit of {limits.long_poll_max_ms} (its LONG_POLL_MAX_MS)")
    return out
