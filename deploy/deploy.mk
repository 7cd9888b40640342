# deploy.mk: container image targets. The top-level Makefile includes it
# (`include deploy/deploy.mk`); it uses that Makefile's GO, BIN and build target.
# See deploy/README.md.

ifndef VIGIL_DEPLOY_MK
VIGIL_DEPLOY_MK := 1

DOCKER ?= docker
IMAGE  ?= vigil
# The second tag names the commit the image was built from, with -dirty when tracked
# files differ from it (as git describe --dirty does).
ifeq ($(origin IMAGE_TAG),undefined)
IMAGE_TAG := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
endif
# Where `make image-context` stages the context for a look inside.
IMAGE_CONTEXT ?= bin/image-context

.PHONY: image image-context image-name image-test

## image: build bin/vigil and the image $(IMAGE):latest + $(IMAGE):<git short hash>, offline (FROM scratch)
image: build
	DOCKER=$(DOCKER) ./deploy/image.sh $(BIN) $(IMAGE):latest $(IMAGE):$(IMAGE_TAG)

## image-context: stage the offline image's build context in $(IMAGE_CONTEXT) without building
image-context: build
	rm -rf $(IMAGE_CONTEXT)
	./deploy/context.sh $(BIN) $(IMAGE_CONTEXT)

## image-name: print the image's commit tag (for scripts)
image-name:
	@echo $(IMAGE):$(IMAGE_TAG)

## image-test: build the image and check it runs (scan, demo agent, uid, health check)
image-test:
	$(GO) test -tags docker -count=1 -v -timeout 20m ./test/image/

endif
