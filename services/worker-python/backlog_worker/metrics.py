"""Every Prometheus metric the worker exports, named, labelled, bucketed and
described exactly as the TypeScript worker's (services/worker/src/metrics.ts),
so every dashboard panel and PromQL example works for either stack.

Each series carries `worker_id` and `mode`, as prom-client's default labels
do there: the metrics live in an inner registry and one collector adds the
two labels to every sample on the way out, the process and Python runtime
series included. Histograms have no exemplars: this worker has no traces.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from .config import DeliveryMode

ProcessOutcome = Literal["ok", "ack_lost"]

# LATENCY_BUCKETS_SECONDS of packages/common/src/metrics-http.ts: 1 ms to 500 s (a stream backlog reaches minutes).
LATENCY_BUCKETS_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500)

# The window of worker_client_backlog_max_seconds.
BACKLOG_MAX_WINDOW_S = 60

PRIORITY_NAMES = ("low", "normal", "high")


def priority_name(priority: int) -> str:
    return PRIORITY_NAMES[priority] if 0 <= priority < len(PRIORITY_NAMES) else "low"


class WindowMax:
    """The largest value observed in the last `window_s` seconds: one slot per
    second, so an observation is O(1) and a read O(window). Observed on the
    event loop, read by the metrics thread: a lock keeps a slot whole."""

    def __init__(self, window_s: int, now_s: Callable[[], int] = lambda: math.floor(time.time())) -> None:
        self._window = window_s
        self._now = now_s
        self._maxes = [0.0] * window_s
        self._seconds = [-1] * window_s
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        now = self._now()
        slot = now % self._window
        with self._lock:
            if self._seconds[slot] != now:
                self._seconds[slot] = now
                self._maxes[slot] = value
            elif value > self._maxes[slot]:
                self._maxes[slot] = value

    def read(self) -> float:
        now = self._now()
        with self._lock:
            return max([m for m, s in zip(self._maxes, self._seconds) if now - s < self._window] or [0.0])


class _WithLabels(Collector):
    """Collects an inner registry and adds constant labels to every sample.
    Drops the `_created` series prometheus_client adds to counters and
    histograms: prom-client has none, and the two workers' series must match."""

    def __init__(self, inner: CollectorRegistry, labels: Mapping[str, str]) -> None:
        self._inner = inner
        self._labels = dict(labels)

    def collect(self) -> Iterator[Metric]:
        for family in self._inner.collect():
            out = Metric(family.name, family.documentation, family.type, family.unit)
            out.samples = [
                s._replace(labels={**self._labels, **s.labels})
                for s in family.samples
                if not (family.type in ("counter", "histogram") and s.name.endswith("_created"))
            ]
            yield out


class WorkerMetrics:
    def __init__(self, worker_id: str, mode: DeliveryMode, stack: str, grpc_version: str) -> None:
        inner = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=inner)
        PlatformCollector(registry=inner)
        GCCollector(registry=inner)
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_WithLabels(inner, {"worker_id": worker_id, "mode": mode}))

        Gauge(
            "worker_info",
            "The worker's client stack (grpc-js or c-core) and gRPC library version; always 1.",
            ["stack", "grpc_version"],
            registry=inner,
        ).labels(stack=stack, grpc_version=grpc_version).set(1)
        self._backlog_max = WindowMax(BACKLOG_MAX_WINDOW_S)
        Gauge(
            "worker_client_backlog_max_seconds",
            f"The longest client backlog (dispatch to start of processing) of any message started in the last {BACKLOG_MAX_WINDOW_S} s: a real maximum, unlike a histogram quantile.",
            registry=inner,
        ).set_function(self._backlog_max.read)
        self._started = Counter(
            "worker_messages_started_total",
            "Messages this worker began processing (left the client backlog).",
            registry=inner,
        )
        self._processed = Counter(
            "worker_messages_processed_total",
            "Messages finished; outcome ack_lost means the ack could not be delivered or came too late, so the sidecar will redeliver.",
            ["outcome"],
            registry=inner,
        )
        self._backlog = Histogram(
            "worker_client_backlog_seconds",
            "Time from the sidecar's dispatch to the start of processing: the time in the client backlog (worker clock minus sidecar clock).",
            ["priority"],
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=inner,
        )
        self._processing = Histogram(
            "worker_processing_seconds",
            "Time spent processing one message.",
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=inner,
        )
        self._end_to_end = Histogram(
            "worker_end_to_end_seconds",
            "Time from publish to the end of processing (worker clock minus sidecar clock).",
            ["priority"],
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=inner,
        )
        self._busy = Gauge("worker_busy", "1 while a message is being processed.", registry=inner)
        self._connected = Gauge("worker_connected", "1 while the worker has a live connection to the sidecar.", registry=inner)
        self._busy.set(0)
        self._connected.set(0)
        self._processed.labels(outcome="ok")

    def started(self, priority: int, backlog_seconds: float) -> None:
        self._started.inc()
        self._backlog_max.observe(backlog_seconds)
        self._backlog.labels(priority=priority_name(priority)).observe(backlog_seconds)

    def processed(self, outcome: ProcessOutcome, priority: int, processing_seconds: float, end_to_end_seconds: float) -> None:
        self._processed.labels(outcome=outcome).inc()
        self._processing.observe(processing_seconds)
        self._end_to_end.labels(priority=priority_name(priority)).observe(end_to_end_seconds)

    def set_busy(self, busy: bool) -> None:
        self._busy.set(1 if busy else 0)

    def set_connected(self, connected: bool) -> None:
        self._connected.set(1 if connected else 0)
