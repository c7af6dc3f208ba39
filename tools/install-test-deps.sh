#!/usr/bin/env bash
# Installs the system tools the stack tests (test/stack) run, if they are
# missing; does nothing when all are there, so it is safe to run every time.
#
#   promtool        Debian package `prometheus`      (test: Prometheus configs, dashboard queries)
#   docker-compose  Debian package `docker-compose`  (test: the compose file)
#   kubectl         1.24 or later (its `kubectl kustomize` is kustomize v4+)
#   /usr/bin/python3 with grpcio, protobuf and prometheus_client
#                   Debian packages python3-grpcio python3-protobuf python3-prometheus-client
#                   (the Python worker, services/worker-python, and its tests)
#   protoc, grpc_python_plugin
#                   Debian packages protobuf-compiler protobuf-compiler-grpc
#                   (npm run proto, and the test that its Python stubs are current)
#   mypy            Debian package python3-mypy (the Python worker's type check)
#
# The Python worker runs on Debian's /usr/bin/python3 and Debian's packages
# only (no PyPI): another python first on PATH is not asked.
#
# As root it uses apt-get (one `apt-get update` first); otherwise it says what
# to install. kubectl is not installed here: Debian bookworm's only kubectl
# (`kubernetes-client`, 1.20) embeds kustomize v2.0.3, which cannot build
# deploy/k8s (it cannot include the deploy/grafana and deploy/tempo bases). The
# project's machines have kubectl 1.32 preinstalled; elsewhere install it from
# your distribution or the Kubernetes release packages.
#
# Exits 1 if a tool is still missing afterwards.
set -euo pipefail

missing_packages=()
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing_packages+=(prometheus)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing_packages+=(docker-compose)
python_modules_present() { /usr/bin/python3 -c 'import grpc, google.protobuf, prometheus_client' >/dev/null 2>&1; }
if ! python_modules_present; then
  missing_packages+=(python3-grpcio python3-protobuf python3-prometheus-client)
fi
[[ -x /usr/bin/protoc ]] || missing_packages+=(protobuf-compiler)
[[ -x /usr/bin/grpc_python_plugin ]] || missing_packages+=(protobuf-compiler-grpc)
/usr/bin/python3 -c 'import mypy' >/dev/null 2>&1 || missing_packages+=(python3-mypy)

if ((${#missing_packages[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: installing ${missing_packages[*]} (Debian packages)"
    apt-get update -qq
    # --no-install-recommends: the tests need promtool, not a running Prometheus
    # and its exporters.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  else
    echo "install-test-deps: missing Debian packages: ${missing_packages[*]}" >&2
    echo "  install them with: sudo apt-get install --no-install-recommends ${missing_packages[*]}" >&2
  fi
fi

status=0
command -v promtool >/dev/null 2>&1 || { echo "install-test-deps: promtool is still missing (Debian package: prometheus)" >&2; status=1; }
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 ||
  { echo "install-test-deps: docker-compose is still missing (Debian package: docker-compose)" >&2; status=1; }
python_modules_present ||
  { echo "install-test-deps: /usr/bin/python3 cannot import grpc, google.protobuf and prometheus_client (Debian packages: python3-grpcio python3-protobuf python3-prometheus-client)" >&2; status=1; }
/usr/bin/python3 -c 'import mypy' >/dev/null 2>&1 ||
  { echo "install-test-deps: /usr/bin/python3 has no mypy (Debian package: python3-mypy)" >&2; status=1; }
for tool in protoc grpc_python_plugin; do
  [[ -x /usr/bin/$tool ]] || { echo "install-test-deps: /usr/bin/$tool is still missing (Debian packages: protobuf-compiler protobuf-compiler-grpc)" >&2; status=1; }
done

if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-test-deps: kubectl is missing; the Kubernetes test needs kubectl 1.24 or later (see the comment at the top of $0)" >&2
  status=1
else
  # kubectl >= 1.24 prints "Kustomize Version: v5.5.0"; older ones print no such line.
  kustomize_major=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
  if [[ -z $kustomize_major || $kustomize_major -lt 4 ]]; then
    echo "install-test-deps: $(command -v kubectl) is too old: deploy/k8s needs kubectl 1.24 or later (kustomize v4+)" >&2
    status=1
  fi
fi
exit $status
