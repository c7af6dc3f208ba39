"""Processes one message: the simulated work (a delay, like the tax service's
~100 ms), then the ack through the receiver's `ack`. Records the time the
message spent in the client backlog and its outcome
(services/worker/src/processor.ts, without the spans: no traces here).

A message counts as processed (its `message processed` line and
worker_messages_processed_total) once its ack has been answered, so what the
worker reports and what the sidecar counts agree even when the worker dies
between the two. The ack is made (sent, or queued to be sent) before
`handle` returns; a receiver that must not wait for its answer before it
takes the next message (stream and credit, whose acks are batched) says so
with `wait_for_ack=False`, and the outcome is recorded when it comes."""

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
        # Outcomes still waiting for their ack's answer (kept referenced until done).
        self._pending: set[asyncio.Future[None]] = set()

    async def handle(self, delivery: backlog_pb2.Delivery, ack: Ack, wait_for_ack: bool = True) -> None:
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
        finally:
            metrics.set_busy(False)
        done_at = time.time_ns()
        # Called here, not in _record: a receiver that half-closes right after
        # `handle` returns must find this ack already made.
        outcome = ack()
        recorded = asyncio.ensure_future(self._record(delivery, outcome, started_at, done_at))
        self._pending.add(recorded)
        recorded.add_done_callback(self._pending.discard)
        if wait_for_ack:
            await recorded

    async def _record(self, delivery: backlog_pb2.Delivery, answer: Awaitable[ProcessOutcome], started_at: int, done_at: int) -> None:
        outcome = await answer
        self._metrics.processed(outcome, delivery.priority, (done_at - started_at) / 1e9, (done_at - delivery.published_at_unix_nano) / 1e9)
        if outcome != "ok":
            self._log.warn("ack not accepted; the sidecar will redeliver or count it lost", message_id=delivery.id, outcome=outcome)
        self._log.debug(
            "message processed",
            message_id=delivery.id,
            priority=delivery.priority,
            attempt=delivery.attempt,
            outcome=outcome,
            dispatched_at_unix_nano=str(delivery.dispatched_at_unix_nano),
            started_at_unix_nano=str(started_at),
            done_at_unix_nano=str(done_at),
        )
