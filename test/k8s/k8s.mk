# k8s.mk: checks of deploy/k8s without a cluster, included from the top-level Makefile.
# test/k8s is a Go module of its own (the Kubernetes API, kustomize and pod-security
# modules stay out of vigil's go.mod), so `go test ./...` at the top does not reach it:
# `make test` runs it through k8s-test.
#
#   make k8s-test          strict decode into the Kubernetes API types, the invariants
#                          the agent depends on, a kustomize build (with and without the
#                          gossip-key component) and the Pod Security "restricted" level
#   make k8s-docker-test   make image, then run the StatefulSet's pods as containers of
#                          that image under the pods' own settings (~20 s; needs Docker)

GO        ?= go
TESTFLAGS ?= -race -timeout 20m

.PHONY: k8s-test k8s-docker-test

## k8s-test: check the Kubernetes manifests in deploy/k8s (no cluster needed)
k8s-test:
	cd test/k8s && $(GO) vet ./... && $(GO) vet -tags docker ./... && $(GO) test $(TESTFLAGS) ./...

## k8s-docker-test: run the StatefulSet's pods as Docker containers of vigil:latest
k8s-docker-test: image
	cd test/k8s && $(GO) test -tags docker -count=1 -timeout 10m -run InDocker -v ./...
