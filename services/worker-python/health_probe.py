"""`python3 health_probe.py HOST:PORT [SERVICE]`: exits 0 when the gRPC health
service there answers SERVING, 1 otherwise; prints the status. The Python
worker image's healthcheck, so it asks the service itself rather than
poking the TCP port (packages/common/src/health-probe.ts does the same for
the Node images)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "generated"))

import grpc  # noqa: E402

from health.v1 import health_pb2, health_pb2_grpc  # noqa: E402


def check(address: str, service: str = "", timeout_s: float = 2.0) -> str:
    with grpc.insecure_channel(address) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout_s)
        except grpc.RpcError as error:
            return f"error: {error.details()}"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.stderr.write("usage: health_probe.py HOST:PORT [SERVICE]\n")
        sys.exit(2)
    status = check(args[0], args[1] if len(args) > 1 else "")
    print(status)
    sys.exit(0 if status == "SERVING" else 1)
