"""Stream-mode receipts, batched exactly as services/worker/src/receivers/receipts.ts:
one Receipt call at a time. A receipt goes out at once when no call is on
its way, and otherwise waits to share the next call with whatever else
finishes meanwhile (up to MAX_RECEIPT_IDS). Nothing waits on a timer, so a
worker killed between messages loses at most the receipts of one call in
flight. A receipt that cannot be delivered is not retried: the sidecar then
counts that message lost with its stream, as it would had the worker died.
Credit mode batches its acks the same way, one ConsumeAck written on the
stream at a time (credit.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# The contract: 1..1000 ack ids per Receipt (Limits.max_receipt_ids).
MAX_RECEIPT_IDS = 1000

# Sends one batch; returns whether it was answered (never raises).
SendReceipts = Callable[[list[str]], Awaitable[bool]]


class Receipts:
    def __init__(self, send: SendReceipts, max_ids: int = MAX_RECEIPT_IDS) -> None:
        self._send = send
        self._max_ids = max_ids
        self._waiting: list[tuple[str, asyncio.Future[bool]]] = []
        self._sending: asyncio.Task[None] | None = None

    def add(self, ack_id: str) -> asyncio.Future[bool]:
        """Queues a receipt; the future says whether the call that carried it was answered."""
        settled: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((ack_id, settled))
        self._next()
        return settled

    def _next(self) -> None:
        if self._sending is not None or not self._waiting:
            return
        batch = self._waiting[: self._max_ids]
        del self._waiting[: self._max_ids]
        self._sending = asyncio.ensure_future(self._send_then_next(batch))

    async def _send_then_next(self, batch: list[tuple[str, asyncio.Future[bool]]]) -> None:
        answered = False
        try:
            answered = await self._send([ack_id for ack_id, _ in batch])
        finally:
            for _, settled in batch:
                if not settled.done():
                    settled.set_result(answered)
            # Before this task completes, so flush() never sees a finished task as the current one.
            self._sending = None
            self._next()

    async def flush(self) -> None:
        """Returns once every receipt added so far has been sent and answered (or has failed)."""
        while self._sending is not None:
            await self._sending
