# distributed.mk: monolith vs distributed frames (test/distributed), included from the
# top-level Makefile.
#
#   make bench-distributed         measure and write docs/results-distributed.md
#   make proto-distributed         regenerate test/distributed/framepb/*.pb.go
#   make proto-distributed-check   regenerate and fail if the checked-in code differs
#
# BENCH_DISTRIBUTED_RUNS sets the runs of each design (medians are reported). The clip
# is encoded once with the ffmpeg CLI and cached in the user cache directory.

GO                     ?= go
PROTOC                 ?= protoc
BENCH_DISTRIBUTED_RUNS ?= 5
BENCH_DISTRIBUTED_OUT  ?= docs/results-distributed.md
# protoc-gen-go pinned to go.mod's google.golang.org/protobuf, in its own directory
# outside the work tree (proto.mk's plugins live next to it).
DISTRIBUTED_PROTOC_GEN_GO := v1.36.12
DISTRIBUTED_PROTO_TOOLS   := $(shell $(GO) env GOPATH)/vigil-tools/protoc-gen-go-$(DISTRIBUTED_PROTOC_GEN_GO)

.PHONY: bench-distributed proto-distributed proto-distributed-check

## bench-distributed: CPU per frame and bytes per stream-hour, monolith vs distributed frames
bench-distributed:
	$(GO) build -o bin/framebench ./test/distributed/cmd/framebench
	bin/framebench -runs $(BENCH_DISTRIBUTED_RUNS) -out $(BENCH_DISTRIBUTED_OUT) \
		-command "make bench-distributed   # bin/framebench -runs $(BENCH_DISTRIBUTED_RUNS) -out $(BENCH_DISTRIBUTED_OUT)"

$(DISTRIBUTED_PROTO_TOOLS)/protoc-gen-go:
	GOBIN=$(DISTRIBUTED_PROTO_TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(DISTRIBUTED_PROTOC_GEN_GO)

proto-distributed: $(DISTRIBUTED_PROTO_TOOLS)/protoc-gen-go
	rm -f test/distributed/framepb/*.pb.go
	PATH="$(DISTRIBUTED_PROTO_TOOLS):$$PATH" $(PROTOC) -I test/distributed \
		--go_out=test/distributed --go_opt=paths=source_relative \
		test/distributed/framepb/frame.proto

proto-distributed-check: proto-distributed
	git diff --exit-code -- test/distributed/framepb/
	@test -z "$$(git status --porcelain -- test/distributed/framepb/)" || { git status --porcelain -- test/distributed/framepb/; echo "proto-distributed: generated code is not checked in"; exit 1; }
