#!/usr/bin/env bash
# Installs the system tools the stack tests (test/stack) run, if they are
# missing; does nothing when all are there, so it is safe to run every time.
#
#   promtool        Debian package `prometheus`      (test: Prometheus configs, dashboard queries)
#   docker-compose  Debian package `docker-compose`  (test: the compose file)
#   rabbitmq-server Debian package `rabbitmq-server` (test/queue, the bench: a broker
#                   node each test file starts itself; the system service is not used)
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
# The harness runs this script directly (packages/harness/src/rabbitmq-server.ts);
# /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq user.
rabbitmq_server=/usr/lib/rabbitmq/bin/rabbitmq-server
[[ -x $rabbitmq_server ]] || missing_packages+=(rabbitmq-server)
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
    # Debian's postinst of rabbitmq-server (and of erlang-base, for epmd) starts
    # the system service through invoke-rc.d, and fails the install if that
    # fails (as it can in a container without an init). The tests start their
    # own nodes, so a policy-rc.d that forbids every start (status 101) is put
    # in place for the install unless one is there already.
    policy=/usr/sbin/policy-rc.d
    own_policy=
    if [[ ! -e $policy ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      own_policy=1
      trap 'rm -f "$policy"' EXIT
    fi
    # --no-install-recommends: the tests need promtool, not a running Prometheus
    # and its exporters.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
    if [[ -n $own_policy ]]; then
      rm -f "$policy"
      trap - EXIT
    fi
    # Nor should it start at the next boot.
    if [[ " ${missing_packages[*]} " == *" rabbitmq-server "* && -d /run/systemd/system ]]; then
      systemctl disable --now rabbitmq-server.service >/dev/null 2>&1 || true
    fi
  else
    echo "install-test-deps: missing Debian packages: ${missing_packages[*]}" >&2
    echo "  install them with: sudo apt-get install --no-install-recommends ${missing_packages[*]}" >&2
    if [[ " ${missing_packages[*]} " == *" rabbitmq-server "* ]]; then
      echo "  (the tests start RabbitMQ nodes of their own; the system service the package starts is not needed:" >&2
      echo "   sudo systemctl disable --now rabbitmq-server)" >&2
    fi
  fi
fi

status=0
command -v promtool >/dev/null 2>&1 || { echo "install-test-deps: promtool is still missing (Debian package: prometheus)" >&2; status=1; }
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 ||
  { echo "install-test-deps: docker-compose is still missing (Debian package: docker-compose)" >&2; status=1; }
[[ -x $rabbitmq_server ]] || { echo "install-test-deps: $rabbitmq_server is still missing (Debian package: rabbitmq-server)" >&2; status=1; }
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
