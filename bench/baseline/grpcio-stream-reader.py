"""Baseline stream client on gRPC C-core (Debian's python3-grpcio): one
Subscribe call, read as fast as grpcio delivers, doing nothing with each
message but count it. The Python counterpart of stream-reader.ts, with the
same stdout protocol, so the bench times it the same way:

  {"msg":"subscribed","worker_id":ID}
  {"msg":"idle","worker_id":ID,"count":N,"last_at_ms":T}   once the stream
      has been idle for IDLE_MS, with the wall-clock time of the last message
  "reset" on stdin cancels the call and subscribes again.

It imports nothing of the lab but the stubs generated from the contract.

  /usr/bin/python3 bench/baseline/grpcio-stream-reader.py <host:port> <worker-id>
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services/worker-python/generated"))

import grpc  # noqa: E402

from backlog.v1 import backlog_pb2, backlog_pb2_grpc  # noqa: E402

IDLE_MS = 100
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def report(record: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class Reader:
    def __init__(self, address: str, worker_id: str) -> None:
        self._worker_id = worker_id
        channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)])
        self._stub = backlog_pb2_grpc.QueueStub(channel)
        self._lock = threading.Lock()
        self._call: grpc.Call | None = None
        self.count = 0
        self.last_at_ms = 0.0

    def subscribe(self) -> None:
        call = self._stub.Subscribe(backlog_pb2.SubscribeRequest(worker_id=self._worker_id))
        with self._lock:
            self._call = call
            self.count = 0
        report({"msg": "subscribed", "worker_id": self._worker_id})
        threading.Thread(target=self._read, args=(call,), daemon=True).start()

    def _read(self, call: grpc.Call) -> None:
        try:
            for _ in call:  # type: ignore[attr-defined]
                with self._lock:
                    if call is not self._call:
                        return
                    self.count += 1
                    self.last_at_ms = time.time() * 1000
        except grpc.RpcError as error:
            if call is self._call and error.code() != grpc.StatusCode.CANCELLED:  # type: ignore[attr-defined]
                report({"msg": "stream error", "code": error.code().value[0], "details": error.details()})  # type: ignore[attr-defined]

    def reset(self) -> None:
        with self._lock:
            old, self._call = self._call, None
        if old is not None:
            old.cancel()  # type: ignore[attr-defined]
        self.subscribe()


def main() -> None:
    if len(sys.argv) != 3:
        sys.stderr.write("usage: grpcio-stream-reader.py <host:port> <worker-id>\n")
        sys.exit(2)
    address, worker_id = sys.argv[1], sys.argv[2]
    reader = Reader(address, worker_id)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def watch_idle() -> None:
        reported = 0
        while True:
            time.sleep(0.025)
            with reader._lock:  # noqa: SLF001 (one small program)
                count, last = reader.count, reader.last_at_ms
            if count != reported and time.time() * 1000 - last >= IDLE_MS:
                reported = count
                report({"msg": "idle", "worker_id": worker_id, "count": count, "last_at_ms": last})
            elif count < reported:
                reported = count

    threading.Thread(target=watch_idle, daemon=True).start()
    reader.subscribe()
    for line in sys.stdin:
        if line.strip() == "reset":
            reader.reset()
    sys.exit(0)


if __name__ == "__main__":
    main()
