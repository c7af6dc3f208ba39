"""grpc.health.v1 on the worker's health port: SERVING while the channel to
the sidecar is READY, NOT_SERVING otherwise and from the start of shutdown.
Debian has no grpcio-health-checking, so this is the small servicer over
stubs generated from the health proto grpc-health-check ships (npm run proto).
It answers as grpc-health-check's HealthImplementation does: Check, Watch
(the current status, then every change) and List, for the '' service only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from health.v1 import health_pb2, health_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


class HealthService(health_pb2_grpc.HealthServicer):
    def __init__(self) -> None:
        self._statuses: dict[str, int] = {"": NOT_SERVING}
        self._watchers: set[asyncio.Queue[int]] = set()

    def set_serving(self, serving: bool) -> None:
        status = SERVING if serving else NOT_SERVING
        if self._statuses[""] == status:
            return
        self._statuses[""] = status
        for queue in self._watchers:
            queue.put_nowait(status)

    async def Check(self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext) -> health_pb2.HealthCheckResponse:  # noqa: N802
        status = self._statuses.get(request.service)
        if status is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Health status unknown for service {request.service}")
        return health_pb2.HealthCheckResponse(status=status)

    async def Watch(self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[health_pb2.HealthCheckResponse]:  # noqa: N802
        if request.service not in self._statuses:
            yield health_pb2.HealthCheckResponse(status=SERVICE_UNKNOWN)
            return
        queue: asyncio.Queue[int] = asyncio.Queue()
        self._watchers.add(queue)
        try:
            yield health_pb2.HealthCheckResponse(status=self._statuses[request.service])
            while True:
                yield health_pb2.HealthCheckResponse(status=await queue.get())
        finally:
            self._watchers.discard(queue)

    async def List(self, request: health_pb2.HealthListRequest, context: grpc.aio.ServicerContext) -> health_pb2.HealthListResponse:  # noqa: N802
        return health_pb2.HealthListResponse(
            statuses={name: health_pb2.HealthCheckResponse(status=status) for name, status in self._statuses.items()}
        )


class HealthServer:
    def __init__(self, service: HealthService, host: str, port: int) -> None:
        self._host = host
        self._port = port
        # No SO_REUSEPORT (C-core's default for servers): a port already in
        # use must fail here, as it does for the TS worker, not be shared.
        self._server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(service, self._server)

    async def start(self) -> int:
        """Binds and serves; returns the port bound."""
        try:
            port = self._server.add_insecure_port(f"{self._host}:{self._port}")
        except RuntimeError as error:
            raise RuntimeError(f"cannot listen for health checks on {self._host}:{self._port} ({error}): is the port in use?") from None
        await self._server.start()
        return int(port)

    async def stop(self) -> None:
        await self._server.stop(grace=None)
