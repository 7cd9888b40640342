# vigil — see README.md. The two commands a newcomer needs: `make run` and `make test`.

GO      ?= go
BIN     := bin/vigil
PKGS    := ./...
# Race-detector tests: everything. Timeouts are generous because CI machines are shared.
TESTFLAGS ?= -race -timeout 20m

export PATH := $(PATH):/usr/local/go/bin:$(shell $(GO) env GOPATH 2>/dev/null)/bin
export CGO_ENABLED := 1
# bin/vigil's link: lld applies --as-needed after --gc-sections (GNU ld, before), dropping libraries only unused gocv/astiav wrappers name: 330 -> 148 loaded.
VIGIL_CGO_LDFLAGS ?= -O2 -g -fuse-ld=lld -Wl,--gc-sections -Wl,--as-needed

.PHONY: all deps build run test vet lint bench clean

include proto/proto.mk
include deploy/deploy.mk
include deploy/compose.mk
include test/bench/bench.mk
include test/distributed/distributed.mk
include test/k8s/k8s.mk

all: build

## deps: install the Debian packages the build and tests need (idempotent)
deps:
	./deploy/deps.sh

## build: compile bin/vigil
build:
	CGO_LDFLAGS='$(VIGIL_CGO_LDFLAGS)' $(GO) build -o $(BIN) ./cmd/vigil

## run: install what is missing, build, and start a demo node with synthetic channels
run: deps build
	$(BIN) agent --demo

## test: vet, check generated code, every test with the race detector, then the
## chaos suite against a five-node docker-compose cluster (make chaos-ci: skipped,
## with a message and exit 0, where no Docker engine is reachable)
test: deps vet proto-check k8s-test
	$(GO) test $(TESTFLAGS) $(PKGS)
	$(MAKE) --no-print-directory chaos-ci

vet:
	$(GO) vet $(PKGS)

## lint: gofmt, go vet and the import rules
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: Go benchmarks, then every results table of docs/results*.md (see test/bench)
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./media/... ./actors/...
	$(MAKE) --no-print-directory bench-accuracy bench-cpu bench-streams bench-distributed
	./test/bench/readme.sh

clean:
	rm -rf bin
