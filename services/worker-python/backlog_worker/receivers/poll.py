"""Mode `poll`: Pull one message (a long-poll that answers empty after its
timeout), process it while keeping its lease alive, Ack it by its ack_id,
repeat. The worker only asks when it has a free slot, so nothing waits in its
client backlog; and if it dies, its message is back in the queue within a
lease (services/worker/src/receivers/poll.ts)."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from backlog.v1 import backlog_pb2

from ..errors import is_local_cancel, rpc_details
from ..metrics import ProcessOutcome
from ..processor import Ack
from .lease import keep_lease
from .receiver import ReceiverContext

# Extra time the client deadline allows beyond the long-poll timeout.
DEADLINE_SLACK_MS = 5_000


class PollReceiver:
    def __init__(self, ctx: ReceiverContext) -> None:
        self._ctx = ctx
        self._stopping = False
        self._pending: grpc.aio.UnaryUnaryCall | None = None

    async def _pull(self) -> backlog_pb2.PullResponse:
        config = self._ctx.config
        call = self._ctx.stub.Pull(
            backlog_pb2.PullRequest(worker_id=config.worker_id, timeout_ms=config.poll_timeout_ms),
            timeout=(config.poll_timeout_ms + DEADLINE_SLACK_MS) / 1000,
        )
        self._pending = call
        try:
            return await call
        finally:
            self._pending = None

    def _ack_for(self, message: backlog_pb2.Delivery, stop_lease: Callable[[], None]) -> Ack:
        async def ack() -> ProcessOutcome:
            stop_lease()
            request = backlog_pb2.AckRequest(worker_id=self._ctx.config.worker_id, ack_id=message.ack_id)
            try:
                response = await self._ctx.stub.Ack(request)
            except grpc.aio.AioRpcError as error:
                self._ctx.logger.warn("ack failed", message_id=message.id, error=rpc_details(error))
                return "ack_lost"
            return "ack_lost" if response.outcome == backlog_pb2.ACK_OUTCOME_EXPIRED else "ok"

        return ack

    async def session(self) -> bool:
        ctx = self._ctx
        received = False
        while not self._stopping:
            try:
                pulled = await self._pull()
            except BaseException as error:
                if self._stopping and is_local_cancel(error):
                    break
                raise
            received = True
            if not pulled.HasField("message"):
                continue
            message = pulled.message
            lease = keep_lease(ctx.stub, ctx.config.worker_id, message, pulled.lease_ms, ctx.logger)
            try:
                await ctx.processor.handle(message, self._ack_for(message, lease.stop))
            finally:
                lease.stop()
        return received

    def request_stop(self) -> None:
        self._stopping = True
        if self._pending is not None:
            self._pending.cancel()

    def abort(self) -> None:
        self.request_stop()
