# proto.mk: regenerate the Go code of proto/ (included from the top-level Makefile).
#
#   make proto         regenerate proto/vigil/v1/*.pb.go
#   make proto-check   regenerate and fail if the checked-in code differs
#
# protoc comes from Debian (package protobuf-compiler, 3.21); the two Go plugins are
# installed with `go install` at versions pinned to match go.mod's
# google.golang.org/protobuf v1.36.12 and google.golang.org/grpc v1.85.0, into a
# versioned directory outside the work tree so that they never mix with other tools.

PROTOC               ?= protoc
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PROTO_TOOLS := $(shell go env GOPATH)/vigil-tools/protoc-gen-go-$(PROTOC_GEN_GO_VERSION)-grpc-$(PROTOC_GEN_GO_GRPC_VERSION)
PROTO_FILES := $(sort $(wildcard proto/vigil/v1/*.proto))

.PHONY: proto proto-check proto-tools

proto-tools: $(PROTO_TOOLS)/protoc-gen-go $(PROTO_TOOLS)/protoc-gen-go-grpc

$(PROTO_TOOLS)/protoc-gen-go:
	GOBIN=$(PROTO_TOOLS) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

$(PROTO_TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(PROTO_TOOLS) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

proto: proto-tools
	rm -f proto/vigil/v1/*.pb.go
	PATH="$(PROTO_TOOLS):$$PATH" $(PROTOC) -I proto \
		--go_out=proto --go_opt=paths=source_relative \
		--go-grpc_out=proto --go-grpc_opt=paths=source_relative \
		$(PROTO_FILES)

proto-check: proto
	git diff --exit-code -- proto/
	@test -z "$$(git status --porcelain -- proto/)" || { git status --porcelain -- proto/; echo "proto: generated code is not checked in"; exit 1; }
