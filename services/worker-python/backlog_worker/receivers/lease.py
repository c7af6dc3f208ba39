"""Keeps a pulled message's lease alive while the worker works on it: an
ExtendLease call every third of the lease, so one lost call does not cost the
message. Work shorter than a third of the lease (most of it, at the default
1 s) sends none. A lease the sidecar reports lapsed is not extended again:
the message is someone else's now, and its Ack will be answered EXPIRED
(services/worker/src/receivers/lease.ts)."""

from __future__ import annotations

import asyncio

import grpc

from backlog.v1 import backlog_pb2, backlog_pb2_grpc

from ..errors import rpc_details
from ..logger import Logger


class Lease:
    def __init__(self, task: asyncio.Task[None] | None) -> None:
        self._task = task

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


def keep_lease(stub: backlog_pb2_grpc.QueueStub, worker_id: str, message: backlog_pb2.Delivery, lease_ms: int, logger: Logger) -> Lease:
    if lease_ms <= 0:
        return Lease(None)
    every_s = max(1, lease_ms // 3) / 1000
    request = backlog_pb2.ExtendLeaseRequest(worker_id=worker_id, ack_ids=[message.ack_id])
    lapsed = asyncio.Event()

    async def extend() -> None:
        try:
            response = await stub.ExtendLease(request, timeout=every_s)
        except grpc.aio.AioRpcError as error:
            logger.debug("lease not extended", message_id=message.id, error=rpc_details(error))
            return
        if response.lapsed_ack_ids and not lapsed.is_set():
            logger.warn("lease lapsed; the sidecar has requeued the message", message_id=message.id)
            lapsed.set()

    async def tick() -> None:
        # A call every third of the lease whether or not the last has been
        # answered, like the TS worker's setInterval.
        calls: set[asyncio.Task[None]] = set()
        while not lapsed.is_set():
            await asyncio.sleep(every_s)
            call = asyncio.ensure_future(extend())
            calls.add(call)
            call.add_done_callback(calls.discard)

    return Lease(asyncio.ensure_future(tick()))
