"""A receiver gets messages from the sidecar in one delivery mode and hands
them to the processor one at a time (services/worker/src/receivers/receiver.ts).
`session()` lasts one connection (a stream, or a run of Pulls) and returns
True if anything arrived, so the reconnect loop knows when to reset its
backoff. Receivers are registered by mode in ./__init__.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from backlog.v1 import backlog_pb2_grpc

from ..config import WorkerConfig
from ..logger import Logger
from ..processor import Processor


class Receiver(Protocol):
    async def session(self) -> bool: ...

    def request_stop(self) -> None:
        """Stop taking work: finish the message in hand, hand back the rest, end the session."""

    def abort(self) -> None:
        """The drain time is over: end the session now."""


@dataclass(frozen=True)
class ReceiverContext:
    stub: backlog_pb2_grpc.QueueStub
    config: WorkerConfig
    processor: Processor
    logger: Logger


ReceiverFactory = Callable[[ReceiverContext], Receiver]
