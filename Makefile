# gRPC backlog lab. `make help` lists the targets.
#
# Settings first; override any of them on the command line (make scale N=5).
# Image versions and ports come from .env, the one place they are pinned.

SHELL := /bin/bash
.DEFAULT_GOAL := help

env = $(shell sed -n 's/^$(1)=//p' .env)

# Extra flags for `make experiment` and `make bench`, e.g. ARGS="--quick".
ARGS ?=
# Workers after `make scale`.
N ?= 5
# `make soak`: seconds, producer msg/s, workers.
DURATION ?= 120
RATE ?= 3000
SOAK_WORKERS ?= 50
# Service for `make logs` (empty: all).
SERVICE ?=
# Compose v2 if the docker CLI has it, else docker-compose 1.29 (Debian).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo 'docker compose' || echo docker-compose)
DOCKER ?= docker
KUBECTL ?= kubectl
# Registry to push images to and pull them from in Kubernetes, e.g.
# registry.example.com/me; empty: images stay local (kind/minikube image load).
REGISTRY ?=
NODE_IMAGE ?= $(call env,NODE_IMAGE)
IMAGE_PREFIX ?= $(call env,LAB_IMAGE_PREFIX)
IMAGE_TAG ?= $(call env,LAB_IMAGE_TAG)
GRAFANA_PORT ?= $(call env,GRAFANA_PORT)
PROMETHEUS_PORT ?= $(call env,PROMETHEUS_PORT)
TEMPO_PORT ?= $(call env,TEMPO_PORT)
SIDECAR_GRPC_HOST_PORT ?= $(call env,SIDECAR_GRPC_HOST_PORT)
# Kustomization `make k8s-apply` applies: deploy/k8s-overlays/keda or
# deploy/k8s-overlays/hpa let an autoscaler run the workers (docs/autoscaling.md).
K8S_DIR ?= deploy/k8s
K8S_NAMESPACE := backlog-lab
# QUEUE=rabbitmq: RabbitMQ behind the sidecar (docs/rabbitmq.md) for every
# compose and k8s target, e.g. `make up QUEUE=rabbitmq`. The sidecars get a
# free host port each, so `--scale sidecar=N` works.
QUEUE ?= memory
ifeq ($(QUEUE),rabbitmq)
override COMPOSE += -f docker-compose.yml -f docker-compose.rabbitmq.yml
export SIDECAR_GRPC_HOST_PORT :=
export SIDECAR_METRICS_HOST_PORT :=
K8S_DIR := deploy/k8s-rabbitmq
endif
# TOPOLOGY=per-pod: a sidecar in every worker pod, RabbitMQ as their queue
# (deploy/k8s-per-pod; docs/rabbitmq.md#topologies), for k8s-apply and
# k8s-delete; `make lab TOPOLOGY=per-pod QUEUE=rabbitmq` for local processes.
# Compose has no pods to put a pair in (docs/rabbitmq.md says why).
TOPOLOGY ?= shared
ifeq ($(TOPOLOGY),per-pod)
K8S_DIR := deploy/k8s-per-pod
endif

IMAGE_BASE := $(if $(REGISTRY),$(REGISTRY)/,)$(IMAGE_PREFIX)
SERVICES := sidecar worker

# $(call need-docker): stop with a clear message if Docker or Compose is missing.
define need-docker
	@command -v $(DOCKER) >/dev/null 2>&1 || { echo "make $@: needs Docker, which is not installed (Debian: apt-get install docker.io docker-compose)." >&2; exit 1; }
	@$(DOCKER) info >/dev/null 2>&1 || { echo "make $@: Docker is installed but its daemon is not reachable (start dockerd, or check DOCKER_HOST)." >&2; exit 1; }
	@$(COMPOSE) version >/dev/null 2>&1 || { echo "make $@: needs Docker Compose: the 'docker compose' plugin or docker-compose (Debian: apt-get install docker-compose)." >&2; exit 1; }
endef

define need-kubectl
	@command -v $(KUBECTL) >/dev/null 2>&1 || { echo "make $@: needs kubectl (1.24 or later, for kustomize v4+), which is not installed." >&2; exit 1; }
endef

.PHONY: help
help: ## Show this list
	@awk 'BEGIN { FS = ":.*## " } /^[a-z0-9-]+:.*## / { printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: up
up: ## Build and start the lab in Docker (sidecar, workers, Prometheus, Tempo, Grafana)
	$(need-docker)
	$(COMPOSE) up -d --build
	@echo
	@echo "  Grafana     http://127.0.0.1:$(GRAFANA_PORT)/d/backlog-lab"
	@echo "  Prometheus  http://127.0.0.1:$(PROMETHEUS_PORT)/targets"
	@echo "  Tempo       http://127.0.0.1:$(TEMPO_PORT)/ready"
	@echo "  Sidecar     $(if $(SIDECAR_GRPC_HOST_PORT),127.0.0.1:$(SIDECAR_GRPC_HOST_PORT) (gRPC),$$($(COMPOSE) port sidecar 50051) (gRPC; RabbitMQ UI http://127.0.0.1:$(call env,RABBITMQ_MANAGEMENT_PORT)))"
	@echo
	@echo "  make scale N=5    more workers     make logs SERVICE=worker    make down"

