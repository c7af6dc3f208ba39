# gRPC backlog lab. `make help` lists the targets.
#
# Settings first; override any of them on the command line (make scale N=5).
# Image versions and ports come from .env, the one place they are pinned.

SHELL := /bin/bash
.DEFAULT_GOAL := help

env = $(shell sed -n 's/^$(1)=//p' .env)

# Extra flags for `make experiment` and `make bench`, e.g. ARGS="--quick".
ARGS ?=
# Delivery mode of every worker for `make up`, `make scale` and `make lab`
# (stream | credit | poll); empty: DELIVERY_MODE from the shell or .env.
MODE ?=
ifneq ($(MODE),)
ifeq ($(filter $(MODE),stream credit poll),)
$(error MODE must be stream, credit or poll, got '$(MODE)')
endif
export DELIVERY_MODE := $(MODE)
endif
# Workers after `make scale`; messages for `make burst`.
N ?= 5
# Priority of `make burst` (0 low, 1 normal, 2 high).
PRIORITY ?= 1
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
DEBIAN_IMAGE ?= $(call env,DEBIAN_IMAGE)
IMAGE_PREFIX ?= $(call env,LAB_IMAGE_PREFIX)
IMAGE_TAG ?= $(call env,LAB_IMAGE_TAG)
GRAFANA_PORT ?= $(call env,GRAFANA_PORT)
PROMETHEUS_PORT ?= $(call env,PROMETHEUS_PORT)
TEMPO_PORT ?= $(call env,TEMPO_PORT)
SIDECAR_GRPC_HOST_PORT ?= $(call env,SIDECAR_GRPC_HOST_PORT)
TEMPO_IMAGE ?= $(call env,TEMPO_IMAGE)
GRAFANA_IMAGE ?= $(call env,GRAFANA_IMAGE)
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
SERVICES := sidecar worker worker-python

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
up: ## Build and start the lab in Docker (sidecar, workers, Prometheus, Tempo, Grafana); MODE=credit for credit workers
	$(need-docker)
	@# Tempo and Grafana are for watching, not for the lab itself: when one's
	@# image can be neither found nor pulled (an offline machine), start the
	@# rest and say what is missing, rather than start nothing.
	@set -e; services=$$($(COMPOSE) config --services); \
	for pair in tempo=$(TEMPO_IMAGE) grafana=$(GRAFANA_IMAGE); do \
	  service=$${pair%%=*}; image=$${pair#*=}; \
	  $(DOCKER) image inspect "$$image" >/dev/null 2>&1 || $(DOCKER) pull -q "$$image" >/dev/null 2>&1 || { \
	    case $$service in tempo) cost="no traces";; *) cost="no dashboards: query Prometheus instead";; esac; \
	    echo "make up: image $$image is neither here nor pullable: starting without $$service ($$cost)." >&2; \
	    services=$$(printf '%s\n' $$services | grep -vx "$$service"); }; \
	done; \
	echo "$(COMPOSE) up -d --build" $$services; \
	$(COMPOSE) up -d --build $$services; \
	echo; \
	for service in $$services; do case $$service in \
	  grafana) echo "  Grafana     http://127.0.0.1:$(GRAFANA_PORT)/d/backlog-lab" ;; \
	  prometheus) echo "  Prometheus  http://127.0.0.1:$(PROMETHEUS_PORT)/targets" ;; \
	  tempo) echo "  Tempo       http://127.0.0.1:$(TEMPO_PORT)/ready" ;; \
	  rabbitmq) echo "  RabbitMQ    http://127.0.0.1:$(call env,RABBITMQ_MANAGEMENT_PORT) (guest/guest)" ;; \
	esac; done; \
	echo "  Sidecar     $(if $(SIDECAR_GRPC_HOST_PORT),127.0.0.1:$(SIDECAR_GRPC_HOST_PORT),$$($(COMPOSE) port sidecar 50051)) (gRPC)   workers in $${DELIVERY_MODE:-$(call env,DELIVERY_MODE)} mode"; \
	echo; \
	echo "  make scale N=5    more workers     make burst N=500   a burst      make logs SERVICE=worker    make down"

.PHONY: down
down: ## Stop the lab and remove its containers (data volumes stay; add -v by hand to drop them)
	$(need-docker)
	$(COMPOSE) down --remove-orphans

.PHONY: scale
scale: ## Run N workers (make scale N=5); new ones take the running workers' mode; Prometheus finds them within 10 s
	$(need-docker)
	@# Without MODE, the new replicas get the mode the running ones have (a
	@# plain `compose up` would read .env's and mix modes after `make up MODE=credit`).
	@mode=$${DELIVERY_MODE:-$$($(COMPOSE) exec -T worker printenv DELIVERY_MODE 2>/dev/null)}; \
	  echo "$(COMPOSE) up -d --no-recreate --scale worker=$(N) worker   (DELIVERY_MODE=$${mode:-from .env})"; \
	  env $${mode:+DELIVERY_MODE=$$mode} $(COMPOSE) up -d --no-recreate --scale worker=$(N) worker

.PHONY: burst
burst: ## Publish a burst into the running stack (500, or make burst N=800; PRIORITY=2 for high priority)
	$(need-docker)
	$(COMPOSE) exec -T sidecar node /app/services/sidecar/src/publish-cli.ts --count $(if $(filter command line environment,$(origin N)),$(N),500) --priority $(PRIORITY)

.PHONY: ps
ps: ## List the lab's containers and their health
	$(need-docker)
	$(COMPOSE) ps

.PHONY: logs
logs: ## Follow the logs (make logs SERVICE=sidecar for one service)
	$(need-docker)
	$(COMPOSE) logs -f --tail=100 $(SERVICE)

.PHONY: lab
lab: ## Run the sidecar and workers as local processes, without Docker (make lab WORKERS=3 MODE=credit; QUEUE=rabbitmq SIDECARS=2 or TOPOLOGY=per-pod)
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
proto: ## Regenerate the TypeScript types and the Python worker's stubs from proto/
	npm run proto

.PHONY: experiment
experiment: ## Replay the scenarios in every mode and write reports/<run>/ (ARGS="--quick --scenario hoard")
	npm run experiment -- $(ARGS)

.PHONY: bench
bench: ## Run the benchmarks against bare grpc-js, grpcio and amqplib (~10 min; ARGS="--quick")
	npm run bench -- $(ARGS)

.PHONY: soak
soak: ## Soak test: 50 zero-delay workers, producer at thousands of msg/s (DURATION=120 RATE=3000)
	npm run soak -- --duration $(DURATION) --rate $(RATE) --workers $(SOAK_WORKERS)

.PHONY: images
images: ## Build the sidecar, worker and worker-python images (backlog-lab/<service>:dev; REGISTRY=... prefixes the names)
	@command -v $(DOCKER) >/dev/null 2>&1 || { echo "make $@: needs Docker, which is not installed (Debian: apt-get install docker.io)." >&2; exit 1; }
	@$(DOCKER) info >/dev/null 2>&1 || { echo "make $@: Docker is installed but its daemon is not reachable." >&2; exit 1; }
	@set -e; for service in $(SERVICES); do \
	  echo "building $(IMAGE_BASE)/$$service:$(IMAGE_TAG)"; \
	  $(DOCKER) build --target $$service --build-arg NODE_IMAGE=$(NODE_IMAGE) --build-arg DEBIAN_IMAGE=$(DEBIAN_IMAGE) \
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
	    '  - {name: backlog-lab/worker-python, newName: "$(IMAGE_BASE)/worker-python", newTag: "$(IMAGE_TAG)"}' \
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
