"""Wires one worker: the channel to the sidecar, the receiver for its
delivery mode, the processor, metrics, and a gRPC health service that
reports SERVING while the channel is READY (services/worker/src/worker.ts).
main.py calls it with the environment's config."""

from __future__ import annotations

import asyncio
import contextlib

import grpc

from .backoff import Backoff
from .config import WorkerConfig
from .env import CONFIG_ERROR_EXIT_CODE
from .errors import describe_error
from .health import HealthServer, HealthService
from .logger import Logger
from .metrics import WorkerMetrics
from .metrics_http import MetricsServer
from .processor import Processor
from .queue_client import create_channel, create_stub
from .receivers import RECEIVERS, ReceiverContext
from .sidecar_limits import conflicts, fetch_limits

# The label value of worker_info{stack=...}, as packages/harness names the stacks.
STACK = "c-core"

# Status codes that mean "this request will never succeed", so reconnecting is pointless.
FATAL_CODES = frozenset(
    {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}
)


class WorkerRefused(Exception):
    """The sidecar refused this worker for good; exit_code 2 when the worker's own configuration is the cause."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Worker:
    """Create inside a running event loop (grpc.aio's channel and server need one)."""

    def __init__(self, config: WorkerConfig, logger: Logger) -> None:
        self._config = config
        self._log = logger.child(worker_id=config.worker_id, mode=config.mode)
        self.metrics = WorkerMetrics(config.worker_id, config.mode, STACK, grpc.__version__)
        self._channel = create_channel(config)
        stub = create_stub(self._channel)
        self._stub = stub
        processor = Processor(config.processing_delay_ms, config.processing_jitter_ms, self.metrics, self._log)
        self._receiver = RECEIVERS[config.mode](ReceiverContext(stub, config, processor, self._log))
        self._health = HealthService()
        self._health_server = HealthServer(self._health, config.health_host, config.health_port)
        self._metrics_server = MetricsServer(self.metrics.registry, config.metrics_port, config.metrics_host)
        self._stop_requested = asyncio.Event()
        self._running: asyncio.Task[None] | None = None
        self._watching: asyncio.Task[None] | None = None
        # Set with a WorkerRefused if the sidecar refuses this worker: retrying would only repeat the refusal.
        self.fatal: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def _refuse(self, message: str, exit_code: int) -> None:
        if not self.fatal.done():
            self.fatal.set_exception(WorkerRefused(message, exit_code))

    async def _receive_until_stopped(self) -> None:
        backoff = Backoff(100, 5_000)
        checked = False
        while not self._stop_requested.is_set():
            try:
                if not checked:
                    limits = await fetch_limits(self._stub)
                    problems = conflicts(self._config, limits) if limits is not None else []
                    if problems:
                        self._refuse(f"the sidecar would refuse this worker: {'; '.join(problems)}", CONFIG_ERROR_EXIT_CODE)
                        return
                    checked = True
                if await self._receiver.session():
                    backoff.reset()
            except Exception as error:
                if isinstance(error, grpc.aio.AioRpcError) and error.code() in FATAL_CODES:
                    self._refuse(f"the sidecar refused this worker: {describe_error(error)}", 1)
                    return
                self._log.warn("lost the sidecar; reconnecting", error=describe_error(error))
            if self._stop_requested.is_set():
                break
            delay = backoff.next()
            self._log.debug("reconnect backoff", delay_ms=delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), delay / 1000)

    async def _watch_connectivity(self) -> None:
        """Follows the channel in and out of READY: the worker_connected gauge and the health status."""
        while True:
            state = self._channel.get_state(try_to_connect=True)
            ready = state == grpc.ChannelConnectivity.READY
            self.metrics.set_connected(ready)
            self._health.set_serving(ready)
            await self._channel.wait_for_state_change(state)

    async def start(self) -> tuple[int, int]:
        """Binds the metrics and health ports and starts receiving; returns (metrics port, health port)."""
        config = self._config
        metrics_port = self._metrics_server.start()
        health_port = await self._health_server.start()
        self._watching = asyncio.ensure_future(self._watch_connectivity())
        self._running = asyncio.ensure_future(self._receive_until_stopped())
        self._log.info(
            "worker started",
            sidecar=config.sidecar_address,
            prefetch=config.prefetch if config.mode == "credit" else None,
            processing_delay_ms=config.processing_delay_ms,
            metrics_port=metrics_port,
            health_port=health_port,
            stack=STACK,
            bdp_probe=config.bdp_probe,
            flow_control_window=config.flow_control_window or None,
        )
        return metrics_port, health_port

    async def stop(self) -> None:
        """Finishes the message in hand, hands back the rest, closes; within the drain time."""
        self._health.set_serving(False)
        if self._watching is not None:
            self._watching.cancel()
        self._stop_requested.set()
        self._receiver.request_stop()
        if self._running is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._running), self._config.drain_ms / 1000)
            except asyncio.TimeoutError:
                self._log.warn("drain time passed; abandoning the session", drain_ms=self._config.drain_ms)
                self._receiver.abort()
                # The message in hand too: cancelling the call does not end
                # its processing, and the drain time is a promise to whoever
                # sent SIGTERM. Unacked, it goes back to the queue (credit,
                # poll) or is lost with the stream, as on any abandoned session.
                self._running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._running
        await self._channel.close()
        await self._health_server.stop()
        self._metrics_server.stop()
        self._log.info("worker stopped")
