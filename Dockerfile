# Images for both services, one target each, and the Python worker:
#
#   docker build --target sidecar       -t backlog-lab/sidecar:dev .
#   docker build --target worker        -t backlog-lab/worker:dev  .
#   docker build --target worker-python -t backlog-lab/worker-python:dev .
#
# One file rather than one per service because both need the same things from
# the repository root (the lockfile, proto/, packages/common) and differ only
# in their src/ folder, start command and health port; two copies of this
# recipe would drift. Node 24 runs the .ts sources directly (type stripping),
# so there is no build stage: the final images hold production dependencies,
# the proto and the sources, and nothing that compiles or installs.
#
# No `# syntax=` line and no RUN --mount: the file must build with the classic
# builder too (docker-compose 1.29 uses it) and without reaching a registry
# for a BuildKit frontend.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- package manifests only, so editing sources does not redo `npm ci` ----
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/common/package.json packages/common/
COPY packages/harness/package.json packages/harness/
COPY services/sidecar/package.json services/sidecar/
COPY services/worker/package.json services/worker/

# ---- production dependencies of one workspace (and of packages/common) ----
# --ignore-scripts: no dependency needs an install script (package.json's
# allowScripts already refuses protobufjs's); the nested node_modules folders
# are created so the COPY lines below never depend on npm's hoisting choices.
FROM manifests AS sidecar-deps
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w services/sidecar \
 && mkdir -p packages/common/node_modules services/sidecar/node_modules \
 && npm cache clean --force

FROM manifests AS worker-deps
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w services/worker \
 && mkdir -p packages/common/node_modules services/worker/node_modules \
 && npm cache clean --force

# ---- what both images share: Node, the contract and the common package ----
FROM ${NODE_IMAGE} AS runtime
# The services need node and nothing else from the base image: drop the
# package managers so the image cannot install anything at run time.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY proto/ proto/
COPY packages/common/package.json packages/common/
COPY packages/common/src/ packages/common/src/

# ---- sidecar ----
FROM runtime AS sidecar
COPY --from=sidecar-deps /app/node_modules/ node_modules/
COPY --from=sidecar-deps /app/packages/common/node_modules/ packages/common/node_modules/
COPY --from=sidecar-deps /app/services/sidecar/node_modules/ services/sidecar/node_modules/
COPY services/sidecar/package.json services/sidecar/
COPY services/sidecar/src/ services/sidecar/src/
WORKDIR /app/services/sidecar
ENV SIDECAR_GRPC_PORT=50051 SIDECAR_METRICS_PORT=9464 OTEL_SERVICE_NAME=sidecar
EXPOSE 50051 9464
USER node
# Asks grpc.health.v1 (not a TCP poke): SERVING only once the server is up,
# NOT_SERVING as soon as shutdown starts. Over TLS when the sidecar serves TLS.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD node /app/packages/common/src/health-probe.ts ${SIDECAR_TLS_CERT_FILE:+--tls} "127.0.0.1:${SIDECAR_GRPC_PORT}" >/dev/null || exit 1
# Exec form: node is PID 1 and gets SIGTERM itself, so the drain in main.ts runs.
CMD ["node", "--import", "./src/telemetry.ts", "src/main.ts"]

# ---- worker ----
FROM runtime AS worker
COPY --from=worker-deps /app/node_modules/ node_modules/
COPY --from=worker-deps /app/packages/common/node_modules/ packages/common/node_modules/
COPY --from=worker-deps /app/services/worker/node_modules/ services/worker/node_modules/
COPY services/worker/package.json services/worker/
COPY services/worker/src/ services/worker/src/
WORKDIR /app/services/worker
ENV WORKER_HEALTH_PORT=50052 WORKER_METRICS_PORT=9464 OTEL_SERVICE_NAME=worker
EXPOSE 50052 9464
USER node
# SERVING only while the worker is connected to the sidecar.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD node /app/packages/common/src/health-probe.ts "127.0.0.1:${WORKER_HEALTH_PORT}" >/dev/null || exit 1
CMD ["node", "--import", "./src/telemetry.ts", "src/main.ts"]

# ---- worker-python: the same worker on gRPC C-core ----
# Debian and its packages only (python3-grpcio 1.51, the proof of concept's
# stack; no PyPI). The stubs are the committed ones (npm run proto), so
# nothing is generated here. No Node in this image.
FROM ${DEBIAN_IMAGE} AS worker-python
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-grpcio python3-protobuf python3-prometheus-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --user-group --no-create-home --shell /usr/sbin/nologin worker
# The root filesystem is read-only in compose and Kubernetes: no bytecode
# files, and output goes straight to the log.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    WORKER_HEALTH_PORT=50052 WORKER_METRICS_PORT=9464
WORKDIR /app
COPY services/worker-python/main.py services/worker-python/health_probe.py ./
COPY services/worker-python/backlog_worker/ backlog_worker/
COPY services/worker-python/generated/ generated/
EXPOSE 50052 9464
USER worker
# SERVING only while the worker is connected to the sidecar.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD python3 /app/health_probe.py "127.0.0.1:${WORKER_HEALTH_PORT}" >/dev/null || exit 1
# Exec form: python is PID 1 and gets SIGTERM itself, so the drain in main.py runs.
CMD ["python3", "-B", "main.py"]
