"""The lab's worker on gRPC C-core (Debian's python3-grpcio): the same
environment, metrics, log lines and delivery modes as the TypeScript worker
in services/worker. Entry point: services/worker-python/main.py."""
