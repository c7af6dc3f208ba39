"""Processes one message: the simulated work (a delay, like the tax service's
~100 ms), then the ack through the receiver's `ack`. Records the time the
message spent in the client backlog and its outcome
(services/worker/src/processor.ts, without the spans: no traces here)."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable

from backlog.v1 import backlog_pb2

from .logger import Logger
from .metrics import ProcessOutcome, WorkerMetrics

# Resolves to how the ack went: 'ok', or 'ack_lost' if the sidecar will redeliver.
Ack = Callable[[], Awaitable[ProcessOutcome]]


class Processor:
    def __init__(
        self,
        delay_ms: int,
        jitter_ms: int,
        metrics: WorkerMetrics,
        logger: Logger,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._delay_ms = delay_ms
        self._jitter_ms = jitter_ms
        self._metrics = metrics
        self._log = logger
        self._random = rand

    async def handle(self, delivery: backlog_pb2.Delivery, ack: Ack) -> None:
        metrics = self._metrics
        # Unix ns on both sides: worker clock minus sidecar clock, exact on one host.
        started_at = time.time_ns()
        metrics.started(delivery.priority, (started_at - delivery.dispatched_at_unix_nano) / 1e9)
        metrics.set_busy(True)
        try:
            jitter = math.floor(self._random() * (self._jitter_ms + 1)) if self._jitter_ms > 0 else 0
            delay = self._delay_ms + jitter
            if delay > 0:
                await asyncio.sleep(delay / 1000)
            done_at = time.time_ns()
            metrics.set_busy(False)
            outcome = await ack()
            metrics.processed(outcome, delivery.priority, (done_at - started_at) / 1e9, (done_at - delivery.published_at_unix_nano) / 1e9)
            if outcome != "ok":
                self._log.warn("ack not accepted; the sidecar will redeliver", message_id=delivery.id, outcome=outcome)
            self._log.debug("message processed", message_id=delivery.id, priority=delivery.priority, attempt=delivery.attempt, outcome=outcome)
        finally:
            metrics.set_busy(False)
