"""Narrowing for errors that reach a log line or a refusal."""

from __future__ import annotations

import asyncio

import grpc


def describe_error(error: BaseException) -> str:
    """One line: `CODE: details` for a gRPC status (as the TS worker writes it), the message otherwise."""
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    return str(error) or type(error).__name__


def rpc_details(error: BaseException) -> str:
    """The status details alone, as the TS worker logs a failed receipt, lease or ack."""
    return (error.details() or "") if isinstance(error, grpc.aio.AioRpcError) else str(error)


def is_local_cancel(error: BaseException) -> bool:
    """How grpc.aio ends a call this process cancelled: asyncio.CancelledError, or a CANCELLED status."""
    if isinstance(error, asyncio.CancelledError):
        return True
    return isinstance(error, grpc.aio.AioRpcError) and error.code() == grpc.StatusCode.CANCELLED
