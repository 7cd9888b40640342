# compose.mk: the five-node docker-compose cluster (deploy/docker-compose.yml) and the
# chaos suite that runs against it (test/chaos). Included from the top-level Makefile
# after deploy.mk (it uses GO, BIN, IMAGE, IMAGE_TAG and the build and image targets).
#
#   make cluster               build the image if needed, start the cluster, assign
#                              demo streams, print the tables and 15 s of live events
#   make cluster CLUSTER_TAIL=follow   …and follow the events until Ctrl-C
#   make cluster-down          stop it (VOLUMES=1 also removes the data volumes)
#   make chaos                 build the image, then run every chaos scenario against a
#                              cluster of its own (project vigil-chaos), ~10 minutes
#   make chaos CHAOS_FULL=1    the issue's full lengths: 3 minutes of loss, 30 soak faults
#   make chaos CHAOS_RECORD=docs/chaos.md   also write the summary table there
#   make chaos-ci              as CI runs it (deploy/chaos-ci.sh): skipped with exit 0
#                              when no Docker engine is reachable; otherwise the image,
#                              the default suite under CHAOS_CI_TIMEOUT, and the project
#                              always torn down afterwards (the suite's status kept)

ifndef VIGIL_COMPOSE_MK
VIGIL_COMPOSE_MK := 1

COMPOSE         ?= docker-compose
CLUSTER_PROJECT ?= vigil
CLUSTER_STREAMS ?= 16
CLUSTER_ADDR    ?= 127.0.0.1:7070
# The event tail after the tables: seconds, 0 for none, or follow (until Ctrl-C).
CLUSTER_TAIL    ?= 15
# Extra flags for the chaos suite (go test -args), e.g. -chaos.run 'kill|stop'.
CHAOS_FLAGS     ?=
CHAOS_TIMEOUT   ?= 40m
CHAOS_RECORD    ?=
CHAOS_FULL      ?=
# chaos-ci's compose project (make chaos uses the suite's default, the same name).
CHAOS_PROJECT   ?= vigil-chaos
# chaos-ci's hard limit on the suite (go test -timeout); the image build comes before.
CHAOS_CI_TIMEOUT ?= 15m

COMPOSE_ENV = COMPOSE="$(COMPOSE)" CLUSTER_PROJECT=$(CLUSTER_PROJECT) CLUSTER_STREAMS=$(CLUSTER_STREAMS) \
	CLUSTER_ADDR=$(CLUSTER_ADDR) CLUSTER_TAIL=$(CLUSTER_TAIL) VIGIL=$(BIN)

.PHONY: cluster cluster-down cluster-image chaos chaos-ci

# cluster-image builds the image unless one of this commit exists already (a tree with
# uncommitted changes always rebuilds: ~30 s, most of it sending the context).
cluster-image: build
	@if case "$(IMAGE_TAG)" in *-dirty) false;; esac && $(DOCKER) image inspect $(IMAGE):$(IMAGE_TAG) >/dev/null 2>&1; then \
		echo "image $(IMAGE):$(IMAGE_TAG) is up to date"; \
		$(DOCKER) tag $(IMAGE):$(IMAGE_TAG) $(IMAGE):latest; \
	else \
		$(MAKE) --no-print-directory image; \
	fi

## cluster: start the five-node docker-compose cluster with demo streams (admin API on 127.0.0.1:7070)
cluster: cluster-image
	$(COMPOSE_ENV) ./deploy/compose.sh up

## cluster-down: stop the docker-compose cluster (VOLUMES=1 also removes its data volumes)
cluster-down:
	$(COMPOSE_ENV) ./deploy/compose.sh down $(if $(VOLUMES),-v)

## chaos: failover chaos suite against a docker-compose cluster of its own (test/chaos; ~10 min)
chaos: cluster-image
	$(GO) test -tags chaos -count=1 -v -timeout $(CHAOS_TIMEOUT) ./test/chaos/ -args \
		$(if $(CHAOS_FULL),-chaos.full) $(if $(CHAOS_RECORD),-chaos.record $(CHAOS_RECORD)) $(CHAOS_FLAGS)

## chaos-ci: the chaos suite for CI: skipped (exit 0) without a Docker engine, else image + suite (≤ 15 min) + teardown
# It checks for the engine before building anything, so it has no prerequisites:
# deploy/chaos-ci.sh runs $(MAKE) cluster-image (which builds bin/vigil) itself.
chaos-ci:
	@MAKE="$(MAKE)" GO="$(GO)" DOCKER="$(DOCKER)" COMPOSE="$(COMPOSE)" CHAOS_PROJECT=$(CHAOS_PROJECT) \
		CHAOS_CI_TIMEOUT=$(CHAOS_CI_TIMEOUT) CHAOS_FLAGS="$(CHAOS_FLAGS)" ./deploy/chaos-ci.sh

endif
