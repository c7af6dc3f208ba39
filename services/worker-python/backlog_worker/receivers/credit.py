"""Mode `credit`: one Consume stream. The first message says hello with the
prefetch; each finished message is acked on the stream by its ack_id, which
returns its credit. To stop, the worker finishes the message in hand, acks it
and half-closes; the sidecar requeues everything else it had sent and ends
the stream, so nothing is lost (services/worker/src/receivers/credit.ts).

Reads and ack writes overlap the work. A read or a write on a grpc.aio
stream completes through C-core's completion queue, a hand-over of a few
hundred microseconds here; awaited one after the other between messages,
they kept the worker idle about half a millisecond per message whatever its
prefetch. So the next read is asked for as soon as a message arrives (C-core
hands it over while this one is worked on; it is in the client backlog
either way), and an ack is queued, not awaited. C-core takes one write at a
time: acks made while one is on its way share the next ConsumeAck
(receipts.py batches them as it does stream mode's receipts; the TypeScript
worker sends the acks of one event-loop turn together)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import grpc

from backlog.v1 import backlog_pb2

from ..errors import is_local_cancel
from ..metrics import ProcessOutcome
from ..processor import Ack
from .receipts import Receipts
from .receiver import ReceiverContext


class CreditReceiver:
    def __init__(self, ctx: ReceiverContext) -> None:
        self._ctx = ctx
        self._call: grpc.aio.StreamStreamCall | None = None
        self._stopping = False
        self._busy = False
        self._half_closed = False
        self._closing: asyncio.Future[None] | None = None
        self._acks: Receipts | None = None

    def _half_close(self) -> None:
        """Marks the stream half-closed at once (so nothing more is taken) and sends the half-close after the acks made so far."""
        call = self._call
        if call is not None and not self._half_closed:
            self._half_closed = True
            self._closing = asyncio.ensure_future(self._done_writing(call, self._acks))

    @staticmethod
    async def _done_writing(call: grpc.aio.StreamStreamCall, acks: Receipts | None) -> None:
        try:
            if acks is not None:
                await acks.flush()
            await call.done_writing()
        except (grpc.aio.AioRpcError, asyncio.CancelledError):
            pass  # the stream ended first: the session loop sees how

    async def session(self) -> bool:
        ctx = self._ctx
        call = ctx.stub.Consume()
        self._call = call
        self._half_closed = False
        acks = Receipts(lambda ack_ids: self._write_acks(call, ack_ids))
        self._acks = acks
        hello = backlog_pb2.Hello(worker_id=ctx.config.worker_id, prefetch=ctx.config.prefetch)
        received = False
        # Reads are asked for one message ahead (see above).
        reading = asyncio.ensure_future(call.read())
        try:
            await call.write(backlog_pb2.ConsumeRequest(hello=hello))
            if self._stopping:
                self._half_close()
            while True:
                delivery = await reading
                if delivery is grpc.aio.EOF:
                    break
                # The next read is asked for now: C-core hands that message over while this one is worked on.
                reading = asyncio.ensure_future(call.read())
                received = True
                # After the half-close the sidecar takes back whatever else it sent.
                if self._half_closed:
                    continue
                self._busy = True
                await ctx.processor.handle(delivery, self._ack_for(call, acks, delivery.ack_id), wait_for_ack=False)
                self._busy = False
                if self._stopping:
                    self._half_close()
        except BaseException as error:
            if not (self._stopping and is_local_cancel(error)):
                raise
        finally:
            self._busy = False
            self._call = None
            self._acks = None
            # A read still on its way only when the loop failed: cancelling it cancels the call.
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
            # Every ack made gets its answer (written, or failed with the stream) before the session ends.
            await acks.flush()
            if self._closing is not None:
                await self._closing
                self._closing = None
        if not self._stopping:
            ctx.logger.info("consume stream ended by the sidecar", received=received)
        return received

    @staticmethod
    async def _write_acks(call: grpc.aio.StreamStreamCall, ack_ids: list[str]) -> bool:
        try:
            await call.write(backlog_pb2.ConsumeRequest(ack=backlog_pb2.ConsumeAck(ack_ids=ack_ids)))
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, asyncio.CancelledError):
            return False
        return True

    def _ack_for(self, call: grpc.aio.StreamStreamCall, acks: Receipts, ack_id: str) -> Ack:
        def ack() -> Awaitable[ProcessOutcome]:
            # Queued now, while the stream is still open to acks; answered once written.
            written = None if call.done() or self._half_closed else acks.add(ack_id)

            async def outcome() -> ProcessOutcome:
                return "ok" if written is not None and await written else "ack_lost"

            return outcome()

        return ack

    def request_stop(self) -> None:
        self._stopping = True
        if not self._busy:
            self._half_close()

    def abort(self) -> None:
        self._stopping = True
        if self._call is not None:
            self._call.cancel()