.PHONY: down
down: ## Stop the lab and remove its containers (data volumes stay; add -v by hand to drop them)
	$(need-docker)
	$(COMPOSE) down --remove-orphans

.PHONY: scale
scale: ## Run N workers (make scale N=5); Prometheus finds new ones within 10 s
	$(need-docker)
	$(COMPOSE) up -d --no-recreate --scale worker=$(N) worker

.PHONY: ps
ps: ## List the lab's containers and their health
	$(need-docker)
	$(COMPOSE) ps

.PHONY: logs
logs: ## Follow the logs (make logs SERVICE=sidecar for one service)
	$(need-docker)
	$(COMPOSE) logs -f --tail=100 $(SERVICE)

.PHONY: lab
lab: ## Run the sidecar and workers as local processes, without Docker (QUEUE=rabbitmq SIDECARS=2 or TOPOLOGY=per-pod)
	npm run lab

.PHONY: test
test: ## Install the tools the tests need, then npm ci and npm test (lint + every test)
	tools/install-test-deps.sh
	npm ci
	npm test

.PHONY: lint
lint: ## ESLint and the TypeScript type check
	npm run lint

.PHONY: proto
proto: ## Regenerate the TypeScript types from proto/
	npm run proto

.PHONY: experiment
experiment: ## Replay the scenarios in every mode and write reports/<run>/ (ARGS="--quick --scenario hoard")
	npm run experiment -- $(ARGS)

.PHONY: bench
bench: ## Run the benchmarks against bare grpc-js (ARGS="--quick")
	npm run bench -- $(ARGS)

.PHONY: soak
soak: ## Soak test: 50 zero-delay workers, producer at thousands of msg/s (DURATION=120 RATE=3000)
	npm run soak -- --duration $(DURATION) --rate $(RATE) --workers $(SOAK_WORKERS)

.PHONY: images
images: ## Build the sidecar and worker images (backlog-lab/<service>:dev; REGISTRY=... prefixes the names)
	@command -v $(DOCKER) >/dev/null 2>&1 || { echo "make $@: needs Docker, which is not installed (Debian: apt-get install docker.io)." >&2; exit 1; }
	@$(DOCKER) info >/dev/null 2>&1 || { echo "make $@: Docker is installed but its daemon is not reachable." >&2; exit 1; }
	@set -e; for service in $(SERVICES); do \
	  echo "building $(IMAGE_BASE)/$$service:$(IMAGE_TAG)"; \
	  $(DOCKER) build --target $$service --build-arg NODE_IMAGE=$(NODE_IMAGE) \
	    -t $(IMAGE_BASE)/$$service:$(IMAGE_TAG) .; \
	done

.PHONY: push
push: images ## Push the images to REGISTRY (make push REGISTRY=registry.example.com/me)
	@test -n "$(REGISTRY)" || { echo "make $@: set REGISTRY, e.g. make push REGISTRY=registry.example.com/me" >&2; exit 1; }
	@set -e; for service in $(SERVICES); do $(DOCKER) push $(IMAGE_BASE)/$$service:$(IMAGE_TAG); done

.PHONY: k8s-apply
k8s-apply: ## Deploy to the current kubectl context (images: see docs/stack.md; REGISTRY=... to pull from a registry)
	$(need-kubectl)
ifeq ($(REGISTRY),)
	$(KUBECTL) apply -k $(K8S_DIR)
else
	@# A throwaway overlay renames the images for this apply; nothing in the repository changes.
	@# (kustomize takes only relative paths to other kustomizations.)
	@set -e; overlay=$$(mktemp -d); trap 'rm -rf "$$overlay"' EXIT; \
	  base=$$(realpath --relative-to="$$overlay" $(K8S_DIR)); \
	  printf '%s\n' 'apiVersion: kustomize.config.k8s.io/v1beta1' 'kind: Kustomization' \
	    "resources: [\"$$base\"]" 'images:' \
	    '  - {name: backlog-lab/sidecar, newName: "$(IMAGE_BASE)/sidecar", newTag: "$(IMAGE_TAG)"}' \
	    '  - {name: backlog-lab/worker, newName: "$(IMAGE_BASE)/worker", newTag: "$(IMAGE_TAG)"}' \
	    >"$$overlay/kustomization.yaml"; \
	  $(KUBECTL) apply -k "$$overlay"
endif
	@echo
	@echo "  $(KUBECTL) -n $(K8S_NAMESPACE) rollout status deploy/worker"
	@echo "  $(KUBECTL) -n $(K8S_NAMESPACE) port-forward svc/grafana 3000:3000   then http://127.0.0.1:3000/d/backlog-lab"
	@echo "  $(KUBECTL) -n $(K8S_NAMESPACE) scale deploy/worker --replicas=5"

.PHONY: k8s-delete
k8s-delete: ## Remove everything k8s-apply created (the whole backlog-lab namespace)
	$(need-kubectl)
	$(KUBECTL) delete -k $(K8S_DIR) --ignore-not-found
