"""Entry point of the Python (C-core) worker: config, logger, worker, signals.
Everything else is wired in backlog_worker/worker.py (services/worker/src/main.ts).

    /usr/bin/python3 -B services/worker-python/main.py

The generated stubs (npm run proto) go on sys.path here, the one place, so
`from backlog.v1 import backlog_pb2` works as protoc wrote it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "generated"))

from backlog_worker.config import WorkerConfig, load_worker_config  # noqa: E402
from backlog_worker.env import load_config_or_exit  # noqa: E402
from backlog_worker.logger import Logger  # noqa: E402
from backlog_worker.ready import announce_ready  # noqa: E402
from backlog_worker.worker import Worker, WorkerRefused  # noqa: E402


async def run(config: WorkerConfig) -> int:
    """Runs the worker until a signal stops it (0, or 1 if the stop failed) or the sidecar refuses it."""
    logger = Logger("worker", config.log_level)
    worker = Worker(config, logger)
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[int] = loop.create_future()
    stopping = False

    def on_signal(name: str) -> None:
        nonlocal stopping
        if stopping:
            logger.warn("second signal: exiting now", signal=name)
            os._exit(130)
        stopping = True
        logger.info("shutting down", signal=name)

        def finished(task: asyncio.Task[None]) -> None:
            error = task.exception()
            if error is not None:
                logger.error("shutdown failed", error=str(error))
            stopped.set_result(0 if error is None else 1)

        asyncio.ensure_future(worker.stop()).add_done_callback(finished)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig.name)

    try:
        metrics_port, health_port = await worker.start()
        announce_ready(config.ready_fd, {"metrics_port": metrics_port, "health_port": health_port})
        either: list[asyncio.Future[Any]] = [worker.fatal, stopped]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if worker.fatal.done():
            worker.fatal.result()
        return await stopped
    except Exception as error:
        logger.error("worker cannot run", error=str(error))
        await worker.stop()
        return error.exit_code if isinstance(error, WorkerRefused) else 1


def main() -> None:
    config = load_config_or_exit(lambda: load_worker_config(os.environ))
    code = asyncio.run(run(config))
    sys.stdout.flush()
    # As process.exit does: gRPC's threads must not hold the exit up.
    os._exit(code)


if __name__ == "__main__":
    main()
