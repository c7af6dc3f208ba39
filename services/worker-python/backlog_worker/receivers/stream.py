"""Mode `stream`: one Subscribe call, read with `async for`, so the next
message is asked for only after the last one is finished. grpc.aio reads
one message per iteration, and C-core frames a message (and gives its
window credit back) only when asked: everything else the sidecar sends sits
in C-core's buffers until the stream window, in bytes, is full. That window
is the only brake (queue_client.py says how large C-core makes it).

Finished messages are receipted (receipts.py) so the sidecar can count what
a dead stream loses; delivery never waits for a receipt
(services/worker/src/receivers/stream.ts).
"""

from __future__ import annotations

import grpc

from backlog.v1 import backlog_pb2

from ..errors import is_local_cancel, rpc_details
from ..metrics import ProcessOutcome
from ..processor import Ack
from .receipts import Receipts
from .receiver import ReceiverContext

# A Receipt call gives up after this long (the sidecar may be gone).
RECEIPT_DEADLINE_S = 2.0


class StreamReceiver:
    def __init__(self, ctx: ReceiverContext) -> None:
        self._ctx = ctx
        self._call: grpc.aio.UnaryStreamCall | None = None
        self._stopping = False
        self._busy = False
        self._receipts = Receipts(self._send_receipts)

    async def _send_receipts(self, ack_ids: list[str]) -> bool:
        request = backlog_pb2.ReceiptRequest(worker_id=self._ctx.config.worker_id, ack_ids=ack_ids)
        try:
            await self._ctx.stub.Receipt(request, timeout=RECEIPT_DEADLINE_S)
            return True
        except grpc.aio.AioRpcError as error:
            self._ctx.logger.debug("receipts not delivered", count=len(ack_ids), error=rpc_details(error))
            return False

    async def session(self) -> bool:
        ctx = self._ctx
        call = ctx.stub.Subscribe(backlog_pb2.SubscribeRequest(worker_id=ctx.config.worker_id))
        self._call = call
        received = False
        try:
            async for delivery in call:
                received = True
                self._busy = True
                # The next message is taken as soon as this one's receipt is queued: receipts never pace the stream.
                await ctx.processor.handle(delivery, self._receipt_for(delivery.ack_id), wait_for_ack=False)
                self._busy = False
                if self._stopping:
                    # Receipts first, so the sidecar counts the finished messages as
                    # done, not lost. Whatever is still in transit on this stream
                    # cannot be handed back: stream mode has no way to return messages.
                    await self._receipts.flush()
                    call.cancel()
                    break
        except BaseException as error:
            if not (self._stopping and is_local_cancel(error)):
                raise
        finally:
            self._busy = False
            self._call = None
            # Whatever finished before the stream ended still gets its receipt.
            await self._receipts.flush()
        if not self._stopping:
            ctx.logger.info("stream ended by the sidecar", received=received)
        return received

    def _receipt_for(self, ack_id: str) -> Ack:
        async def ack() -> ProcessOutcome:
            return "ok" if await self._receipts.add(ack_id) else "ack_lost"

        return ack

    def request_stop(self) -> None:
        self._stopping = True
        if not self._busy and self._call is not None:
            self._call.cancel()

    def abort(self) -> None:
        self._stopping = True
        if self._call is not None:
            self._call.cancel()
