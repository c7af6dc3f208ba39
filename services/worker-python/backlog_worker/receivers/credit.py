"""Mode `credit`: one Consume stream. The first message says hello with the
prefetch; each finished message is acked on the stream by its ack_id, which
returns its credit. To stop, the worker finishes the message in hand, acks it
and half-closes; the sidecar requeues everything else it had sent and ends
the stream, so nothing is lost (services/worker/src/receivers/credit.ts)."""

from __future__ import annotations

import asyncio

import grpc

from backlog.v1 import backlog_pb2

from ..errors import is_local_cancel
from ..metrics import ProcessOutcome
from ..processor import Ack
from .receiver import ReceiverContext


class CreditReceiver:
    def __init__(self, ctx: ReceiverContext) -> None:
        self._ctx = ctx
        self._call: grpc.aio.StreamStreamCall | None = None
        self._stopping = False
        self._busy = False
        self._half_closed = False
        self._closing: asyncio.Future[None] | None = None

    def _half_close(self) -> None:
        """Marks the stream half-closed at once (so nothing more is taken) and sends the half-close."""
        call = self._call
        if call is not None and not self._half_closed:
            self._half_closed = True
            self._closing = asyncio.ensure_future(self._done_writing(call))

    @staticmethod
    async def _done_writing(call: grpc.aio.StreamStreamCall) -> None:
        try:
            await call.done_writing()
        except (grpc.aio.AioRpcError, asyncio.CancelledError):
            pass  # the stream ended first: the session loop sees how

    async def session(self) -> bool:
        ctx = self._ctx
        call = ctx.stub.Consume()
        self._call = call
        self._half_closed = False
        hello = backlog_pb2.Hello(worker_id=ctx.config.worker_id, prefetch=ctx.config.prefetch)
        received = False
        try:
            await call.write(backlog_pb2.ConsumeRequest(hello=hello))
            if self._stopping:
                self._half_close()
            while True:
                delivery = await call.read()
                if delivery is grpc.aio.EOF:
                    break
                received = True
                # After the half-close the sidecar takes back whatever else it sent.
                if self._half_closed:
                    continue
                self._busy = True
                await ctx.processor.handle(delivery, self._ack_for(call, delivery.ack_id))
                self._busy = False
                if self._stopping:
                    self._half_close()
        except BaseException as error:
            if not (self._stopping and is_local_cancel(error)):
                raise
        finally:
            self._busy = False
            self._call = None
            if self._closing is not None:
                await self._closing
                self._closing = None
        if not self._stopping:
            ctx.logger.info("consume stream ended by the sidecar", received=received)
        return received

    def _ack_for(self, call: grpc.aio.StreamStreamCall, ack_id: str) -> Ack:
        async def ack() -> ProcessOutcome:
            if call.done() or self._half_closed:
                return "ack_lost"
            try:
                await call.write(backlog_pb2.ConsumeRequest(ack=backlog_pb2.ConsumeAck(ack_ids=[ack_id])))
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError, asyncio.CancelledError):
                return "ack_lost"
            return "ok"

        return ack

    def request_stop(self) -> None:
        self._stopping = True
        if not self._busy:
            self._half_close()

    def abort(self) -> None:
        self._stopping = True
        if self._call is not None:
            self._call.cancel()
